"""Perceptual distance for inversion, named explicitly — never a silently random network.

    "none"                   pixel MSE only
    "lpips" / "lpips-alex"   real LPIPS (VGG / AlexNet backbone); a clear error when its weights are missing
    "classifier[:REF]"       LPIPS-style distance on the project's classifier (default `fashion-classifier`)
    "discriminator"          the same distance on the StyleGAN bundle's own (trained) discriminator features

The first three come from `genvision.losses.perceptual`; this module adds the discriminator variant
d(x, y) = Σ_l mean_{h,w} ‖f̂_l(x) − f̂_l(y)‖² over D's residual-trunk activations.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.losses.perceptual import build_perceptual_loss, feature_distance

PERCEPTUAL_CHOICES = ("none", "lpips", "lpips-alex", "classifier", "classifier:REF", "discriminator")


class DiscriminatorFeatureDistance(nn.Module):
    """Unweighted LPIPS-style distance on a frozen StyleGAN discriminator's `features(x)` → [N]."""

    def __init__(self, discriminator: nn.Module):
        super().__init__()
        self.net = discriminator.eval().requires_grad_(False)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return feature_distance(self.net.features(x), self.net.features(y))


def build_perceptual(
    spec: str, device: torch.device | str = "cpu", discriminator: Callable[[], nn.Module] | None = None
) -> nn.Module | None:
    """The distance named by `spec`; `discriminator` loads the bundle's D (only called for "discriminator")."""
    spec = spec.strip()
    if spec == "none":
        return None
    if spec in ("lpips", "lpips-vgg", "lpips-alex"):
        return build_perceptual_loss("lpips", device, lpips_net="alex" if spec == "lpips-alex" else "vgg")
    if spec == "classifier" or spec.startswith("classifier:"):
        ref = spec.split(":", 1)[1] if ":" in spec else "fashion-classifier"
        return build_perceptual_loss("classifier", device, classifier=ref)
    if spec == "discriminator":
        if discriminator is None:
            raise GenvisionError(
                "perceptual 'discriminator' needs a StyleGAN bundle that ships its discriminator; "
                "choose another --perceptual (or 'none' for MSE only)"
            )
        return DiscriminatorFeatureDistance(discriminator()).to(device)
    raise GenvisionError(
        f"unknown perceptual loss {spec!r}; choose one of {', '.join(PERCEPTUAL_CHOICES)} "
        "('none' for pixel MSE only)"
    )
