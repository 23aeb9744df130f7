"""Golden test (c): for data x_0 ~ N(μ, s²I) the ideal noise predictor has the closed form

    E[ε | x_t] = √(1-ᾱ_t) (x_t - √ᾱ_t μ) / (ᾱ_t s² + 1 - ᾱ_t),

so a correct sampler driven by it must return samples with mean μ and variance s². Deterministic samplers
are affine maps of x_T here, so they are also checked, to 1e-3, against independent float64 re-derivations.
"""

import numpy as np
import pytest
import torch

from genvision.diffusion import NoiseSchedule
from genvision.diffusion.samplers import ddim_step, ddpm_step, dpmpp_2m_step, sample
from genvision.diffusion.schedules import make_betas
from genvision.diffusion.timesteps import timestep_pairs
from genvision.errors import GenvisionError
from genvision.seeding import PerImageRNG

# four (μ, s) pairs, each repeated over 4 of the 16 dimensions; moments are pooled per pair
MU = torch.tensor([0.5, -0.3, 0.0, 1.0]).repeat(4)
STD = torch.tensor([0.5, 0.8, 1.0, 1.2]).repeat(4)


def gaussian_model(schedule: NoiseSchedule, prediction: str = "eps"):
    """The exact E[ε|x_t] (or E[x_0|x_t], E[v|x_t]) for x_0 ~ N(MU, diag(STD²)), in float64."""
    mu, s2 = MU.double(), STD.double() ** 2

    def model_fn(x, t):
        ab = schedule.alpha_bar_at(t[:1], x.ndim, float64=True)  # samplers pass one t for the whole batch
        a, sig = ab.sqrt(), (1 - ab).sqrt()
        eps = sig * (x.double() - a * mu) / (ab * s2 + 1 - ab)
        x0 = (x.double() - sig * eps) / a
        return {"eps": eps, "x0": x0, "v": a * eps - sig * x0}[prediction].float()

    return model_fn


def draw(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Generator]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, len(MU), generator=g), g


def assert_moments(x: torch.Tensor, mean_tol: float, var_rel: float):
    pooled = (x - MU).reshape(-1, 4, 4).transpose(0, 1).reshape(-1, 4)  # [N·4, pair]
    mean, var = pooled.mean(0) + MU[:4], pooled.var(0)
    assert torch.allclose(mean, MU[:4], atol=mean_tol), (mean, MU[:4])
    ratio = var / STD[:4] ** 2
    assert torch.allclose(ratio, torch.ones_like(ratio), atol=var_rel), ratio


def test_ddpm_1000_ancestral_reproduces_data_moments():
    s = NoiseSchedule()  # linear, as in the DDPM paper
    x_T, g = draw(10_000)
    x = sample("ddpm", gaussian_model(s), s, x_T, noise=g)  # all 1000 steps
    assert_moments(x, mean_tol=0.02, var_rel=0.025)


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_ddim_50_deterministic_moments(prediction):
    s = NoiseSchedule(name="cosine")
    x_T, _ = draw(10_000)
    x = sample("ddim", gaussian_model(s, prediction), s, x_T, prediction=prediction, steps=50)
    # DDIM is Euler's method on the probability-flow ODE: 50 steps lose ≈5% of the variance here
    # (reproduced independently in test_deterministic_samplers_match_float64_reference)
    assert_moments(x, mean_tol=0.02, var_rel=0.075)


def test_dpmpp_20_moments():
    s = NoiseSchedule(name="cosine")
    x_T, _ = draw(10_000)
    x = sample("dpmpp", gaussian_model(s), s, x_T, steps=20)
    assert_moments(x, mean_tol=0.02, var_rel=0.035)


def test_second_order_solver_converges_faster_than_ddim():
    s = NoiseSchedule()
    x_T, _ = draw(5_000)
    err = {}
    for name in ("ddim", "dpmpp"):
        for steps in (25, 100):
            x = sample(name, gaussian_model(s), s, x_T, steps=steps)
            err[name, steps] = (x.var(0) / x_T.var(0) - STD**2).abs().max().item()
    assert err["dpmpp", 100] < 0.005 and err["dpmpp", 100] < err["ddim", 100] / 5
    assert err["ddim", 100] < err["ddim", 25] / 2.5  # first order: error ∝ 1/steps


def _reference_ddim(betas, pairs, x_T, mu, s2):
    """DDIM η=0 as Euler steps in (x̄ = x/√ᾱ, σ̄ = √((1-ᾱ)/ᾱ)): x̄_s = x̄_t + (σ̄_s - σ̄_t) ε."""
    ab = np.concatenate([[1.0], np.cumprod(1 - betas)])  # index t + 1
    x = x_T.copy()
    for t, u in pairs:
        a_t, a_u = ab[t + 1], ab[u + 1]
        eps = np.sqrt(1 - a_t) * (x - np.sqrt(a_t) * mu) / (a_t * s2 + 1 - a_t)
        xbar = x / np.sqrt(a_t) + (np.sqrt((1 - a_u) / a_u) - np.sqrt((1 - a_t) / a_t)) * eps
        x = xbar * np.sqrt(a_u)
    return x


def _reference_dpmpp(betas, pairs, x_T, mu, s2):
    """DPM-Solver++(2M), Lu et al. 2022 Algorithm 2, written out in float64."""
    ab = np.concatenate([[1.0], np.cumprod(1 - betas)])
    lam = lambda t: 0.5 * np.log(ab[t + 1] / (1 - ab[t + 1])) if t >= 0 else np.inf  # noqa: E731
    x, prev = x_T.copy(), None
    for t, u in pairs:
        a_t, s_t = np.sqrt(ab[t + 1]), np.sqrt(1 - ab[t + 1])
        a_u, s_u = np.sqrt(ab[u + 1]), np.sqrt(1 - ab[u + 1])
        x0 = mu + s2 * a_t * (x - a_t * mu) / (ab[t + 1] * s2 + 1 - ab[t + 1])  # E[x_0 | x_t]
        if u < 0:
            x_new = x0
        else:
            h = lam(u) - lam(t)
            d = x0
            if prev is not None:
                r = (lam(t) - lam(prev[1])) / h
                d = (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * prev[0]
            x_new = s_u / s_t * x - a_u * (np.exp(-h) - 1) * d
        prev, x = (x0, t), x_new
    return x


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize(
    "name,steps,spacing",
    [("ddim", 50, "trailing"), ("ddim", 7, "leading"), ("dpmpp", 20, "trailing"), ("dpmpp", 9, "linspace")],
)
def test_deterministic_samplers_match_float64_reference(schedule, name, steps, spacing):
    s = NoiseSchedule(name=schedule)
    x_T, _ = draw(64)
    got = sample(name, gaussian_model(s), s, x_T, steps=steps, spacing=spacing).double().numpy()
    ref_fn = _reference_ddim if name == "ddim" else _reference_dpmpp
    ref = ref_fn(
        make_betas(s.config).numpy(),
        timestep_pairs(1000, steps, spacing),
        x_T.double().numpy(),
        MU.double().numpy(),
        STD.double().numpy() ** 2,
    )
    np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3)


def test_single_steps_agree_with_the_full_chain_algorithm_2():
    """ddpm_step over (t, t-1) is Algorithm 2: x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε)/√α_t + σ_t z."""
    s = NoiseSchedule()
    x, eps, z = torch.randn(3, 2), torch.randn(3, 2), torch.randn(3, 2)
    t = torch.tensor([500, 10, 1])
    b, ab = s.betas[t][:, None], s.alpha_bar[t][:, None]
    sigma = s.posterior_variance[t][:, None].sqrt()
    expected = (x - b / (1 - ab).sqrt() * eps) / (1 - b).sqrt() + sigma * z
    torch.testing.assert_close(ddpm_step(s, x, t, t - 1, eps, noise=z), expected, rtol=1e-4, atol=1e-5)
    large = ddpm_step(s, x, t, t - 1, eps, noise=z, variance="large")
    torch.testing.assert_close(large - (expected - sigma * z), b.sqrt() * z, rtol=1e-4, atol=1e-5)
    # the last step (t = 0 → clean data) adds no noise and returns x̂_0
    t0 = torch.zeros(3, dtype=torch.int64)
    x0_hat = (x - (1 - s.alpha_bar[0]).sqrt() * eps) / s.alpha_bar[0].sqrt()
    torch.testing.assert_close(ddpm_step(s, x, t0, t0 - 1, eps, noise=z), x0_hat, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ddim_step(s, x, t0, t0 - 1, eps), x0_hat, rtol=1e-5, atol=1e-5)
    out, _ = dpmpp_2m_step(s, x, t0, t0 - 1, eps)
    torch.testing.assert_close(out, x0_hat, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["ddpm", "ddim"])
def test_per_image_noise_is_batch_size_independent(name):
    s = NoiseSchedule(num_timesteps=50)
    model = lambda x, t: 0.3 * x  # noqa: E731
    kw = {"steps": 10, "eta": 1.0} if name == "ddim" else {"steps": 10}
    small = sample(
        name, model, s, PerImageRNG(7, range(3)).randn(1, 4, 4), noise=PerImageRNG(7, range(3)), **kw
    )
    big = sample(
        name, model, s, PerImageRNG(7, range(6)).randn(1, 4, 4), noise=PerImageRNG(7, range(6)), **kw
    )
    torch.testing.assert_close(small, big[:3], rtol=0, atol=0)
    other = sample(
        name, model, s, PerImageRNG(8, range(3)).randn(1, 4, 4), noise=PerImageRNG(8, range(3)), **kw
    )
    assert not torch.allclose(small, other)


@pytest.mark.parametrize("name", ["ddpm", "ddim", "dpmpp"])
def test_trajectory_and_callback(name):
    s = NoiseSchedule(num_timesteps=100)
    x_T = torch.randn(2, 1, 3, 3)
    seen = []

    def callback(i, t_prev, x):
        seen.append(int(t_prev[0]))
        return x.clone().index_fill_(3, torch.tensor([0]), 0.0)  # paste a known column

    x0, traj = sample(
        name,
        lambda x, t: 0.5 * x,
        s,
        x_T,
        steps=5,
        noise=torch.Generator().manual_seed(0),
        callback=callback,
        return_trajectory=True,
    )
    assert len(traj) == 6 and traj[0] is x_T and torch.equal(traj[-1], x0)
    assert seen == [79, 59, 39, 19, -1]
    assert (x0[..., 0] == 0).all()


def test_sample_errors():
    s = NoiseSchedule(num_timesteps=100)
    x_T = torch.randn(1, 2)
    with pytest.raises(GenvisionError, match="unknown sampler 'plms'"):
        sample("plms", lambda x, t: x, s, x_T)
    with pytest.raises(GenvisionError, match="eta applies to the ddim sampler, not 'dpmpp'"):
        sample("dpmpp", lambda x, t: x, s, x_T, eta=0.5)
    with pytest.raises(GenvisionError, match=r"steps must be an integer in \[1, 100\]"):
        sample("ddim", lambda x, t: x, s, x_T, steps=101)
    with pytest.raises(GenvisionError, match="unknown prediction type"):
        sample("ddim", lambda x, t: x, s, x_T, prediction="score")
    with pytest.raises(GenvisionError, match=r"variance='learned' \(ddpm\): choose one of small, large"):
        sample("ddpm", lambda x, t: x, s, x_T, variance="learned")
    with pytest.raises(GenvisionError, match=r"eta=1.5 \(ddim\): give a number in \[0.0, 1.0\]"):
        sample("ddim", lambda x, t: x, s, x_T, eta=1.5)
    with pytest.raises(
        GenvisionError, match=r"unknown option 'etta' for the ddim sampler \(its options: eta\)"
    ):
        sample("ddim", lambda x, t: x, s, x_T, etta=0.5)
