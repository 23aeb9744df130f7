"""The diagonal Gaussian posterior of VAEs and its closed-form KL to N(0, I):

    KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)

The ELBO built on it is in genvision.losses.kl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from genvision.seeding import Draws, SampleRandom, draw_normal

Likelihood = Literal["gaussian", "bernoulli"]
LIKELIHOODS = ("gaussian", "bernoulli")  # decoder likelihoods (genvision.losses.kl)


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²), summed over every non-batch dim → [B]."""
    mean, logvar = mean.float(), logvar.float()
    per_dim = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)
    return per_dim.flatten(1).sum(1)


@dataclass
class DiagonalGaussian:
    """q(z|x) = N(mean, diag exp(logvar)) with the reparameterised sample z = μ + σ ⊙ ε, ε ~ N(0, I)."""

    mean: torch.Tensor
    logvar: torch.Tensor

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def sample(self, gen: Draws | None = None) -> torch.Tensor:
        if isinstance(gen, SampleRandom):  # training: ε of sample i from (seed, step, i's global position)
            eps = draw_normal(self.mean.shape, gen, self.mean.device).to(self.mean.dtype)
        else:
            eps = torch.randn(self.mean.shape, generator=gen, device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + self.std * eps

    def mode(self) -> torch.Tensor:
        return self.mean

    def kl(self) -> torch.Tensor:
        """KL to the standard normal prior, per example [B]."""
        return gaussian_kl(self.mean, self.logvar)
