"""Conversions between the three things a denoiser may predict: ε, x_0 and v.

With a = √ᾱ_t and σ = √(1 - ᾱ_t), so that x_t = a x_0 + σ ε:
    ε-prediction: x_0 = (x_t - σ ε) / a
    x0-prediction: ε = (x_t - a x_0) / σ
    v-prediction (Salimans & Ho 2022): v = a ε - σ x_0,  x_0 = a x_t - σ v,  ε = σ x_t + a v
"""

from __future__ import annotations

import torch

from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import GenvisionError

PREDICTIONS = ("eps", "x0", "v")


def check_prediction(prediction: str) -> str:
    if prediction not in PREDICTIONS:
        raise GenvisionError(
            f"unknown prediction type {prediction!r}: choose one of {', '.join(PREDICTIONS)}"
        )
    return prediction


def to_x0_eps(
    schedule: NoiseSchedule,
    xt: torch.Tensor,
    t: torch.Tensor,
    model_out: torch.Tensor,
    prediction: str,
    clip_x0: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(x̂_0, ε̂) from a model output at timestep t ∈ {0, …, T-1}.

    With `clip_x0`, x̂_0 is clamped to [-clip_x0, clip_x0] and ε̂ recomputed from the clamped x̂_0, so that
    a sampler stays consistent with the clamped estimate.
    """
    alpha_bar = schedule.alpha_bar_at(t, xt.ndim)
    a, sigma = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    model_out = model_out.float()
    if prediction == "eps":
        eps = model_out
        x0 = (xt - sigma * eps) / a
    elif prediction == "x0":
        x0 = model_out
        eps = (xt - a * x0) / sigma
    elif prediction == "v":
        x0 = a * xt - sigma * model_out
        eps = sigma * xt + a * model_out
    else:
        check_prediction(prediction)
    if clip_x0 is not None:
        x0 = x0.clamp(-clip_x0, clip_x0)
        eps = (xt - a * x0) / sigma
    return x0, eps


def training_target(
    schedule: NoiseSchedule, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, prediction: str
) -> torch.Tensor:
    """What a model of the given prediction type should output for x_t = q_sample(x0, t, noise)."""
    if prediction == "eps":
        return noise
    if prediction == "x0":
        return x0
    if prediction == "v":
        alpha_bar = schedule.alpha_bar_at(t, x0.ndim)
        return alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * x0
    check_prediction(prediction)
    raise AssertionError
