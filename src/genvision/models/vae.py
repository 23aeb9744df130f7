"""Gaussian VAE (Kingma & Welling, 2014): conv encoder → (μ, log σ²), z = μ + σ ⊙ ε, conv decoder.

Each encoder stage halves the image (Conv 4×4, stride 2) and each decoder stage doubles it (ConvTranspose 4×4,
stride 2), so 28×28 works natively (28 → 14 → 7) as do powers of two; the size must be divisible by 2^stages.
With `num_classes` > 0 it is a conditional VAE: a class embedding is concatenated to the encoder features and to z.
The decoder's raw output is the Gaussian mean x̂ (likelihood "gaussian") or Bernoulli logits ("bernoulli").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.models.registry import register_model
from genvision.nn.distributions import LIKELIHOODS, DiagonalGaussian
from genvision.seeding import Draws


@dataclass
class VAEOutput:
    posterior: DiagonalGaussian
    z: torch.Tensor
    decoder_out: torch.Tensor  # x̂ (gaussian) or logits (bernoulli)


def _conv_stack(channels: list[int], transpose: bool) -> nn.Sequential:
    conv = nn.ConvTranspose2d if transpose else nn.Conv2d
    layers: list[nn.Module] = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        layers += [conv(c_in, c_out, 4, stride=2, padding=1), nn.GroupNorm(min(8, c_out), c_out), nn.SiLU()]
    return nn.Sequential(*layers)


@register_model
class VAE(nn.Module):
    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        latent_dim: int = 16,
        channels: list[int] = (32, 64),
        hidden: int = 256,
        num_classes: int = 0,
        class_embed_dim: int = 16,
        likelihood: str = "gaussian",
    ):
        super().__init__()
        stages = len(channels)
        if image_size % (2**stages):
            raise ValueError(
                f"image_size {image_size} is not divisible by 2^{stages} (one halving per channel stage)"
            )
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {likelihood!r}; choose one of {', '.join(LIKELIHOODS)}")
        self.in_channels, self.image_size, self.latent_dim = in_channels, image_size, latent_dim
        self.num_classes, self.likelihood = num_classes, likelihood
        self.bottom = image_size // 2**stages
        feat = channels[-1] * self.bottom**2
        cond = class_embed_dim if num_classes > 0 else 0
        self.class_embed = nn.Embedding(num_classes, class_embed_dim) if num_classes > 0 else None

        self.encoder = nn.Sequential(_conv_stack([in_channels, *channels], transpose=False), nn.Flatten())
        self.to_posterior = nn.Sequential(
            nn.Linear(feat + cond, hidden), nn.SiLU(), nn.Linear(hidden, 2 * latent_dim)
        )
        self.from_latent = nn.Sequential(
            nn.Linear(latent_dim + cond, hidden), nn.SiLU(), nn.Linear(hidden, feat), nn.SiLU()
        )
        rev = list(reversed(channels))
        self.decoder = _conv_stack(rev, transpose=True)
        self.to_image = nn.ConvTranspose2d(rev[-1], in_channels, 4, stride=2, padding=1)

    def _with_class(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.class_embed is None:
            return h
        if labels is None:
            raise ValueError("this is a conditional VAE: pass class labels")
        return torch.cat([h, self.class_embed(labels)], dim=1)

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> DiagonalGaussian:
        """q(z|x[, y]) = N(μ, diag exp(log σ²))."""
        stats = self.to_posterior(self._with_class(self.encoder(x), labels))
        mean, logvar = stats.chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar.clamp(-30.0, 20.0))

    def decoder_output(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's distribution parameters: the mean x̂ or the Bernoulli logits, [B, C, H, W]."""
        h = self.from_latent(self._with_class(z, labels)).view(z.shape[0], -1, self.bottom, self.bottom)
        return self.to_image(self.decoder(h))

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's mean image in [-1, 1]."""
        out = self.decoder_output(z, labels)
        if self.likelihood == "bernoulli":
            return torch.sigmoid(out) * 2.0 - 1.0
        return out.clamp(-1.0, 1.0)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, gen: Draws | None = None
    ) -> VAEOutput:
        posterior = self.encode(x, labels)
        z = posterior.sample(gen)
        return VAEOutput(posterior=posterior, z=z, decoder_out=self.decoder_output(z, labels))
