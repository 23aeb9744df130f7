"""Report figures 3.16–3.19: inpainting with the latent diffusion model, which was never trained for it.

At every reverse step the known region comes from the forward-noised original and the hole from the model,
in latent space (keep = 1 − fill, brought to 7 × 7 by max-pooling, so any latent cell touching the hole is
painted):   z_{t−1} ← keep ⊙ q_sample(z_0, t−1) + (1 − keep) ⊙ reverse_step(z_t).
The decoded result is composited in pixel space, so the known pixels are the original's exactly.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.data.masks import make_fills
from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import rows_of, save_panel

BUNDLE = "fashion-ldm"
SHAPES = ("center", "half", "box", "strokes")
CLASSES = [0, 1, 2, 3, 4, 5, 7, 9]


def inputs(ctx: FigureContext) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out images [N, 1, H, W] and fill masks [N, 1, H, W] cycling through SHAPES (1 = paint)."""
    x, y = ctx.fashion("test", 200)
    images = x[one_of_each(y, CLASSES[: ctx.pick(8, 4)])]
    h, w = images.shape[-2:]
    fills = torch.cat(
        [make_fills(SHAPES[i % len(SHAPES)], 1, h, w, seed=ctx.seed, start=i) for i in range(len(images))]
    )
    return images, fills


def run(ctx: FigureContext):
    """One inpainting of the inputs, shared by the process and results figures."""

    def make():
        images, fills = inputs(ctx)
        return ctx.model(BUNDLE).inpaint(
            images, fills, seed=ctx.seed, steps=ctx.pick(50, 20), trajectory=ctx.pick(10, 8)
        )

    return ctx.cached("inpainting", make)


def masked(ctx: FigureContext, path: Path) -> str:
    images, fills = inputs(ctx)
    result = run(ctx)
    save_panel(
        path,
        rows_of(images, fills * 2 - 1, result.masked),
        len(images),
        row_labels=["original", "fill (white)", "masked input"],
        col_labels=[SHAPES[i % len(SHAPES)] for i in range(len(images))],
        title="The inpainting task: paint the white region, keep the rest",
    )
    return f"{len(images)} test images, masks {', '.join(SHAPES)}"


def process(ctx: FigureContext, path: Path) -> str:
    result = run(ctx)
    traj = result.trajectory  # [N, frames, C, H, W]: decoded z_T … z_0 at evenly spaced transitions
    frames = traj.shape[1]
    cells = torch.cat([result.masked[:, None], traj], 1).flatten(0, 1)
    save_panel(
        path,
        cells,
        frames + 1,
        col_labels=["input"] + [f"{round(100 * j / max(frames - 1, 1))}%" for j in range(frames)],
        title=f"{BUNDLE}: the reverse process over the latent, known region re-noised at every step "
        f"({result.info['sampler']}, {result.info['steps']} steps)",
    )
    return f"{frames} decoded frames of {result.info['steps']} steps"


def results(ctx: FigureContext, path: Path) -> str:
    result = run(ctx)
    known = (1 - result.fill).bool().expand_as(result.original)
    exact = bool(torch.equal(result.composite[known], result.original[known]))
    save_panel(
        path,
        result.panel(),
        4,
        col_labels=["original", "masked", "denoised", "composite"],
        title=f"{BUNDLE}: inpainting results (composite keeps the known pixels: {exact})",
    )
    return f"{len(result.original)} images; known pixels preserved exactly: {exact}"
