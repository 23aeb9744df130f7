"""Between the browser's pixels and the library's tensors: model inputs, fill masks, display copies.

    x = to_model_input(array, (1, 28, 28))           # uint8 [H, W(, C)] → float [1, 1, 28, 28] in [-1, 1]
    fill = fill_from_layer(rgba, (28, 28))            # painted layer → float [28, 28], 1 = fill
    show = enlarge(to_uint8(x)[0], display_scale(28)) # nearest-neighbour copy for the screen

The editor shows images enlarged by an integer factor, so a model pixel is a square block on the canvas;
a model pixel is filled when at least half of its block is painted (area resize, then threshold 128 — the
rule `genvision inpaint --mask` applies to mask files).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from genvision.errors import GenvisionError
from genvision.viz.images import from_uint8, to_uint8

DISPLAY_SIDE = 280  # pixels on screen for one model image in the editors
FILL_COLOR = (255, 59, 59)  # how painted (and preset) fill regions look on the canvas


def display_scale(height: int, width: int | None = None) -> int:
    """The integer enlargement that brings the longer side close to DISPLAY_SIDE (at least 1)."""
    return max(1, DISPLAY_SIDE // max(height, width or height))


def enlarge(array: np.ndarray, scale: int) -> np.ndarray:
    """uint8 [H, W(, C)] repeated `scale` times along both axes (nearest neighbour)."""
    return array.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else array


def center_crop(image: Image.Image, aspect: float) -> Image.Image:
    """The largest centred crop with width / height = aspect."""
    w, h = image.size
    if abs(w / h - aspect) < 1e-6:
        return image
    if w / h > aspect:
        new_w = max(1, round(h * aspect))
        left = (w - new_w) // 2
        return image.crop((left, 0, left + new_w, h))
    new_h = max(1, round(w / aspect))
    top = (h - new_h) // 2
    return image.crop((0, top, w, top + new_h))


def to_model_input(array: np.ndarray, shape: tuple[int, int, int]) -> torch.Tensor:
    """uint8 [H, W] or [H, W, C] → float [1, C, H, W] in [-1, 1] at a model's (C, H, W): centre-cropped to
    its aspect, area-resized, made grayscale or RGB; an image already at that shape is kept bit for bit."""
    c, h, w = shape
    if c not in (1, 3):
        raise GenvisionError(f"the web app handles grayscale or RGB models, not {c} channels")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    image = Image.fromarray(array).convert("L" if c == 1 else "RGB")
    if image.size != (w, h):
        image = center_crop(image, w / h).resize((w, h), Image.BOX if image.width >= w else Image.BICUBIC)
    return from_uint8(np.array(image, dtype=np.uint8)[None])


def as_rgb(images: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] → uint8 [N, H, W, 3] (grayscale repeated), what the editors display."""
    arr = to_uint8(images)
    return arr.repeat(3, axis=-1) if arr.shape[-1] == 1 else arr


def fill_from_layer(layer: np.ndarray | None, size: tuple[int, int]) -> torch.Tensor:
    """A painted RGBA layer [h, w, 4] (any size) → fill mask [H, W] at `size`: 1 where ≥ half is painted."""
    if layer is None or layer.ndim != 3 or layer.shape[-1] != 4:
        return torch.zeros(size)
    alpha = Image.fromarray(np.ascontiguousarray(layer[..., 3]))
    small = np.asarray(alpha.resize((size[1], size[0]), Image.BOX))
    return torch.from_numpy((small >= 128).astype(np.float32))


def layer_from_fill(fill: torch.Tensor, scale: int) -> np.ndarray:
    """A fill mask [H, W] (1 = fill) → an RGBA layer [H·s, W·s, 4] painting the fill region on the canvas."""
    on = enlarge(fill.numpy() > 0.5, scale)
    layer = np.zeros((*on.shape, 4), dtype=np.uint8)
    layer[on] = (*FILL_COLOR, 255)
    return layer


def fill_png(fill: torch.Tensor) -> np.ndarray:
    """A fill mask [H, W] as the uint8 image `genvision inpaint --mask` reads: white 255 = fill, 0 = keep."""
    return (fill.numpy() > 0.5).astype(np.uint8) * 255
