"""Reconstruction panels (originals above their reconstructions) and interpolation strips."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from genvision.viz.grid import save_grid


def paired_rows(
    originals: torch.Tensor, recons: torch.Tensor, per_row: int | None = None
) -> tuple[torch.Tensor, int]:
    """Interleave rows: `per_row` originals, then their reconstructions below, then the next `per_row`, ...

    Returns (images [2N', C, H, W], per_row); a last partial row is padded with white (+1) tiles.
    """
    if originals.shape != recons.shape:
        raise ValueError(
            f"originals {tuple(originals.shape)} and reconstructions {tuple(recons.shape)} differ"
        )
    n = originals.shape[0]
    per_row = per_row or min(n, 16)
    rows = math.ceil(n / per_row)
    pad = rows * per_row - n
    if pad:
        blank = torch.ones(pad, *originals.shape[1:], dtype=originals.dtype, device=originals.device)
        originals, recons = torch.cat([originals, blank]), torch.cat([recons, blank.to(recons)])
    shape = (rows, per_row, *originals.shape[1:])
    pairs = torch.stack(
        [originals.reshape(shape), recons.reshape(shape).to(originals)], dim=1
    )  # [rows, 2, per_row, ...]
    return pairs.reshape(-1, *originals.shape[1:]), per_row


def save_reconstructions(
    path: str | Path, originals: torch.Tensor, recons: torch.Tensor, per_row: int | None = None
) -> Path:
    """PNG with each row of originals directly above the row of their reconstructions."""
    images, per_row = paired_rows(originals.float().cpu(), recons.float().cpu(), per_row)
    return save_grid(images, path, nrow=per_row)


def save_strip(path: str | Path, images: torch.Tensor, nrow: int | None = None) -> Path:
    """An interpolation strip (or grid): `nrow` images per row, left to right."""
    return save_grid(images.float().cpu(), path, nrow=nrow or images.shape[0])
