"""Pixel-space fidelity: PSNR and SSIM per image, optionally restricted to a region (e.g. an inpainted hole).

Images are compared in [0, 1] (float64), so both metrics use data range 1:

    PSNR = 10 log₁₀(1 / MSE),   MSE over the region's pixels and channels (∞ when identical)
    SSIM (Wang et al., 2004): Gaussian window σ = 1.5, K₁ = 0.01, K₂ = 0.03, population covariances;
         the SSIM map is averaged over the region (whole image: scikit-image's border-cropped mean).

`region` is [N, H, W] or [H, W], nonzero/True where pixels count (for inpainting: the filled area).
"""

from __future__ import annotations

import numpy as np
import torch

from genvision.errors import GenvisionError
from genvision.metrics.images import to_unit_float64


def _pair(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    x, y = to_unit_float64(a), to_unit_float64(b)
    if x.shape != y.shape:
        raise GenvisionError(
            f"cannot compare images of shapes {x.shape} and {y.shape} (NHWC after conversion)"
        )
    return x, y


def _region(region: np.ndarray | torch.Tensor | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """Boolean [N, H, W] region, broadcast from [H, W]; None means the whole image."""
    if region is None:
        return None
    r = np.asarray(region.cpu() if isinstance(region, torch.Tensor) else region) != 0
    n, h, w = shape[:3]
    if r.shape == (h, w):
        r = np.broadcast_to(r, (n, h, w))
    if r.shape != (n, h, w):
        raise GenvisionError(f"region must be [N, H, W] or [H, W] = {(n, h, w)}, got {r.shape}")
    if not r.reshape(n, -1).any(axis=1).all():
        raise GenvisionError("region is empty for at least one image; nothing to compare there")
    return r


def psnr(
    a: np.ndarray | torch.Tensor,
    b: np.ndarray | torch.Tensor,
    region: np.ndarray | torch.Tensor | None = None,
) -> np.ndarray:
    """Per-image PSNR in dB [N] (inf where the images agree exactly on the region)."""
    x, y = _pair(a, b)
    r = _region(region, x.shape)
    sq = ((x - y) ** 2).mean(axis=3)  # [N, H, W], averaged over channels
    mse = (
        sq.reshape(len(sq), -1).mean(axis=1) if r is None else (sq * r).sum(axis=(1, 2)) / r.sum(axis=(1, 2))
    )
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(1.0 / mse)


SSIM_SIGMA = 1.5
SSIM_WINDOW = 2 * int(3.5 * SSIM_SIGMA + 0.5) + 1  # scikit-image's Gaussian window (truncated at 3.5σ): 11


def _ssim_one(x: np.ndarray, y: np.ndarray, region: np.ndarray | None) -> float:
    if min(x.shape[:2]) < SSIM_WINDOW:
        raise GenvisionError(
            f"SSIM needs images of at least {SSIM_WINDOW}×{SSIM_WINDOW} pixels (its Gaussian "
            f"window), got {x.shape[0]}×{x.shape[1]}"
        )
    kwargs = dict(
        data_range=1.0,
        gaussian_weights=True,
        sigma=SSIM_SIGMA,
        use_sample_covariance=False,
        channel_axis=2,
        full=True,
    )
    from skimage.metrics import structural_similarity  # noqa: PLC0415 (0.6 s to import: SSIM only)

    mean, ssim_map = structural_similarity(x, y, **kwargs)
    return float(mean) if region is None else float(ssim_map.mean(axis=2)[region].mean())


def ssim(
    a: np.ndarray | torch.Tensor,
    b: np.ndarray | torch.Tensor,
    region: np.ndarray | torch.Tensor | None = None,
) -> np.ndarray:
    """Per-image SSIM [N] in [-1, 1] (1 = identical)."""
    x, y = _pair(a, b)
    r = _region(region, x.shape)
    return np.array([_ssim_one(x[i], y[i], None if r is None else r[i]) for i in range(len(x))])


SSIM_MIN_SIZE = 11  # SSIM's 11 × 11 Gaussian window must fit in the image


def reconstruction_metrics(
    originals: np.ndarray | torch.Tensor, recons: np.ndarray | torch.Tensor
) -> dict[str, float]:
    """Mean PSNR (dB, over images that differ) and mean SSIM (images of at least 11 × 11) of reconstructions."""
    p = psnr(originals, recons)
    finite = p[np.isfinite(p)]
    out = {"psnr": float(finite.mean()) if len(finite) else float("inf")}
    if min(originals.shape[-2:]) >= SSIM_MIN_SIZE:
        out["ssim"] = float(ssim(originals, recons).mean())
    return out
