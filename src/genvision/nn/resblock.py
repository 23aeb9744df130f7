"""Residual block with time conditioning (DDPM / ADM):

    h = Conv(SiLU(GN(x)));  h = GN(h) · (1 + scale) + shift,  (scale, shift) = Linear(SiLU(emb))
    h = Conv(Dropout(SiLU(h)));  out = skip(x) + h

Without scale-shift the embedding is added instead: h = GN(h + Linear(SiLU(emb))).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from genvision.nn.norm import group_norm, zero_


class ResBlock(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        emb_dim: int,
        dropout: float = 0.0,
        scale_shift: bool = True,
    ):
        super().__init__()
        self.scale_shift = scale_shift
        self.norm1 = group_norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.emb = nn.Linear(emb_dim, out_channels * (2 if scale_shift else 1))
        self.norm2 = group_norm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = zero_(nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip = nn.Identity() if in_channels == out_channels else nn.Conv2d(in_channels, out_channels, 1)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        e = self.emb(self.act(emb))[:, :, None, None].to(h.dtype)
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
        else:
            h = self.norm2(h + e)
        h = self.conv2(self.dropout(self.act(h)))
        return self.skip(x) + h
