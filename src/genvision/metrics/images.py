"""Image batches accepted by the metrics: uint8 NHWC/NHW (files, `--npy` arrays) or float NCHW in [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch

from genvision.errors import GenvisionError

RANGE_TOLERANCE = 1e-3


def describe(images: np.ndarray | torch.Tensor) -> str:
    return f"{type(images).__name__} of shape {tuple(images.shape)} and dtype {images.dtype}"


def to_model_images(images: np.ndarray | torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Return `dtype` NCHW in [-1, 1]; uint8 input is NHWC (or NHW for grayscale), float input NCHW in [-1, 1].

    Raises GenvisionError naming the expected layouts when the shape, dtype or range is wrong.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)) if isinstance(images, np.ndarray) else images
    if not isinstance(x, torch.Tensor):
        raise GenvisionError(f"images must be a numpy array or torch tensor, got {type(images).__name__}")
    if x.dtype == torch.uint8:
        if x.ndim == 3:
            x = x.unsqueeze(-1)
        if x.ndim != 4 or x.shape[-1] not in (1, 3):
            raise GenvisionError(
                f"uint8 images must be [N, H, W] or [N, H, W, C] with C in (1, 3); got {describe(images)}"
            )
        return x.permute(0, 3, 1, 2).to(dtype).div(127.5).sub(1.0).contiguous()
    if x.is_floating_point():
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise GenvisionError(
                f"float images must be [N, C, H, W] with C in (1, 3) and values in [-1, 1]; "
                f"got {describe(images)}"
            )
        if x.numel() and not torch.isfinite(x).all():
            raise GenvisionError("float images contain NaN or infinite values")
        if x.numel():
            lo, hi = float(x.min()), float(x.max())
            if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
                raise GenvisionError(
                    f"float images must lie in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}] "
                    "(pass uint8 [N, H, W(, C)] arrays for 0..255 data)"
                )
        return x.to(dtype).clamp(-1, 1)
    raise GenvisionError(
        f"images must be uint8 (0..255, NHWC) or float ([-1, 1], NCHW); got {describe(images)}"
    )


def to_unit_float64(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Images as float64 NHWC in [0, 1] (for PSNR/SSIM, which work in pixel space)."""
    x = to_model_images(images, torch.float64).add(1.0).div(2.0)
    return x.permute(0, 2, 3, 1).cpu().numpy()
