"""DDIM (Song, Meng & Ermon 2021, eq. 12) over explicit (t, t_prev) pairs.

    x̂_0, ε̂ from the model output at t
    σ = η √((1 - ᾱ_s)/(1 - ᾱ_t)) √(1 - ᾱ_t/ᾱ_s)
    x_s = √ᾱ_s x̂_0 + √(1 - ᾱ_s - σ²) ε̂ + σ z

η = 0 is the deterministic DDIM sampler, η = 1 ancestral DDPM on the subsequence. The final step goes to
s = -1 (ᾱ_s = 1), so it returns x̂_0.
"""

from __future__ import annotations

import torch

from genvision.diffusion.predictions import to_x0_eps
from genvision.diffusion.samplers.base import (
    Callback,
    ModelFn,
    NoiseSource,
    StepUpdate,
    draw_noise,
    over_pairs,
    run_loop,
)
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import timestep_pairs


def ddim_step(
    schedule: NoiseSchedule,
    x_t: torch.Tensor,
    t: torch.Tensor,
    t_prev: torch.Tensor,
    model_out: torch.Tensor,
    prediction: str = "eps",
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
    clip_x0: float | None = None,
) -> torch.Tensor:
    """One DDIM step x_t → x_{t_prev}; `noise` is needed only when eta > 0."""
    ab_t = schedule.alpha_bar_at(t, x_t.ndim, float64=True)
    ab_s = schedule.alpha_bar_at(t_prev, x_t.ndim, float64=True)
    x0, eps = to_x0_eps(schedule, x_t, t=t, model_out=model_out, prediction=prediction, clip_x0=clip_x0)
    # η = 0 skips σ: the step then also runs upwards from t = -1 (ᾱ = 1, DDIM inversion) without 0/0
    sigma = eta * ((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s)).sqrt() if eta > 0 else torch.zeros_like(ab_s)
    x_s = ab_s.sqrt().float() * x0 + (1 - ab_s - sigma**2).clamp(min=0).sqrt().float() * eps
    if eta > 0:
        if noise is None:
            raise ValueError("ddim_step with eta > 0 needs noise")
        x_s = x_s + sigma.float() * noise
    return x_s


def ddim_update(
    schedule: NoiseSchedule,
    *,
    prediction: str = "eps",
    eta: float = 0.0,
    noise: NoiseSource = None,
    clip_x0: float | None = None,
) -> StepUpdate:
    """update(x_t, t, t_prev, out, final) → x_{t_prev}: one DDIM step, drawing noise only when η > 0 and the step
    does not end at x_0."""

    def update(x, t, t_prev, out, final):
        z = draw_noise(noise, x) if eta > 0 and not final else None
        return ddim_step(
            schedule,
            x,
            t=t,
            t_prev=t_prev,
            model_out=out,
            prediction=prediction,
            eta=eta if z is not None else 0.0,
            noise=z,
            clip_x0=clip_x0,
        )

    return update


def ddim_sample(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x_T: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int = 50,
    spacing: str = "trailing",
    eta: float = 0.0,
    noise: NoiseSource = None,
    clip_x0: float | None = None,
    callback: Callback | None = None,
    return_trajectory: bool = False,
):
    """Sample with `steps` DDIM steps ending at x_0 (η ∈ [0, 1], checked by the sampler table)."""
    pairs = timestep_pairs(schedule.num_timesteps, steps, spacing)
    step = ddim_update(schedule, prediction=prediction, eta=eta, noise=noise, clip_x0=clip_x0)
    return run_loop(
        model_fn,
        x_T,
        pairs=pairs,
        update=over_pairs(step, pairs),
        callback=callback,
        return_trajectory=return_trajectory,
    )
