"""DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): a multistep second-order solver of the probability-flow
ODE in its data-prediction form.

With α_t = √ᾱ_t, σ_t = √(1 - ᾱ_t), λ_t = log(α_t/σ_t), a step s → u (u < s in time, λ_u > λ_s),
h = λ_u - λ_s, and x̂_0 the model's data prediction:

    first order:  x_u = (σ_u/σ_s) x_s + α_u (1 - e^{-h}) x̂_0(s)                   (= DDIM, η = 0)
    second order: D = (1 + 1/(2r)) x̂_0(s) - 1/(2r) x̂_0(s'),   r = h'/h,  h' = λ_s - λ_{s'}
                  x_u = (σ_u/σ_s) x_s + α_u (1 - e^{-h}) D

s' is the previous step's timestep. The first step has no history and the final step (to clean data,
σ_u = 0, h = ∞) is first order: it returns x̂_0 — the lower-order final step.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from genvision.diffusion.predictions import to_x0_eps
from genvision.diffusion.samplers.base import Callback, ModelFn, run_loop
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import timestep_pairs


class History(NamedTuple):
    """The previous step's data prediction x̂_0(s') and its λ_{s'} ([B, 1, ...], float64)."""

    x0: torch.Tensor
    lam: torch.Tensor


def _alpha_sigma_lambda(schedule: NoiseSchedule, t: torch.Tensor, ndim: int):
    ab = schedule.alpha_bar_at(t, ndim, float64=True)
    alpha, sigma = ab.sqrt(), (1 - ab).sqrt()
    return alpha, sigma, alpha.log() - sigma.log()


def dpmpp_2m_step(
    schedule: NoiseSchedule,
    x_t: torch.Tensor,
    t: torch.Tensor,
    t_prev: torch.Tensor,
    model_out: torch.Tensor,
    prediction: str = "eps",
    history: History | None = None,
    clip_x0: float | None = None,
) -> tuple[torch.Tensor, History]:
    """One step x_t → x_{t_prev}: second order when `history` is given, else first order.

    Returns the new x and the History to pass to the next step.
    """
    x0, _ = to_x0_eps(schedule, x_t, t=t, model_out=model_out, prediction=prediction, clip_x0=clip_x0)
    alpha_s, sigma_s, lam_s = _alpha_sigma_lambda(schedule, t, x_t.ndim)
    alpha_u, sigma_u, _ = _alpha_sigma_lambda(schedule, t_prev, x_t.ndim)
    exp_neg_h = (sigma_u * alpha_s) / (alpha_u * sigma_s)  # e^{-h}, exactly 0 when σ_u = 0
    d = x0
    if history is not None:
        h = -exp_neg_h.log()
        r = (lam_s - history.lam) / h
        d = (1 + 1 / (2 * r)).float() * x0 - (1 / (2 * r)).float() * history.x0
    x_u = (sigma_u / sigma_s).float() * x_t + (alpha_u * (1 - exp_neg_h)).float() * d
    return x_u, History(x0, lam_s)


def dpmpp_2m_sample(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x_T: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int = 20,
    spacing: str = "trailing",
    clip_x0: float | None = None,
    callback: Callback | None = None,
    return_trajectory: bool = False,
    noise=None,
):
    """Sample with `steps` DPM-Solver++(2M) steps (deterministic; `noise` is accepted and unused)."""
    pairs = timestep_pairs(schedule.num_timesteps, steps, spacing)
    state: dict[str, History | None] = {"history": None}

    def update(i, x, t, t_prev, out):
        final = pairs[i][1] < 0
        x, history = dpmpp_2m_step(
            schedule,
            x,
            t=t,
            t_prev=t_prev,
            model_out=out,
            prediction=prediction,
            history=None if final else state["history"],
            clip_x0=clip_x0,
        )
        state["history"] = history
        return x

    return run_loop(
        model_fn, x_T, pairs=pairs, update=update, callback=callback, return_trajectory=return_trajectory
    )
