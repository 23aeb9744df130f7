"""Inpainting with a diffusion model (Rombach et al. 2022 §4.3; Lugmayr et al. 2022, RePaint).

    p = m.inpaint(images, fill, seed=0, prompt="a bag")       # fill: 1 = paint, 0 = keep
    p.panel()                                                 # original | masked | inpainted | composite
    p.trajectory                                              # [N, frames, C, H, W] when trajectory=frames

The known region comes from the forward-noised original, the hole from the model, in latent space; decoded, then
composited in pixel space, so the known pixels are the original's bit for bit. The encoder sees the image with the
hole blanked out. The run is the shared loop of genvision.generators.diffusion_loop; randomness follows
genvision.generators.noise (the known region's noise is a second stream of the seed, or the same generators).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from genvision.data.masks import composite, latent_fill
from genvision.diffusion.inpaint import Resampling, inpaint_sample, repaint_levels
from genvision.diffusion.samplers import inpainting_row, inpainting_samplers
from genvision.generators.base import Progress
from genvision.generators.diffusion_conditions import DiffusionConditions, Labels, Prompts
from genvision.generators.diffusion_loop import Batch, run_batches
from genvision.generators.guards import check_fill, check_number
from genvision.generators.noise import GeneratorArg, resolve_noise

_KNOWN_STREAM = 1 << 40  # derives the seed of inpainting's known-region noise from the run seed


@dataclass
class Inpainting:
    """Inpainting results, all [N, C, H, W] in [-1, 1] on the CPU (fill: [N, 1, H, W], 1 = painted)."""

    original: torch.Tensor
    fill: torch.Tensor
    masked: torch.Tensor  # the original with the hole greyed out
    inpainted: torch.Tensor  # the decoded sample, as the model made it
    composite: torch.Tensor  # the original outside the hole, the inpainted pixels inside
    trajectory: torch.Tensor | None = (
        None  # [N, frames, C, H, W]: decoded x_T … x_0 at evenly spaced transitions
    )
    info: dict[str, object] | None = None

    @property
    def images(self) -> torch.Tensor:
        """The composites (what `sample(...).images` is to sampling)."""
        return self.composite

    def panel(self) -> torch.Tensor:
        """Rows of original | masked | inpainted | composite, as [4N, C, H, W] for a 4-column grid."""
        return torch.stack([self.original, self.masked, self.inpainted, self.composite], 1).flatten(0, 1)


def show_hole(images: torch.Tensor, fill: torch.Tensor, value: float = 0.0) -> torch.Tensor:
    """The image with the region to fill painted a flat grey (0 in [-1, 1])."""
    return torch.where(fill.bool().expand_as(images), torch.full_like(images, value), images)


def prepare_fill(fill: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """A fill mask [N|1, 1, H, W], [N, H, W] or [H, W] in [0, 1] at the images' size, brought to their batch."""
    return check_fill(fill, images)


@torch.no_grad()
def inpaint(
    model: DiffusionConditions,
    images: torch.Tensor,
    fill: torch.Tensor,
    *,
    seed: int | None = None,
    generator: GeneratorArg = None,
    latents: torch.Tensor | None = None,
    sampler: str | None = None,
    steps: int | None = None,
    resample: Resampling | None = None,
    feather: float = 0.0,
    label: Labels = None,
    prompt: Prompts = None,
    negative_prompt: Prompts = None,
    guidance: float | None = None,
    batch_size: int = 64,
    trajectory: int = 0,
    start: int = 0,
    progress: Progress | None = None,
    **sampler_options: Any,
) -> Inpainting:
    """Fill images [N, C, H, W] in [-1, 1] where `fill` is 1 (fill: [H, W], [N, H, W] or [N|1, 1, H, W]);
    image k uses the generators of (seed, start + k), or `generator` / `latents` [N, *latent_shape]
    (genvision.generators.noise). `label` / `prompt` / `negative_prompt`: one for all or one per image. Samplers:
    those with an inpainting step (ddpm, ddim; RePaint with `resample`), `sampler_options` as in `sample`.
    `trajectory` F: decoded frames [N, F, C, H, W], x_T … x_0."""
    images = model.check_images(images)
    check_number("feather (pixels)", feather, minimum=0.0)
    fill = prepare_fill(fill, images)
    n = len(images)
    conditions, negatives = model.conditions_for(n, label, prompt, None, negative_prompt)
    default = model.spec.sampling.sampler
    chosen = inpainting_row(sampler or (default if default in inpainting_samplers() else "ddim")).name
    conditioned = not all(c.empty for c in conditions) or negatives is not None
    run = model.settings(
        chosen, steps, spacing=None, guidance=guidance, conditioned=conditioned, **sampler_options
    )
    transitions = len(repaint_levels(run.steps, resample)) - 1
    noise = resolve_noise(n, model.latent_shape, seed=seed, generator=generator, latents=latents, start=start)

    def body(batch: Batch) -> torch.Tensor:
        lo, hi = batch.lo, batch.hi
        x, keep_fill = images[lo:hi], fill[lo:hi]
        if not keep_fill.any():  # nothing to paint: the input is the answer
            batch.fixed(x)
            return x.cpu()
        z0 = model.encode(x if model.autoencoder is None else show_hole(x, keep_fill))
        keep = 1 - latent_fill(keep_fill, (int(z0.shape[-2]), int(z0.shape[-1])))
        z = inpaint_sample(
            model.model_fn(conditions[lo:hi], run.guidance, None if negatives is None else negatives[lo:hi]),
            model.schedule,
            z0,
            keep,
            sampler=run.sampler,
            steps=run.steps,
            spacing=run.spacing or "trailing",  # the inpainting samplers all follow the spacing
            prediction=model.prediction,
            clip_x0=model.clip_x0,
            noise=batch.rng,
            known_noise=batch.noise.rng(lo, hi, model.device, stream=_KNOWN_STREAM),
            x_T=batch.x_T,
            resample=resample,
            callback=lambda visit, z: batch.record(z),
            **run.options,
        )
        return model.decode(z).cpu()

    inpainted, frames = run_batches(
        n,
        body,
        noise=noise,
        batch_size=batch_size,
        transitions=transitions,
        decode=model.decode,
        device=model.device,
        trajectory=trajectory,
        progress=progress,
    )
    original, fill_cpu = images.cpu(), fill.cpu()
    info = run.info() | ({"resample": f"{resample.jump_length},{resample.jump_count}"} if resample else {})
    return Inpainting(
        original,
        fill_cpu,
        masked=show_hole(original, fill_cpu),
        inpainted=inpainted,
        composite=composite(original, inpainted, fill_cpu, feather),
        trajectory=frames,
        info=info,
    )
