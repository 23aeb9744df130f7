"""Normalisation helpers."""

from __future__ import annotations

import math

import torch.nn as nn


def group_norm(channels: int, max_groups: int = 32, eps: float = 1e-6) -> nn.GroupNorm:
    """GroupNorm with the largest group count ≤ max_groups that divides `channels` (32 for 64, 128, ...)."""
    groups = math.gcd(channels, max_groups)
    return nn.GroupNorm(groups, channels, eps=eps)


def zero_(module: nn.Module) -> nn.Module:
    """Zero a layer's parameters so its residual branch starts as the identity (ADM's zero init)."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module
