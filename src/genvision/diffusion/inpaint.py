"""Training-free inpainting with any ε/x0/v diffusion model (pixel or latent space), with RePaint resampling.

At every reverse step the known region comes from the forward-noised original and the hole from the model
(Rombach et al. 2022 §4.3 / Lugmayr et al. 2022, "RePaint", eq. 8):

    x_s = keep ⊙ q_sample(z_0, s) + (1 − keep) ⊙ step(x_t, t → s)

`step` is the inpainting step of the sampler's table row (DDPM ancestral, DDIM) over the (t, s) grid; at the
last step s = -1 and q_sample(z_0, -1) = z_0, so the known region of the result is z_0 itself.

RePaint resampling (jump length j, jump count r): the sampler's grid has levels k = 0 … n (level k holds
timestep g_k, g_n = -1). After reaching a jump level, x is re-noised j levels back up in one draw of
q(x_{g_{k-j}} | x_{g_k}) = N(√(ᾱ_{g_{k-j}}/ᾱ_{g_k}) x, (1 − ᾱ_{g_{k-j}}/ᾱ_{g_k}) I) — the composition of the j
single-step forward transitions — and those j steps are denoised again, so every segment of j steps runs r
times in all. As in the paper's schedule, jump levels are every j-th level counted back from the last model
step (n − 1, n − 1 − j, …, down to level j), each jumping r − 1 times; r = 1 is plain inpainting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.samplers import ModelFn, NoiseSource, draw_noise, inpainting_row
from genvision.diffusion.schedules import NoiseSchedule, as_timesteps
from genvision.diffusion.timesteps import check_steps, sampling_timesteps
from genvision.errors import GenvisionError


@dataclass(frozen=True)
class Resampling:
    """RePaint's schedule settings: re-noise `jump_length` levels back, `jump_count` passes per segment."""

    jump_length: int = 10
    jump_count: int = 10

    @classmethod
    def parse(cls, text: str | None) -> Resampling | None:
        """'10,10' → Resampling(10, 10); None or '' → None (no resampling)."""
        if not text:
            return None
        try:
            length, count = (int(v) for v in text.split(","))
        except ValueError as exc:
            raise GenvisionError(
                f"--resample takes JUMP_LENGTH,JUMP_COUNT (e.g. 10,10), got {text!r}"
            ) from exc
        if length < 1 or count < 1:
            raise GenvisionError(f"resampling jump length and count must be >= 1, got {text!r}")
        return cls(length, count)


def repaint_levels(num_steps: int, resample: Resampling | None = None) -> list[int]:
    """The sequence of grid levels visited (0 = x_T … num_steps = x_0); a decrease means re-noising."""
    levels = [0]
    if resample is None or resample.jump_count <= 1:
        return list(range(num_steps + 1))
    j = resample.jump_length
    remaining = {k: resample.jump_count - 1 for k in range(j, num_steps) if (num_steps - 1 - k) % j == 0}
    k = 0
    while k < num_steps:
        k += 1
        levels.append(k)
        if remaining.get(k, 0) > 0:
            remaining[k] -= 1
            k -= j
            levels.append(k)
    return levels


def renoise(
    schedule: NoiseSchedule, x: torch.Tensor, t: torch.Tensor, t_up: torch.Tensor, noise: torch.Tensor
) -> torch.Tensor:
    """Sample q(x_{t_up} | x_t) for t_up > t: √(ᾱ_up/ᾱ_t) x + √(1 − ᾱ_up/ᾱ_t) z."""
    ratio = schedule.alpha_bar_at(t_up, x.ndim, float64=True) / schedule.alpha_bar_at(t, x.ndim, float64=True)
    return ratio.sqrt().float() * x + (1 - ratio).sqrt().float() * noise


def check_keep(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`keep` as [B|1, 1, h, w] matching the spatial size of `like`, or an error that explains the mismatch."""
    if keep.ndim == 2:
        keep = keep[None, None]
    if keep.ndim != 4 or keep.shape[1] != 1:
        raise GenvisionError(f"keep mask must be [H, W] or [N, 1, H, W], got shape {list(keep.shape)}")
    if keep.shape[-2:] != like.shape[-2:]:
        raise GenvisionError(
            f"keep mask is {tuple(keep.shape[-2:])} but the image (or latent) is "
            f"{tuple(like.shape[-2:])}: resize it first (genvision.data.masks.resize_fill for "
            "pixels, latent_fill for latents)"
        )
    if keep.shape[0] not in (1, like.shape[0]):
        raise GenvisionError(f"{keep.shape[0]} keep masks for a batch of {like.shape[0]} images")
    return keep.to(device=like.device, dtype=like.dtype)


StepCallback = Callable[[int, torch.Tensor], None]


def inpaint_sample(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    z0: torch.Tensor,
    keep: torch.Tensor,
    *,
    sampler: str = "ddim",
    steps: int = 50,
    spacing: str = "trailing",
    prediction: str = "eps",
    clip_x0: float | None = None,
    noise: NoiseSource = None,
    known_noise: NoiseSource = None,
    x_T: torch.Tensor | None = None,
    resample: Resampling | None = None,
    callback: StepCallback | None = None,
    first_level: int = 0,
    known: Sequence[torch.Tensor] | None = None,
    **options: Any,
) -> torch.Tensor:
    """Fill the region where keep = 0 of the clean inputs `z0` [B, C, h, w] (pixels or scaled latents).

    `noise` feeds the sampler (x_T and stochastic steps), `known_noise` the forward-noised known region and
    the RePaint re-noising (defaults to `noise`). Keeping them apart makes a full hole (keep = 0) draw exactly
    what unconditional sampling draws from `noise`. `callback(visit, x)` sees x after every transition.

    Editing reuses this step: `first_level` k > 0 starts from `x_T` at grid level k (SDEdit, DiffEdit), and
    `known[level]` (a DDIM-inverted trajectory, indexed by grid level) replaces the forward-noised known region.
    `options` are the sampler's (eta, variance, ...; None: its default), checked by its row of the table.
    """
    row = inpainting_row(sampler)
    given = row.resolve({key: value for key, value in options.items() if value is not None})
    keep = check_keep(keep, z0)
    steps = check_steps(steps, schedule.num_timesteps)
    known_noise = noise if known_noise is None else known_noise
    grid = sampling_timesteps(schedule.num_timesteps, steps, spacing) + [-1]
    batch, device = z0.shape[0], z0.device
    timestep = [as_timesteps(g, batch, device) for g in grid]

    def paste_known(x: torch.Tensor, level: int) -> torch.Tensor:
        if known is not None:
            return keep * known[level].to(x.dtype) + (1 - keep) * x
        noised = (
            q_sample(schedule, z0, timestep[level], draw_noise(known_noise, z0)) if grid[level] >= 0 else z0
        )
        return keep * noised + (1 - keep) * x

    x = draw_noise(noise, z0) if x_T is None else x_T.to(device=device, dtype=z0.dtype)
    step = row.inpaint_step(schedule, prediction=prediction, noise=noise, clip_x0=clip_x0, **given)
    if first_level and resample is not None:
        raise GenvisionError("RePaint resampling starts from x_T: drop resample when starting part way")
    levels = repaint_levels(steps, resample)[first_level:]
    for visit, (a, b) in enumerate(zip(levels, levels[1:])):
        t, s = timestep[a], timestep[b]
        if b < a:  # RePaint: jump back up the chain
            x = renoise(schedule, x, t=t, t_up=s, noise=draw_noise(known_noise, x))
        else:
            x = paste_known(step(x, t, s, model_fn(x, t), grid[b] < 0), b)
        if callback is not None:
            callback(visit, x)
    return x
