"""Closed-form KL, likelihoods and bits/dim against torch.distributions."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from genvision.losses.kl import bits_per_dim, elbo_terms, reconstruction_nll
from genvision.nn.distributions import DiagonalGaussian, gaussian_kl


def test_gaussian_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(5, 3, 4, 4, generator=gen), torch.randn(5, 3, 4, 4, generator=gen)
    q = Independent(Normal(mean, (0.5 * logvar).exp()), 3)
    p = Independent(Normal(torch.zeros_like(mean), torch.ones_like(mean)), 3)
    assert torch.allclose(gaussian_kl(mean, logvar), kl_divergence(q, p), atol=1e-5)


def test_kl_is_zero_only_at_the_prior():
    zero = torch.zeros(2, 8)
    assert torch.allclose(gaussian_kl(zero, zero), torch.zeros(2))
    assert (gaussian_kl(zero + 0.1, zero) > 0).all()


def test_reparameterised_sample_has_the_posterior_moments_and_gradients():
    mean = torch.full((20000, 2), 1.5, requires_grad=True)
    logvar = torch.full((20000, 2), math.log(0.25), requires_grad=True)
    z = DiagonalGaussian(mean, logvar).sample(torch.Generator().manual_seed(1))
    assert abs(z.mean().item() - 1.5) < 0.02 and abs(z.std().item() - 0.5) < 0.02
    z.sum().backward()
    assert torch.allclose(mean.grad, torch.ones_like(mean))  # dz/dμ = 1
    assert logvar.grad.abs().sum() > 0  # dz/dlogσ² = ½ σ ε


def test_gaussian_and_bernoulli_nll_match_log_prob():
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(4, 1, 5, 5, generator=gen) * 2 - 1
    mean = torch.randn(4, 1, 5, 5, generator=gen)
    expected = -Independent(Normal(mean, 0.3), 3).log_prob(x)
    assert torch.allclose(reconstruction_nll(x, mean, "gaussian", sigma=0.3), expected, atol=1e-4)
    binary = (x > 0).float() * 2 - 1
    logits = torch.randn(4, 1, 5, 5, generator=gen)
    expected = -Independent(Bernoulli(logits=logits), 3).log_prob((binary + 1) / 2)
    assert torch.allclose(reconstruction_nll(binary, logits, "bernoulli"), expected, atol=1e-4)


def test_bits_per_dim_rescales_to_the_8bit_pixel_scale():
    # a uniform density on [-1, 1] (½ per dim) is uniform on [0, 255]: log2(255) bits per dim
    dims = 784
    nll = torch.tensor([dims * math.log(2.0)])
    assert torch.allclose(bits_per_dim(nll, dims, "gaussian"), torch.tensor([math.log2(255.0)]), atol=1e-5)
    assert torch.allclose(bits_per_dim(nll, dims, "bernoulli"), torch.tensor([1.0]))


def test_elbo_terms_combine_with_beta():
    x = torch.zeros(3, 1, 2, 2)
    post = DiagonalGaussian(torch.ones(3, 4), torch.zeros(3, 4))
    terms = elbo_terms(x, torch.zeros_like(x), post, "gaussian", sigma=1.0)
    assert torch.allclose(terms.kl, torch.full((3,), 2.0))  # ½ · 4 · 1²
    assert torch.allclose(terms.elbo, -(terms.nll + 2.0))
    assert torch.isclose(terms.loss(beta=0.5), (terms.nll + 1.0).mean())


def test_dequantized_bits_per_dim_of_a_uniform_density_is_eight():
    """Closed form: a uniform density on [-1, 1]^D has −log p = D log 2 nats at every dequantised point; one
    8-bit level is 2/256 wide, so the mass per level is 1/256: exactly 8 bits per dimension."""
    from genvision.losses.kl import dequantize, dequantized_bits_per_dim

    dims = 784
    assert torch.allclose(
        dequantized_bits_per_dim(torch.tensor([dims * math.log(2.0)]), dims), torch.tensor([8.0])
    )
    levels = torch.arange(256.0).reshape(1, 1, 16, 16)
    x = levels / 127.5 - 1.0
    y = dequantize(x, torch.Generator().manual_seed(0))
    # each value lands inside its own level's bin [k/128 − 1, (k+1)/128 − 1): dequantisation keeps the level
    assert torch.equal(torch.floor((y + 1.0) * 128.0), levels)
    assert float((y - (levels / 128.0 - 1.0)).mean() * 128) == pytest.approx(0.5, abs=0.05)
