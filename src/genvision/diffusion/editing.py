"""Image editing with a diffusion model: SDEdit's start, DiffEdit's mask, the per-step null inputs of a swap.

SDEdit (Meng et al. 2022): noise the clean latent to the level of `strength` and sample from there under the
target condition,   z_k = √ᾱ_{t_k} z_0 + √(1-ᾱ_{t_k}) ε,   k = n (1 − strength).

DiffEdit (Couairon et al. 2022, §3.1): where the two conditions disagree about the noise is where the edit
belongs,

    M = 1[ normalise( mean_j | ε(z_t^j, target) − ε(z_t^j, source) | ) > threshold ],
    z_t^j = √ᾱ_t z_0 + √(1-ᾱ_t) ε_j,   t at half the schedule,

averaged over channels and `draws` noise draws and normalised to [0, 1] per image. The image is then
DDIM-inverted to the strength's level and sampled under the target inside M, with the inverted trajectory
pasted outside it at every level (`inpaint_sample(known=...)`, the inpainting step).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.samplers import ModelFn, NoiseSource, draw_noise
from genvision.diffusion.schedules import NoiseSchedule, as_timesteps

MASK_TIMESTEP_FRACTION = 0.5  # DiffEdit noises to t = 0.5 T to compare the two conditions


def sdedit_start(
    schedule: NoiseSchedule, z0: torch.Tensor, t: int, noise: NoiseSource = None
) -> torch.Tensor:
    """z_t = √ᾱ_t z_0 + √(1-ᾱ_t) ε: where SDEdit starts sampling."""
    return q_sample(schedule, z0, as_timesteps(t, z0.shape[0], z0.device), draw_noise(noise, z0))


def diffedit_mask(
    source: ModelFn,
    target: ModelFn,
    schedule: NoiseSchedule,
    z0: torch.Tensor,
    *,
    to_eps: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    draws: int = 10,
    threshold: float = 0.5,
    noise: NoiseSource = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(binary fill [B, 1, h, w] at latent resolution, 1 = edit; the normalised difference map it thresholds).

    All draws go through the network in one batch: `source` and `target` take a batch of draws·B ordered draw
    by draw (image b of draw j at j·B + b). `to_eps(x, t, out)` turns a model output into ε̂ (x0- and v-models)."""
    batch = z0.shape[0]
    t = as_timesteps(int(MASK_TIMESTEP_FRACTION * schedule.num_timesteps), batch * draws, z0.device)
    eps = torch.cat([draw_noise(noise, z0) for _ in range(draws)])
    z_t = q_sample(schedule, z0.repeat(draws, 1, 1, 1), t, eps)
    diff = to_eps(z_t, t, target(z_t, t)) - to_eps(z_t, t, source(z_t, t))
    total = diff.abs().mean(1, keepdim=True).unflatten(0, (draws, batch)).mean(0)
    low = total.amin(dim=(2, 3), keepdim=True)
    high = total.amax(dim=(2, 3), keepdim=True)
    score = (total - low) / (high - low).clamp(min=1e-12)
    return (score > threshold).float(), score


def per_step_model(model_for: Callable[[int], ModelFn], grid: list[int]) -> ModelFn:
    """A model_fn that calls `model_for(k)` at the k-th timestep of `grid` (per-step null inputs of null-text)."""
    level = {t: k for k, t in enumerate(grid)}
    return lambda x, t: model_for(level[int(t[0])])(x, t)
