"""A small CNN classifier for 28x28-style data. Its penultimate features serve FID in "classifier space",
its logits give class histograms and a classifier score, and its feature maps a perceptual loss."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.models.registry import register_model


def _conv_block(cin: int, cout: int, groups: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
    )


@register_model
class ClassifierNet(nn.Module):
    """conv stages (each two 3x3 convs + GroupNorm + SiLU, then 2x2 pooling) → global average → dropout → linear."""

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: tuple[int, ...] = (32, 64, 128),
        dropout: float = 0.3,
        groups: int = 8,
    ):
        super().__init__()
        stages, cin = [], in_channels
        for cout in channels:
            stages.append(_conv_block(cin, cout, groups))
            cin = cout
        self.stages = nn.ModuleList(stages)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, num_classes)
        self.feature_dim = cin

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each stage (before pooling), for perceptual losses."""
        maps = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            maps.append(x)
            if i < len(self.stages) - 1:
                x = F.avg_pool2d(x, 2, ceil_mode=True)
        return maps

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features [B, feature_dim] (global average of the last stage)."""
        return self.feature_maps(x)[-1].mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))
