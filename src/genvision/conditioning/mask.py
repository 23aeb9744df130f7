"""Spatial mask conditions: a CelebAMask-HQ label map → one-hot part channels → latent resolution.

The result is concatenated to the UNet input (its `extra_in_channels` = number of parts). Each latent cell
holds the fraction of its pixel block covered by each part (area pooling), so the channels of a cell sum to 1.
The null mask (unconditional / dropped) is all zeros, which no real label map produces.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genvision.errors import GenvisionError


def one_hot_parts(label_map: torch.Tensor, num_parts: int) -> torch.Tensor:
    """int labels [B, H, W] → float one-hot [B, K, H, W]."""
    if label_map.ndim != 3:
        raise GenvisionError(f"a label map batch is [B, H, W], got shape {list(label_map.shape)}")
    labels = label_map.long()
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_parts):
        raise GenvisionError(
            f"label map values must be in [0, {num_parts - 1}], got "
            f"[{int(labels.min())}, {int(labels.max())}]"
        )
    return F.one_hot(labels, num_parts).permute(0, 3, 1, 2).float()


def encode_label_map(label_map: torch.Tensor, num_parts: int, size: tuple[int, int]) -> torch.Tensor:
    """Label map [B, H, W] → part fractions [B, K, h, w] at latent size (h, w) by area averaging."""
    onehot = one_hot_parts(label_map, num_parts)
    if tuple(onehot.shape[-2:]) == tuple(size):
        return onehot
    return F.adaptive_avg_pool2d(onehot, size)


def null_mask_condition(
    batch: int, num_parts: int, size: tuple[int, int], device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The unconditional mask input: zeros [B, K, h, w]."""
    return torch.zeros(batch, num_parts, *size, device=device)


def drop_mask_condition(condition: torch.Tensor, drop: torch.Tensor) -> torch.Tensor:
    """Zero the mask channels of the samples where `drop` is True."""
    return condition * (~drop).to(condition.dtype).view(-1, 1, 1, 1)
