"""PatchGAN discriminator (Isola et al., 2017): a fully convolutional net scoring overlapping patches.

    conv4×4/2 → LeakyReLU(0.2) → [conv4×4/2 → norm → LeakyReLU] × (n_layers − 1)
           → conv4×4/1 → norm → LeakyReLU → conv4×4/1 → one logit per patch

Each logit sees a receptive field of 70×70 pixels for n_layers = 3 (16×16 for n_layers = 1); with n_layers = 2 a
28×28 image gives a 5×5 map of logits. GroupNorm is the default (batch statistics of real and fake batches never
mix); "batch" reproduces pix2pix.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from genvision.models.registry import register_model

NORMS = ("group", "batch", "none")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "group":
        return nn.GroupNorm(math.gcd(32, channels), channels)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


@register_model
class PatchGAN(nn.Module):
    def __init__(self, in_channels: int = 1, channels: int = 64, n_layers: int = 3, norm: str = "group"):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        ]
        width = channels
        for i in range(1, n_layers + 1):
            out = channels * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [
                nn.Conv2d(width, out, 4, stride=stride, padding=1, bias=norm == "none"),
                _norm(norm, out),
                nn.LeakyReLU(0.2),
            ]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Patch logits [B, 1, h, w]."""
        return self.net(x)
