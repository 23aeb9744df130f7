"""DDIM inversion against closed forms: for x_0 ~ N(μ, s²I) the ideal ε-predictor is exact (linear schedule, as the shipped bundles)
(tests/diffusion/test_samplers.py), so inversion followed by DDIM sampling must return the input up to the ODE
discretisation's error, which is first order in the step (halving it as steps double), and vanishes when the
fixed-point refinement solves each step's implicit equation exactly."""

import pytest
import torch

from genvision.diffusion import NoiseSchedule
from genvision.diffusion.inversion import (
    ddim_invert,
    ddim_invert_step,
    inversion_pairs,
    sampler_grid,
    start_level,
)
from genvision.diffusion.null_text import NullTextSchedule, optimise_nulls
from genvision.diffusion.samplers import ddim_step, sample
from genvision.diffusion.schedules import as_timesteps
from genvision.diffusion.timesteps import timestep_pairs
from tests.diffusion.test_samplers import MU, STD, gaussian_model


def data(n: int = 512, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return MU + STD * torch.randn(n, len(MU), generator=g)


def round_trip(schedule, prediction: str, steps: int, refine: int = 0, spacing: str = "trailing"):
    model = gaussian_model(schedule, prediction)
    x0 = data()
    z_T = ddim_invert(
        model, schedule, x0, prediction=prediction, steps=steps, spacing=spacing, fixed_point=refine
    )[-1]
    back = sample("ddim", model, schedule, z_T, prediction=prediction, steps=steps, spacing=spacing)
    return (back - x0).abs().max().item(), z_T


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_round_trip_error_is_first_order_in_the_step(prediction):
    s = NoiseSchedule()
    e50, _ = round_trip(s, prediction, 50)
    e100, _ = round_trip(s, prediction, 100)
    assert e50 < 0.15, e50  # max |error| over 8192 values; returns the input to the discretisation's accuracy
    assert 0.35 < e100 / e50 < 0.65, (e50, e100)  # first order: doubling the steps halves the error


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_fixed_point_refinement_inverts_the_sampler_exactly(prediction):
    s = NoiseSchedule()
    plain, _ = round_trip(s, prediction, 20)
    exact, _ = round_trip(s, prediction, 20, refine=30)
    assert exact < 1e-3 < plain and exact < plain / 50, (plain, exact)


def test_inverted_latents_follow_the_prior():
    """Inverting data must land on the noise distribution N(0, I) (a v model read as ε would not, diffusers #2577)."""
    s = NoiseSchedule()
    for prediction in ("eps", "v"):
        _, z_T = round_trip(s, prediction, 50)
        assert abs(z_T.mean().item()) < 0.05 and abs(z_T.std().item() - 1) < 0.05, prediction


def test_the_inverse_step_undoes_the_ddim_step_for_a_fixed_eps():
    s = NoiseSchedule()
    x_s, eps = torch.randn(4, 3, 5, 5, dtype=torch.float64).float(), torch.randn(4, 3, 5, 5)
    for a, b in [(-1, 19), (19, 39), (500, 999)]:
        t, u = as_timesteps(b, 4, "cpu"), as_timesteps(a, 4, "cpu")
        x_t = ddim_invert_step(s, x_s, u, t, eps)
        assert torch.allclose(ddim_step(s, x_t, t=t, t_prev=u, model_out=eps), x_s, atol=1e-5)


@pytest.mark.parametrize("spacing", ["trailing", "leading", "linspace"])
def test_inversion_calls_the_model_at_the_samplers_timesteps_in_reverse(spacing):
    """The alignment: step (s → t) evaluates the model at t, the timestep of its mirror sampler step, never at
    s (-1 at the first step) and never one grid step off (diffusers PR #5145 / issue #10695)."""
    s = NoiseSchedule()
    seen = []

    def model(x, t):
        seen.append(int(t[0]))
        return torch.zeros_like(x)

    ddim_invert(model, s, torch.zeros(1, 2), steps=10, spacing=spacing)
    sampler = [t for t, _ in timestep_pairs(1000, 10, spacing)]
    assert seen == sampler[::-1]
    assert inversion_pairs(1000, 10, spacing) == [(b, a) for a, b in timestep_pairs(1000, 10, spacing)][::-1]


def test_the_off_by_one_alignment_is_measurably_worse():
    """Calling the model at the source timestep s (clamped to 0 at the first step), as an inverse scheduler with
    the first-step offset does, loses accuracy against the aligned choice."""
    s = NoiseSchedule()
    model, x0 = gaussian_model(s), data()
    grid = sampler_grid(1000, 20)
    x = x0
    for k in reversed(range(20)):
        src, tgt = as_timesteps(grid[k + 1], len(x), "cpu"), as_timesteps(grid[k], len(x), "cpu")
        x = ddim_invert_step(s, x, src, tgt, model(x, src.clamp(min=0)))
    off = (sample("ddim", model, s, x, steps=20) - x0).abs().max().item()
    aligned, _ = round_trip(s, "eps", 20)
    assert aligned < off / 2, (aligned, off)


def test_partial_inversion_stops_at_the_strengths_level():
    s = NoiseSchedule()
    path = ddim_invert(gaussian_model(s), s, data(8), steps=50, to_level=start_level(50, 0.3))
    assert start_level(50, 0.3) == 35 and len(path) == 50 - 35 + 1
    assert start_level(50, 1.0) == 0 and start_level(50, 1e-6) == 49


def test_null_text_lands_the_guided_step_on_the_pivot():
    """A guided 'model' whose null branch depends on a learnable offset: the fitted offsets make the guided
    trajectory retrace the unguided pivot far better than the null start does."""
    s = NoiseSchedule()
    model = gaussian_model(s)
    x0 = data(16)
    grid = sampler_grid(1000, 10)
    pivot = ddim_invert(model, s, x0, steps=10, fixed_point=10)[::-1]

    def null_branch(x, t, p):
        return model(x, t) + 0.3 + p["shift"]  # the null prediction is off by 0.3 unless shift = -0.3

    start = {"shift": torch.zeros(16, 1)}
    for plan, bound in [
        (NullTextSchedule(iterations=0), None),
        (NullTextSchedule(iterations=60, lr=0.05), 1e-3),
    ]:
        nulls, z, _ = optimise_nulls(null_branch, model, s, pivot, grid, start, guidance=3.0, plan=plan)
        err = (z - pivot[-1]).abs().max().item()
        if bound is None:
            assert err > 0.1, err
        else:
            assert err < bound, err
            assert abs(nulls[-1]["shift"].mean().item() + 0.3) < 0.02
