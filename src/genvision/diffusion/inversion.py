"""DDIM inversion (Song et al. 2021 §4.3; Mokady et al. 2022 eq. 3): the deterministic DDIM sampler run backwards.

With x̄ = x/√ᾱ and σ̄ = √(1-ᾱ)/√ᾱ, the DDIM step (η = 0) from t to s is one Euler step of dx̄/dσ̄ = ε̂:

    x̄_s = x̄_t + (σ̄_s − σ̄_t) ε̂          i.e.   x_s = √ᾱ_s x̂_0 + √(1-ᾱ_s) ε̂,  x̂_0 = (x_t − √(1-ᾱ_t) ε̂)/√ᾱ_t

The update is the same formula whichever way it runs, so inversion is `ddim_step` from s up to t with the
ε̂ of the pair's own step. ε̂(x_t, t) is unknown at that point (x_t is what we solve for), so it is taken at
the known point: ε̂(x_s, t).

Timestep alignment. The sampler visits pairs (t_0 → t_1), …, (t_{n-1} → -1) (`timestep_pairs`, trailing by
default). Inversion walks the same pairs in reverse, (-1 → t_{n-1}), …, (t_1 → t_0), and step (s → t)
calls the model at t, the timestep its mirror sampler step calls it at, with the input x_s. It never calls
the model at s (at the first step s = -1, a timestep the network was never trained on) and never at
t ± ⌊T/n⌋ (the offset slip of diffusers PR #5145 / issue #10695, whose inverse scheduler called the model one
step off the sampler's grid). `fixed_point` > 0 refines ε̂(x_s, t) into ε̂(x_t, t) by iterating
x_t ← step(x_s; ε̂(x_t, t)) (Pan et al. 2023), which is the exact inverse of the sampler's step when it converges.

x0- and v-models: their output is converted to ε̂ with the input the network saw, at the timestep it was told
(`to_x0_eps`), so the ε-form above holds for all three (a v output used as ε inverts to noise,
diffusers #2577). x̂_0 clipping is never applied: a clamp cannot be inverted.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genvision.diffusion.predictions import to_x0_eps
from genvision.diffusion.samplers import ModelFn, ddim_step, ddim_update, run_loop
from genvision.diffusion.samplers.base import over_pairs
from genvision.diffusion.schedules import NoiseSchedule, as_timesteps
from genvision.diffusion.timesteps import check_steps, sampling_timesteps

# callback(level, x): x has just reached grid level `level` (n = clean … 0 = the top)
LevelCallback = Callable[[int, torch.Tensor], None]


def sampler_grid(num_timesteps: int, steps: int, spacing: str = "trailing") -> list[int]:
    """Grid levels 0 … n of a `steps`-step sampler: the timesteps it visits, then -1 (clean data)."""
    return sampling_timesteps(num_timesteps, check_steps(steps, num_timesteps), spacing) + [-1]


def inversion_pairs(num_timesteps: int, steps: int, spacing: str = "trailing") -> list[tuple[int, int]]:
    """(s, t) for every inversion step, from the clean level up: the sampler's (t, s) pairs reversed."""
    grid = sampler_grid(num_timesteps, steps, spacing)
    return [(grid[k + 1], grid[k]) for k in reversed(range(len(grid) - 1))]


def start_level(steps: int, strength: float) -> int:
    """The grid level an edit of `strength` ∈ (0, 1] starts from: level n(1 − strength), rounded (0: x_T)."""
    return min(steps - 1, round(steps * (1.0 - strength)))


def to_eps(
    schedule: NoiseSchedule, x: torch.Tensor, t: torch.Tensor, out: torch.Tensor, prediction: str
) -> torch.Tensor:
    """ε̂ of a model output for input x at timestep t (no clipping)."""
    if prediction == "eps":
        return out.float()
    return to_x0_eps(schedule, x, t=t, model_out=out, prediction=prediction)[1]


def ddim_invert_step(
    schedule: NoiseSchedule, x_s: torch.Tensor, s: torch.Tensor, t: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """x_t from x_s (s < t) with ε̂ held fixed: the DDIM step run upwards, x_t = √ᾱ_t x̂_0 + √(1-ᾱ_t) ε̂."""
    return ddim_step(schedule, x_s, t=s, t_prev=t, model_out=eps, prediction="eps")


def ddim_invert(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    z0: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int = 50,
    spacing: str = "trailing",
    to_level: int = 0,
    fixed_point: int = 0,
    callback: LevelCallback | None = None,
) -> list[torch.Tensor]:
    """The inverted trajectory [x at level n (= z0), n-1, …, to_level]: clean data up to grid level `to_level`
    (0: x_T, the full inversion). Sampling from the last entry with the same model_fn returns ≈ z0."""
    grid = sampler_grid(schedule.num_timesteps, steps, spacing)
    n, batch = len(grid) - 1, z0.shape[0]
    x = z0.float()
    path = [x]
    for level in reversed(range(to_level, n)):
        s = as_timesteps(grid[level + 1], batch, x.device)
        t = as_timesteps(grid[level], batch, x.device)
        x_t = ddim_invert_step(schedule, x, s, t, to_eps(schedule, x, t, model_fn(x, t), prediction))
        for _ in range(fixed_point):
            x_t = ddim_invert_step(schedule, x, s, t, to_eps(schedule, x_t, t, model_fn(x_t, t), prediction))
        x = x_t
        path.append(x)
        if callback is not None:
            callback(level, x)
    return path


def ddim_from_level(
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x: torch.Tensor,
    grid: list[int],
    level: int = 0,
    *,
    prediction: str = "eps",
) -> torch.Tensor:
    """Deterministic DDIM (η = 0, no clipping) from grid level `level` down to clean data: sampling back from an
    inversion, or from SDEdit's noised start."""
    pairs = list(zip(grid[level:-1], grid[level + 1 :]))
    update = ddim_update(schedule, prediction=prediction)
    return run_loop(model_fn, x, pairs=pairs, update=over_pairs(update, pairs))
