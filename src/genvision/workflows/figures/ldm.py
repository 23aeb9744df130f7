"""Latent diffusion (fashion-ldm): report figure 2.5, the reverse process decoded from latent space; 3.15,
denoised latents decoded to pixels under class and text conditions; and a guidance-scale sweep.

Classifier-free guidance mixes the conditional and unconditional predictions, ε̃ = ε(z_t, ∅) + s (ε(z_t, c)
− ε(z_t, ∅)); the sweep keeps the noise of every row fixed and raises s, and the shipped classifier measures
how often the samples are recognised as the requested class.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.workflows.figures.context import FigureContext
from genvision.workflows.figures.ddpm import trajectory_labels
from genvision.workflows.figures.panels import save_panel

BUNDLE = "fashion-ldm"
PROMPTS = (
    ("a photo of a sandal", 5),
    ("an ankle boot", 9),
    ("a pair of trousers", 1),
    ("a leather bag", 8),
    ("a summer dress", 3),
    ("a white sneaker", 7),
)
SWEEP_CLASS = 6  # shirt: the class the classifier finds hardest, so guidance shows
GUIDANCE = (1, 2, 3, 4, 5, 6, 7)


def reverse(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    steps, frames = ctx.pick(50, 20), ctx.pick(10, 8)
    classes = [9, 2, 1, 8, 7, 3]
    result = m.generate(
        [m.condition(label=k) for k in classes],
        seed=ctx.seed,
        steps=steps,
        trajectory=frames,
        trajectory_rows=len(classes),
    )
    save_panel(
        path,
        result.trajectory.flatten(0, 1),
        result.trajectory.shape[1],
        row_labels=[m.class_names[k] for k in classes],
        col_labels=trajectory_labels(m, steps, frames, result.info["sampler"]),
        title=f"{BUNDLE}: decoder(z_t / s) along the reverse process in latent space",
    )
    return f"{result.info['sampler']}, {steps} steps, guidance {result.info.get('guidance')}"


def classes(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    per_row, steps = ctx.pick(10, 5), ctx.pick(50, 10)
    conditions = [m.condition(label=k) for k in range(m.num_classes) for _ in range(per_row)]
    images = m.generate(conditions, seed=ctx.seed, steps=steps).images
    accuracy = accuracy_of(ctx, images, torch.arange(m.num_classes).repeat_interleave(per_row))
    save_panel(
        path,
        images,
        per_row,
        row_labels=m.class_names,
        title=f"{BUNDLE}: denoised latents decoded to pixels, one class per row "
        f"(classifier agrees on {accuracy:.0%})",
    )
    return f"{steps} steps; the classifier agrees with the requested class on {accuracy:.0%}"


def prompts(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    per_row, steps = ctx.pick(10, 5), ctx.pick(50, 10)
    images = m.generate(
        [m.condition(prompt=p) for p, _ in PROMPTS for _ in range(per_row)], seed=ctx.seed, steps=steps
    ).images
    accuracy = accuracy_of(ctx, images, torch.tensor([k for _, k in PROMPTS]).repeat_interleave(per_row))
    save_panel(
        path,
        images,
        per_row,
        row_labels=[f'"{p}"' for p, _ in PROMPTS],
        title=f"{BUNDLE}: text prompts (MiniLM embeddings; classifier agrees on {accuracy:.0%})",
    )
    return f"{len(PROMPTS)} prompts; the classifier reads the intended class in {accuracy:.0%}"


def guidance_sweep(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    n, shown, steps = ctx.pick(60, 12), ctx.pick(8, 4), ctx.pick(30, 10)
    columns, scores = [], []
    for s in GUIDANCE:
        images = m.sample(n, seed=ctx.seed, label=SWEEP_CLASS, guidance=float(s), steps=steps).images
        scores.append(accuracy_of(ctx, images, torch.full((n,), SWEEP_CLASS)))
        columns.append(images[:shown])
    cells = torch.stack(columns, 1).flatten(0, 1)  # row = one noise sample, column = one guidance scale
    name = m.class_names[SWEEP_CLASS]
    save_panel(
        path,
        cells,
        len(GUIDANCE),
        col_labels=[f"s={s}\n{a:.0%}" for s, a in zip(GUIDANCE, scores)],
        title=f"{BUNDLE}: guidance scale s for class {name!r} (share classified as {name}, n={n})",
    )
    return "classified as the class: " + ", ".join(f"s={s} {a:.0%}" for s, a in zip(GUIDANCE, scores))


def accuracy_of(ctx: FigureContext, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of images the shipped classifier puts in their intended class."""
    return float((ctx.model("fashion-classifier").predict(images) == labels).float().mean())
