"""The Gaussian VAE objective: closed-form KL to N(0, I), decoder likelihoods, ELBO and bits per dimension.

For q(z|x) = N(μ, diag σ²) and p(z) = N(0, I) in k dimensions (the report's boxed identity):

    KL(q ‖ p) = ½ [μᵀμ + tr Σ − k − log|Σ|] = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)

The ELBO is  E_q[log p(x|z)] − KL(q ‖ p) ≤ log p(x); we minimise its negative. Decoder likelihoods:

- "gaussian":  p(x|z) = N(x; x̂(z), σ_x² I) with a fixed σ_x (in the [-1, 1] image scale), so
               −log p(x|z) = Σ_i (x_i − x̂_i)² / (2σ_x²) + D (log σ_x + ½ log 2π)  — MSE up to scale and constant.
- "bernoulli": p(x|z) = Π_i Bern(b_i; sigmoid(ℓ_i)) with b = (x + 1) / 2 ∈ [0, 1], i.e. binary cross-entropy.
               It is an exact likelihood for binary data; for grey levels it is the usual cross-entropy surrogate.

Bits per dimension are reported on the 8-bit pixel scale [0, 256): a continuous density on [-1, 1] becomes one on
[0, 256) by the change of variables x₂₅₆ = 127.5 (x + 1) (adding D log 127.5 nats), then
bits/dim = NLL / (D ln 2). For the Bernoulli decoder the NLL is already a probability mass, so no rescaling.
What the literature reports for continuous decoders is bits/dim with uniform dequantisation (Theis et al. 2016):
8-bit levels k become y = (k + u) / 128 − 1 with u ~ U[0, 1), the bound is evaluated on y, and one level's width
2/256 turns the density into a probability mass: bits/dim = (−ELBO(y) + D log 128) / (D ln 2), a lower bound on the
discrete model's log-likelihood. A uniform density on [-1, 1]^D gives exactly 8 bits/dim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genvision.nn.distributions import LIKELIHOODS, DiagonalGaussian, Likelihood

PIXEL_SCALE = 127.5  # [-1, 1] → [0, 255]: x₂₅₆ = 127.5 (x + 1)


def reconstruction_nll(
    x: torch.Tensor, decoder_out: torch.Tensor, likelihood: Likelihood = "gaussian", sigma: float = 0.1
) -> torch.Tensor:
    """−log p(x|z) per example [B] in nats; `decoder_out` is the mean x̂ (gaussian) or the logits ℓ (bernoulli)."""
    x, out = x.float(), decoder_out.float()
    if likelihood == "gaussian":
        dims = x[0].numel()
        sq = (x - out).pow(2).flatten(1).sum(1)
        return sq / (2.0 * sigma**2) + dims * (math.log(sigma) + 0.5 * math.log(2.0 * math.pi))
    if likelihood == "bernoulli":
        target = (x + 1.0) / 2.0
        return F.binary_cross_entropy_with_logits(out, target, reduction="none").flatten(1).sum(1)
    raise ValueError(f"unknown likelihood {likelihood!r}; choose one of {', '.join(LIKELIHOODS)}")


LEVELS_PER_UNIT = 128.0  # dequantised 8-bit levels per unit of [-1, 1]: 256 levels over a width of 2


def dequantize(images: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """Uniform dequantisation of images [-1, 1] that hold 8-bit levels k = 127.5 (x + 1): (k + u) / 128 − 1."""
    levels = torch.round((images.float() + 1.0) * PIXEL_SCALE)
    noise = torch.rand(levels.shape, generator=gen, device=levels.device)
    return (levels + noise) / LEVELS_PER_UNIT - 1.0


def dequantized_bits_per_dim(nll_nats: torch.Tensor, dims: int) -> torch.Tensor:
    """−ELBO (nats per example) of dequantised images → bits per dimension of the 8-bit images."""
    return (nll_nats + dims * math.log(LEVELS_PER_UNIT)) / (dims * math.log(2.0))


def bits_per_dim(nll_nats: torch.Tensor, dims: int, likelihood: Likelihood = "gaussian") -> torch.Tensor:
    """Negative log-likelihood (or −ELBO) in nats per example → bits per dimension on the 8-bit pixel scale."""
    if likelihood == "gaussian":
        nll_nats = nll_nats + dims * math.log(PIXEL_SCALE)
    return nll_nats / (dims * math.log(2.0))


@dataclass
class ElboTerms:
    """Per-example terms of the negative ELBO (nats): loss = nll + β·kl; elbo = −(nll + kl)."""

    nll: torch.Tensor
    kl: torch.Tensor

    @property
    def elbo(self) -> torch.Tensor:
        return -(self.nll + self.kl)

    def loss(self, beta: float = 1.0) -> torch.Tensor:
        """The β-weighted negative ELBO, averaged over the batch (β = 1 is the true bound)."""
        return (self.nll + beta * self.kl).mean()


def elbo_terms(
    x: torch.Tensor,
    decoder_out: torch.Tensor,
    posterior: DiagonalGaussian,
    likelihood: Likelihood = "gaussian",
    sigma: float = 0.1,
) -> ElboTerms:
    return ElboTerms(nll=reconstruction_nll(x, decoder_out, likelihood, sigma), kl=posterior.kl())
