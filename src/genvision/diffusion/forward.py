"""The forward process q(x_t | x_0) and the posterior q(x_{t-1} | x_t, x_0), in closed form.

    q(x_t | x_0)          = N(√ᾱ_t x_0, (1 - ᾱ_t) I)
    q(x_{t-1} | x_t, x_0) = N(c0_t x_0 + ct_t x_t, β̃_t I)      (coefficients in schedules.py)

Training draws x_t with q_sample; the DDPM sampler steps with the posterior.
"""

from __future__ import annotations

import torch

from genvision.diffusion.schedules import NoiseSchedule


def q_sample(schedule: NoiseSchedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε; t ∈ {-1, …, T-1} (t = -1 returns x_0)."""
    a = schedule.alpha_bar_at(t, x0.ndim)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def q_posterior(
    schedule: NoiseSchedule, x0: torch.Tensor, xt: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean, variance and clipped log-variance of q(x_{t-1} | x_t, x_0); variances broadcast as [B, 1, ...]."""
    mean = (
        schedule.lookup("posterior_mean_coef_x0", t, x0.ndim) * x0
        + schedule.lookup("posterior_mean_coef_xt", t, x0.ndim) * xt
    )
    var = schedule.lookup("posterior_variance", t, x0.ndim)
    log_var = schedule.lookup("posterior_log_variance_clipped", t, x0.ndim)
    return mean, var, log_var
