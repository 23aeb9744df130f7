"""Sinusoidal timestep embedding (Vaswani et al. 2017, as used by DDPM) and its MLP."""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """[B] timesteps → [B, dim]:  [cos(t ω_k), sin(t ω_k)],  ω_k = max_period^{-k/(dim/2)}, k < dim/2.

    An odd `dim` gets one zero column at the end.
    """
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    return nn.functional.pad(emb, (0, 1)) if dim % 2 else emb


class TimestepEmbedding(nn.Module):
    """t → Linear(SiLU(Linear(sinusoid(t)))): the vector every ResBlock is conditioned on."""

    def __init__(self, freq_dim: int, emb_dim: int):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(timestep_embedding(t, self.freq_dim))
