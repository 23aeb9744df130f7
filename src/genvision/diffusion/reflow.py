"""Reflow (Liu et al. 2022; one round, Lee et al. 2024) for a VP diffusion model: the diffusion loss on COUPLED pairs.

A pair is (ε ~ N(0, I), x = teacher_sampler(ε)) — the teacher's own default sampler, so the student can learn the
teacher's best sampling and not only its DDIM path. With α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t) the student is trained as
a diffusion model whose noise is the pair's ε instead of a fresh draw:

    t ~ U{0, …, T−1},   z_t = α_t x + σ_t ε,   L = E ‖f_θ(z_t, t) − f*(x, ε, t)‖²
    f* = ε (eps),  x (x0),  α_t ε − σ_t x (v)

A student that fits f* exactly has x̂_0 = x and ε̂ = ε at every z_t on the pair's line, and the DDIM path of a
constant (x̂_0, ε̂) is z_s = α_s x̂_0 + σ_s ε̂: from z_T ≈ ε it lands on x in any number of DDIM steps. z_t is the
forward process's q_sample(x, t, ε) and f* its training_target: reflow is the diffusion loss with the pair's ε.
"""

from __future__ import annotations

import torch

from genvision.diffusion.losses import diffusion_loss
from genvision.diffusion.samplers.base import ModelFn
from genvision.diffusion.schedules import NoiseSchedule


def reflow_loss(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x: torch.Tensor,
    eps: torch.Tensor,
    t: torch.Tensor,
    prediction: str,
) -> torch.Tensor:
    """Per-sample ‖f_θ(z_t, t) − f*‖² (mean over pixels): the diffusion loss with the pair's ε as its noise."""
    return diffusion_loss(model_fn, schedule, x0=x, t=t, noise=eps, prediction=prediction)
