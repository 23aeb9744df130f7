"""Reading image files robustly: corrupt files are skipped with a warning naming them (or raise, by choice)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from genvision.errors import GenvisionError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif"}


def load_image(path: str | Path, size: int | None = None, channels: int | None = 3) -> np.ndarray:
    """An image as uint8 [H, W] (channels=1) or [H, W, 3]; resized (shorter side) and centre-cropped to `size`."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            gray = channels == 1 or (channels is None and img.mode in ("1", "L", "I", "I;16", "F"))
            img = img.convert("L" if gray else "RGB")
    except FileNotFoundError as exc:
        raise GenvisionError(f"image {path} does not exist") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise GenvisionError(f"cannot read image {path}: {exc}") from exc
    if size is not None:
        img = resize_center_crop(img, size)
    return np.array(img)


def resize_center_crop(img: Image.Image, size: int, resample: int = Image.BICUBIC) -> Image.Image:
    w, h = img.size
    scale = size / min(w, h)
    if (w, h) != (size, size):
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), resample)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        img = img.crop((left, top, left + size, top + size))
    return img


def load_images_skipping(
    paths: list[Path], size: int | None, channels: int | None, on_corrupt: str = "skip"
) -> tuple[list[np.ndarray], list[int]]:
    """Load many images; returns the arrays and the indices (into `paths`) that loaded."""
    arrays, kept, bad = [], [], []
    for i, p in enumerate(paths):
        try:
            arrays.append(load_image(p, size, channels))
            kept.append(i)
        except GenvisionError as exc:
            if on_corrupt == "error":
                raise
            bad.append(str(p))
            warnings.warn(f"skipping unreadable image {p}: {exc}", stacklevel=2)
    return arrays, kept
