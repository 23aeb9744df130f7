"""Resolution changes that work for any size: stride-2 conv down (n → ⌈n/2⌉), nearest-up to a target size.

Going up to the skip connection's exact size lets 28 → 14 → 7 → 4 come back as 4 → 7 → 14 → 28.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Downsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """Nearest-neighbour upsampling to `size` (default 2×), then a 3x3 conv."""
        if size is None:
            size = (x.shape[-2] * 2, x.shape[-1] * 2)
        return self.conv(F.interpolate(x, size=size, mode="nearest"))
