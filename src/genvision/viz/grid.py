"""Image grids: tile a batch into rows, with a pixel of padding, upscaled for legibility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from genvision.viz.images import save_png, to_uint8


def make_grid(
    images: torch.Tensor, nrow: int | None = None, pad: int = 2, pad_value: int = 255, scale: int = 1
) -> np.ndarray:
    """Tile [N, C, H, W] images in [-1, 1] into one uint8 [H', W', C] array, `nrow` images per row."""
    arr = to_uint8(images)
    n, h, w, c = arr.shape
    nrow = nrow or max(1, int(math.ceil(math.sqrt(n))))
    rows = int(math.ceil(n / nrow))
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), pad_value, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top : top + h, left : left + w] = arr[i]
    if scale > 1:
        grid = grid.repeat(scale, 0).repeat(scale, 1)
    return grid


def auto_scale(height: int) -> int:
    """Upscale small images (28x28) so a grid is readable; large ones stay 1:1."""
    return max(1, 96 // max(1, height))


def save_grid(
    images: torch.Tensor, path: str | Path, nrow: int | None = None, scale: int | None = None
) -> Path:
    """Write a PNG grid of images in [-1, 1]."""
    scale = auto_scale(images.shape[-2]) if scale is None else scale
    return save_png(path, make_grid(images, nrow=nrow, scale=scale))
