"""Checks of what Python callers give the public API: the same limits the CLI enforces, one line each, naming the
bad value.

    check_int("steps", steps, minimum=1)                 # 1, 2, ... (not 2.5, not True)
    check_number("guidance", guidance, minimum=0.0)      # finite, >= 0
    x = check_pixels(images)                             # float [N, C, H, W] within [-1 - tol, 1 + tol], clamped
    fill = check_fill(fill, images)                      # [N, 1, H, W] in {0…1} at the images' size
"""

from __future__ import annotations

import math

import torch

from genvision.errors import GenvisionError

# Pixels may stray this far outside [-1, 1] (resampling overshoot, float round-off) before images are refused;
# values within it are clamped. Images in [0, 255] or [-2, 2] are refused, not silently clipped.
PIXEL_TOLERANCE = 0.02


def check_int(name: str, value: object, minimum: int = 0) -> int:
    """`value` as an int >= minimum; bools, floats and strings are errors."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise GenvisionError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_number(
    name: str, value: object, minimum: float | None = None, maximum: float | None = None
) -> float:
    """`value` as a finite float within [minimum, maximum] (either bound may be None)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GenvisionError(f"{name} must be a finite number, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = (
            f"in [{minimum}, {maximum}]"
            if minimum is not None and maximum is not None
            else (f">= {minimum}" if minimum is not None else f"<= {maximum}")
        )
        raise GenvisionError(f"{name} must be {bounds}, got {value!r}")
    return float(value)


def check_pixels(images: torch.Tensor, tolerance: float = PIXEL_TOLERANCE) -> torch.Tensor:
    """Float images [N >= 1, C, H, W] whose values lie in [-1, 1] (± tolerance), clamped into it."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise GenvisionError(
            f"images must be a float tensor [N, C, H, W] in [-1, 1]; got "
            f"{list(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}"
        )
    if not images.is_floating_point():
        raise GenvisionError(
            f"images must be float in [-1, 1], got {str(images.dtype).replace('torch.', '')}: "
            "convert uint8 pixels with x / 127.5 - 1"
        )
    if len(images) == 0:
        raise GenvisionError("no images given: the batch is empty")
    if not torch.isfinite(images).all():
        raise GenvisionError("images contain NaN or infinite values")
    low, high = float(images.min()), float(images.max())
    if low < -1 - tolerance or high > 1 + tolerance:
        raise GenvisionError(
            f"images must lie in [-1, 1]; these span [{low:g}, {high:g}]: rescale them "
            "(uint8 pixels: x / 127.5 - 1; [0, 1] images: 2x - 1)"
        )
    return images.clamp(-1, 1)


def check_fill(fill: object, images: torch.Tensor, name: str = "fill") -> torch.Tensor:
    """A mask [H, W], [N, H, W] or [N|1, 1, H, W] with values in [0, 1] at the images' H × W → [N, 1, H, W]."""
    if not isinstance(fill, torch.Tensor):
        raise GenvisionError(f"{name} must be a tensor (1 = paint, 0 = keep), got {type(fill).__name__}")
    if fill.ndim == 2:
        fill = fill[None, None]
    if fill.ndim == 3:
        fill = fill[:, None]
    if fill.ndim != 4 or fill.shape[1] != 1:
        raise GenvisionError(f"{name} must be [H, W], [N, H, W] or [N, 1, H, W]; got {list(fill.shape)}")
    h, w = images.shape[-2:]
    if tuple(fill.shape[-2:]) != (h, w):
        raise GenvisionError(
            f"{name} is {fill.shape[-2]}x{fill.shape[-1]} but the images are {h}x{w}: give a mask of the "
            "images' size (resize it with nearest neighbours)"
        )
    fill = fill.float()
    if not torch.isfinite(fill).all():
        raise GenvisionError(f"{name} contains NaN or infinite values")
    if float(fill.min()) < 0 or float(fill.max()) > 1:
        raise GenvisionError(
            f"{name} values must lie in [0, 1] (1 = paint); these span [{float(fill.min()):g}, "
            f"{float(fill.max()):g}]: divide a 0/255 mask by 255"
        )
    if fill.shape[0] == 1:
        fill = fill.expand(images.shape[0], -1, -1, -1)
    if fill.shape[0] != images.shape[0]:
        raise GenvisionError(
            f"{fill.shape[0]} masks for {images.shape[0]} images: give one mask, or one per image"
        )
    return fill.to(images.device)


def check_finite(name: str, values: torch.Tensor) -> torch.Tensor:
    if not torch.isfinite(values).all():
        raise GenvisionError(f"{name} contain NaN or infinite values")
    return values
