"""Euler, or Heun with the 2nd-order correction, on Karras sigmas (Karras et al. 2022, Algorithm 1, S_churn = 0).

In the variance-exploding coordinates x̄ = x_t/√ᾱ_t, σ_t = √((1 - ᾱ_t)/ᾱ_t), the probability-flow ODE is
dx̄/dσ = (x̄ - D(x̄; σ))/σ = ε̂, with D = x̂_0 the model's data prediction. For N steps:

    σ_i = (σ_max^{1/ρ} + i/(N-1) (σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ,  i = 0 … N-1;   σ_N = 0      (eq. 5, ρ = 7)
    d_i = (x̄_i - D(x̄_i; σ_i))/σ_i,   x̄_{i+1} = x̄_i + (σ_{i+1} - σ_i) d_i                          (Euler)
    if σ_{i+1} > 0:   d' = (x̄_{i+1} - D(x̄_{i+1}; σ_{i+1}))/σ_{i+1},
                      x̄_{i+1} = x̄_i + (σ_{i+1} - σ_i) (d_i + d')/2                                (Heun)

A discrete-time network knows only its T noise levels, so each σ_i is snapped to the timestep whose σ_t is
nearest in log σ (σ_max = σ_{T-1}, σ_min = σ_0), kept strictly decreasing so that N steps visit N timesteps;
the steps then run over explicit (t_i, t_{i+1}) pairs, the last to t = -1 (σ = 0: it returns x̂_0). Order 1
is DDIM (η = 0) on this grid; order 2 costs 2N - 1 network calls. The timestep `spacing` and `noise` that
every sampler accepts are unused: the grid is Karras's and the sampler deterministic.
"""

from __future__ import annotations

import torch

from genvision.diffusion.predictions import to_x0_eps
from genvision.diffusion.samplers.base import Callback, ModelFn, NoiseSource, run_loop
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import check_steps


def karras_timesteps(schedule: NoiseSchedule, steps: int, rho: float = 7.0) -> list[int]:
    """The N = `steps` descending timesteps nearest (in log σ) to Karras's σ_0 … σ_{N-1}."""
    T = schedule.num_timesteps
    check_steps(steps, T)
    alpha_bar = schedule.alpha_bar_ext64[1:].cpu()
    log_sigma = 0.5 * ((1 - alpha_bar) / alpha_bar).log()  # increasing in t
    hi, lo = log_sigma[-1].exp() ** (1 / rho), log_sigma[0].exp() ** (1 / rho)
    ramp = torch.arange(steps, dtype=torch.float64) / max(steps - 1, 1)
    target = rho * (hi + ramp * (lo - hi)).log()  # log σ_i
    nearest = (log_sigma[None, :] - target[:, None]).abs().argmin(1).tolist()
    timesteps, above = [], T
    for i, t in enumerate(nearest):  # strictly decreasing, leaving room for the steps still to come
        above = max(min(t, above - 1), steps - 1 - i)
        timesteps.append(above)
    return timesteps


def euler_sample(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x_T: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int = 20,
    spacing: str = "trailing",
    order: int = 1,
    rho: float = 7.0,
    noise: NoiseSource = None,
    clip_x0: float | None = None,
    callback: Callback | None = None,
    return_trajectory: bool = False,
):
    """Sample with `steps` Euler (order 1) or Heun (order 2) steps on the Karras grid, ending at x_0."""
    ts = karras_timesteps(schedule, steps, rho)
    pairs = list(zip(ts, ts[1:] + [-1]))

    def eps(x: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return to_x0_eps(schedule, x, t=t, model_out=out, prediction=prediction, clip_x0=clip_x0)[1]

    def update(i: int, x: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, out: torch.Tensor):
        ab_t = schedule.alpha_bar_at(t, x.ndim, float64=True)
        ab_s = schedule.alpha_bar_at(t_prev, x.ndim, float64=True)
        sigma_t, sigma_s = ((1 - ab_t) / ab_t).sqrt(), ((1 - ab_s) / ab_s).sqrt()
        # in x_t = √ᾱ x̄:  x_s = √(ᾱ_s/ᾱ_t) x_t + √ᾱ_s (σ_s - σ_t) d
        scale, slope = (ab_s / ab_t).sqrt().float(), (ab_s.sqrt() * (sigma_s - sigma_t)).float()
        d = eps(x, t, out)
        x_s = scale * x + slope * d
        if order == 2 and pairs[i][1] >= 0:  # Heun's correction, except on the step to σ = 0
            x_s = scale * x + slope * (d + eps(x_s, t_prev, model_fn(x_s, t_prev))) / 2
        return x_s

    return run_loop(
        model_fn, x_T, pairs=pairs, update=update, callback=callback, return_trajectory=return_trajectory
    )
