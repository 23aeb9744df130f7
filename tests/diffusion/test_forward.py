"""Golden tests (a) q(x_t | x_0) by Monte Carlo and (b) the posterior against an independent derivation."""

import numpy as np
import pytest
import torch

from genvision.diffusion import NoiseSchedule, q_posterior, q_sample


@pytest.mark.parametrize("t", [0, 250, 999])
def test_q_sample_moments_by_monte_carlo(t):
    s = NoiseSchedule()
    g = torch.Generator().manual_seed(t)
    x0 = torch.full((200_000, 1), 0.7)
    xt = q_sample(s, x0, torch.full((200_000,), t), torch.randn(x0.shape, generator=g))
    ab = float(np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))[t])
    assert xt.mean().item() == pytest.approx(np.sqrt(ab) * 0.7, abs=0.006)
    assert xt.var().item() == pytest.approx(1 - ab, rel=0.012, abs=2e-6)


def test_q_sample_at_minus_one_is_clean_data():
    s = NoiseSchedule()
    x0 = torch.randn(3, 2)
    assert torch.equal(q_sample(s, x0, torch.full((3,), -1), torch.randn(3, 2)), x0)


def test_posterior_is_the_bayes_product_of_two_gaussians():
    """q(x_{t-1}|x_t,x_0) ∝ N(x_t; √α_t x_{t-1}, β_t) · N(x_{t-1}; √ᾱ_{t-1} x_0, 1-ᾱ_{t-1}):
    precision = α_t/β_t + 1/(1-ᾱ_{t-1}); mean = (√α_t x_t/β_t + √ᾱ_{t-1} x_0/(1-ᾱ_{t-1})) / precision."""
    s = NoiseSchedule(name="cosine")
    from genvision.diffusion.schedules import make_betas

    betas = make_betas(s.config).numpy()
    ab = np.cumprod(1 - betas)
    t = np.array([1, 5, 300, 999])
    x0, xt = np.array([0.3, -0.8, 1.0, 0.1]), np.array([1.2, 0.4, -0.5, 2.0])
    prec = (1 - betas[t]) / betas[t] + 1 / (1 - ab[t - 1])
    mean = (np.sqrt(1 - betas[t]) * xt / betas[t] + np.sqrt(ab[t - 1]) * x0 / (1 - ab[t - 1])) / prec
    m, v, logv = q_posterior(
        s, torch.tensor(x0).float()[:, None], torch.tensor(xt).float()[:, None], torch.tensor(t)
    )
    np.testing.assert_allclose(m[:, 0].numpy(), mean, rtol=1e-4)
    np.testing.assert_allclose(v[:, 0].numpy(), 1 / prec, rtol=1e-4)
    np.testing.assert_allclose(logv[:, 0].numpy(), np.log(1 / prec), rtol=1e-5)
    # at t = 0 the posterior collapses onto x_0
    m0, v0, _ = q_posterior(s, torch.tensor([[0.25]]), torch.tensor([[3.0]]), torch.tensor([0]))
    assert m0.item() == pytest.approx(0.25, abs=1e-6) and v0.item() == 0
