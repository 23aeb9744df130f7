"""Training losses: L_simple and its x0 / v variants, with optional min-SNR-γ weighting.

    L = E_{t, x_0, ε} w(t) ‖target - model(x_t, t)‖²,   x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε

Uniform w gives DDPM's L_simple (ε target). Min-SNR-γ (Hang et al. 2023) weights the equivalent x_0 error by
min(SNR_t, γ); expressed for each target this is
    ε: min(SNR, γ) / SNR,    x0: min(SNR, γ),    v: min(SNR, γ) / (SNR + 1).
"""

from __future__ import annotations

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.predictions import check_prediction, training_target
from genvision.diffusion.samplers.base import ModelFn
from genvision.diffusion.schedules import NoiseSchedule
from genvision.seeding import Draws, draw_integers


def min_snr_weight(schedule: NoiseSchedule, t: torch.Tensor, prediction: str, gamma: float) -> torch.Tensor:
    """Per-sample weights [B] for min-SNR-γ with the given prediction target."""
    snr = schedule.snr(t)
    clipped = snr.clamp(max=gamma)
    if prediction == "eps":
        return clipped / snr
    if prediction == "x0":
        return clipped
    if prediction == "v":
        return clipped / (snr + 1)
    check_prediction(prediction)
    raise AssertionError


def sample_timesteps(
    schedule: NoiseSchedule, batch: int, generator: Draws | None, device: torch.device
) -> torch.Tensor:
    """Uniform t ∈ {0, …, T-1}, int64 [batch] (one per sample from a SampleRandom)."""
    if generator is None:
        return torch.randint(0, schedule.num_timesteps, (batch,), device=device)
    return draw_integers(schedule.num_timesteps, (batch,), generator, device)


def diffusion_loss(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x0: torch.Tensor,
    t: torch.Tensor,
    noise: torch.Tensor,
    prediction: str = "eps",
    min_snr_gamma: float | None = None,
) -> torch.Tensor:
    """Per-sample loss [B] (mean over pixels, fp32) of `model_fn` on x_t = q_sample(x0, t, noise)."""
    xt = q_sample(schedule, x0, t, noise)
    target = training_target(schedule, x0, noise=noise, t=t, prediction=prediction)
    err = (model_fn(xt, t).float() - target.float()).pow(2).flatten(1).mean(1)
    if min_snr_gamma is not None:
        err = err * min_snr_weight(schedule, t, prediction, min_snr_gamma)
    return err
