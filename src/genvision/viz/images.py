"""Conversions between library images (float NCHW in [-1, 1]) and edge formats (uint8 NHWC, PNG, .npy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genvision.errors import GenvisionError
from genvision.io.atomic import atomic_path


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] → uint8 [N, H, W, C] (C kept, also for grayscale)."""
    x = images.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def quantize(images: torch.Tensor) -> torch.Tensor:
    """Images [N, C, H, W] in [-1, 1] snapped to the 256 levels a saved PNG / `--npy` array holds, so that generated
    images are scored exactly as their saved copies would be."""
    return from_uint8(to_uint8(images)).to(images.device)


def from_uint8(array: np.ndarray) -> torch.Tensor:
    """uint8 [N, H, W] or [N, H, W, C] → float [N, C, H, W] in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(array))
    if x.ndim == 3:
        x = x.unsqueeze(-1)
    return x.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def npy_layout(images: torch.Tensor) -> np.ndarray:
    """The `--npy` layout: uint8 [N, H, W] for grayscale, [N, H, W, C] otherwise."""
    arr = to_uint8(images)
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def save_npy(path: str | Path, images: torch.Tensor | np.ndarray) -> Path:
    arr = npy_layout(images) if isinstance(images, torch.Tensor) else images
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, arr)
    return Path(path)


IMAGE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


def image_format(path: str | Path) -> str:
    """The PIL format an output path asks for by its suffix; an unknown suffix is an error, not a PNG in disguise."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise GenvisionError(
            f"cannot tell the image format of {path}: use one of "
            f"{', '.join(sorted(IMAGE_FORMATS))} (e.g. {Path(path).with_suffix('.png').name})"
        )
    return IMAGE_FORMATS[suffix]


def save_png(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 [H, W] or [H, W, C] array atomically, in the format its suffix names (PNG for .png)."""
    fmt = image_format(path)
    arr = array[..., 0] if array.ndim == 3 and array.shape[-1] == 1 else array
    with atomic_path(path) as tmp:
        Image.fromarray(arr).save(tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return Path(path)
