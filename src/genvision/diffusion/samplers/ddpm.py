"""Ancestral DDPM sampling (Ho et al. 2020, Algorithm 2), over any decreasing timestep subsequence.

For a step t → s (s < t; s = t - 1 in the full chain, s = -1 meaning clean data), with
α = ᾱ_t / ᾱ_s and β = 1 - α (the β of the respaced chain; β_t itself in the full chain):

    x̂_0 from the model output;   μ = √ᾱ_s β / (1 - ᾱ_t) · x̂_0 + √α (1 - ᾱ_s) / (1 - ᾱ_t) · x_t
    x_s = μ + σ z,   σ² = β̃ = β (1 - ᾱ_s)/(1 - ᾱ_t)  ("small")  or  σ² = β  ("large"),   z = 0 at s = -1.

With ε-prediction μ equals Algorithm 2's 1/√α (x_t - β/√(1-ᾱ_t) ε̂).
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
from genvision.diffusion.timesteps import check_steps, timestep_pairs

VARIANCES = ("small", "large")


def ddpm_step(
    schedule: NoiseSchedule,
    x_t: torch.Tensor,
    t: torch.Tensor,
    t_prev: torch.Tensor,
    model_out: torch.Tensor,
    prediction: str = "eps",
    noise: torch.Tensor | None = None,
    variance: str = "small",
    clip_x0: float | None = None,
) -> torch.Tensor:
    """One ancestral step x_t → x_{t_prev}; `noise` (z ~ N(0, I)) may be None only when t_prev = -1."""
    ab_t = schedule.alpha_bar_at(t, x_t.ndim, float64=True)
    ab_s = schedule.alpha_bar_at(t_prev, x_t.ndim, float64=True)
    alpha = ab_t / ab_s
    beta = 1 - alpha
    x0, _ = to_x0_eps(schedule, x_t, t=t, model_out=model_out, prediction=prediction, clip_x0=clip_x0)
    coef_x0 = (ab_s.sqrt() * beta / (1 - ab_t)).float()
    coef_xt = (alpha.sqrt() * (1 - ab_s) / (1 - ab_t)).float()
    mean = coef_x0 * x0 + coef_xt * x_t
    if noise is None:
        return mean
    var = beta * (1 - ab_s) / (1 - ab_t) if variance == "small" else beta
    sigma = torch.where(t_prev.reshape(var.shape) < 0, torch.zeros_like(var), var.sqrt()).float()
    return mean + sigma * noise


def ddpm_update(
    schedule: NoiseSchedule,
    *,
    prediction: str = "eps",
    noise: NoiseSource = None,
    variance: str = "small",
    clip_x0: float | None = None,
) -> StepUpdate:
    """update(x_t, t, t_prev, out, final) → x_{t_prev}: one ancestral step, noise-free when it ends at x_0."""

    def update(x, t, t_prev, out, final):
        z = None if final else draw_noise(noise, x)
        return ddpm_step(
            schedule,
            x,
            t=t,
            t_prev=t_prev,
            model_out=out,
            prediction=prediction,
            noise=z,
            variance=variance,
            clip_x0=clip_x0,
        )

    return update


def ddpm_sample(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x_T: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int | None = None,
    spacing: str = "trailing",
    noise: NoiseSource = None,
    variance: str = "small",
    clip_x0: float | None = None,
    callback: Callback | None = None,
    return_trajectory: bool = False,
):
    """Run the reverse chain from x_T; `steps=None` visits all T timesteps (Algorithm 2 exactly).
    `variance` is one of VARIANCES (checked by the sampler table)."""
    T = schedule.num_timesteps
    pairs = timestep_pairs(T, check_steps(T if steps is None else steps, T), spacing)
    step = ddpm_update(schedule, prediction=prediction, noise=noise, variance=variance, clip_x0=clip_x0)
    return run_loop(
        model_fn,
        x_T,
        pairs=pairs,
        update=over_pairs(step, pairs),
        callback=callback,
        return_trajectory=return_trajectory,
    )
