"""Golden tests of the Euler / Heun sampler on Karras sigmas (diffusion/samplers/euler.py).

For x_0 ~ N(μ, s²) the probability-flow ODE in x̄ = x/√ᾱ, σ = √((1-ᾱ)/ᾱ) has the closed-form solution
x̄(σ) = μ + (x̄(σ_max) - μ) √(s² + σ²)/√(s² + σ_max²), so the exact flow from σ_max to 0 is known: Euler must
approach it at first order, Heun at second; both must reproduce the data's mean and variance. Order 1 is
DDIM (η = 0) on the same grid, which `ddim_step` checks independently.
"""

import numpy as np
import pytest
import torch

from genvision.diffusion import NoiseSchedule
from genvision.diffusion.samplers import ddim_step, sample
from genvision.diffusion.samplers.euler import karras_timesteps
from tests.diffusion.test_samplers import MU, STD, assert_moments, draw, gaussian_model


def exact_flow(s: NoiseSchedule, x_T: torch.Tensor) -> np.ndarray:
    """x_0 of the exact probability-flow ODE from x_T at t = T-1, in float64."""
    ab = float(s.alpha_bar_ext64[-1])
    sigma_max, mu, s2 = np.sqrt((1 - ab) / ab), MU.double().numpy(), STD.double().numpy() ** 2
    return mu + (x_T.double().numpy() / np.sqrt(ab) - mu) * np.sqrt(s2 / (s2 + sigma_max**2))


def test_heun_40_reproduces_the_data_moments():
    s = NoiseSchedule()
    x_T, _ = draw(10_000)
    x = sample("euler", gaussian_model(s), s, x_T, steps=40, order=2)
    assert_moments(x, mean_tol=0.02, var_rel=0.05)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_euler_is_first_order_and_heun_second_order_towards_the_exact_flow(schedule):
    s = NoiseSchedule(name=schedule)
    x_T, _ = draw(256)
    exact = exact_flow(s, x_T)
    err = {}
    for order in (1, 2):
        for steps in (40, 80, 160):
            x = sample("euler", gaussian_model(s), s, x_T, steps=steps, order=order).double().numpy()
            err[order, steps] = np.abs(x - exact).max()
    for steps in (40, 80):  # halving the step: error / 2 at first order, / 4 at second
        assert 1.6 < err[1, steps] / err[1, 2 * steps] < 2.5, err
        assert 3.0 < err[2, steps] / err[2, 2 * steps] < 5.5, err
    assert err[2, 160] < err[1, 160] / 10


def test_order_1_is_ddim_on_the_karras_grid():
    s = NoiseSchedule(name="cosine")
    x_T, _ = draw(64)
    model = gaussian_model(s, "v")
    got = sample("euler", model, s, x_T, prediction="v", steps=12, clip_x0=1.5)
    ts = karras_timesteps(s, 12)
    x = x_T
    for t, u in zip(ts, ts[1:] + [-1]):
        tt, uu = torch.full((64,), t), torch.full((64,), u)
        x = ddim_step(s, x, tt, uu, model(x, tt), prediction="v", clip_x0=1.5)
    torch.testing.assert_close(got, x, rtol=1e-4, atol=1e-4)


def test_karras_timesteps_follow_eq_5_and_stay_distinct():
    s = NoiseSchedule()
    ab = s.alpha_bar_ext64[1:].numpy()
    log_sigma = 0.5 * np.log((1 - ab) / ab)
    rho, n = 7.0, 10
    ramp = np.arange(n) / (n - 1)
    hi, lo = np.exp(log_sigma[-1]) ** (1 / rho), np.exp(log_sigma[0]) ** (1 / rho)
    wanted = rho * np.log(hi + ramp * (lo - hi))  # log σ_i of Karras et al. eq. 5
    assert karras_timesteps(s, n) == [int(np.abs(log_sigma - w).argmin()) for w in wanted]
    assert karras_timesteps(s, 1) == [999]
    assert karras_timesteps(NoiseSchedule(num_timesteps=20), 20) == list(range(19, -1, -1))
    for steps in (3, 50, 400):  # more steps than the low-σ end has timesteps: still distinct
        ts = karras_timesteps(s, steps)
        assert len(ts) == steps and ts[0] == 999 and all(a > b >= 0 for a, b in zip(ts, ts[1:]))


def test_heun_calls_the_network_twice_per_step_except_the_last():
    s = NoiseSchedule(num_timesteps=100)
    calls = []

    def model(x, t):
        calls.append(int(t[0]))
        return 0.1 * x

    sample("euler", model, s, torch.randn(2, 3), steps=6, order=2)
    assert len(calls) == 2 * 6 - 1
    calls.clear()
    sample("euler", model, s, torch.randn(2, 3), steps=6, order=1)
    assert len(calls) == 6
