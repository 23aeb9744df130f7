"""Latent-coverage figure: does the generator reach every part of the data distribution?

Left panel: real and generated images embedded in 2-D by PCA of a classifier's features (real points coloured by
class, generated ones as black crosses); a generator that covers the space puts crosses over every real cluster,
a collapsed one piles them onto a few. Right panel: the generator's images over a 2-D slice of z.

PCA: with centred features F = X − mean(X_real) and F_real = U S Vᵀ, the embedding is F · V[:, :2].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from genvision.viz.grid import make_grid


def pca_2d(fit: np.ndarray, *others: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Project `fit` and `others` ([N, D] each) on the top-2 principal axes of `fit`.

    Returns ([fit_2d, *others_2d], explained) where `explained` holds the two axes' variance ratios.
    """
    fit = np.asarray(fit, dtype=np.float64)
    if fit.ndim != 2 or fit.shape[0] < 3:
        raise ValueError(f"need at least 3 feature rows [N, D] to fit PCA, got shape {fit.shape}")
    mean = fit.mean(axis=0)
    _, singular, vt = np.linalg.svd(fit - mean, full_matrices=False)
    axes = vt[:2].T
    variance = singular**2
    explained = variance[:2] / max(variance.sum(), 1e-12)
    return [(np.asarray(x, dtype=np.float64) - mean) @ axes for x in (fit, *others)], explained


def save_coverage_figure(
    path: str | Path,
    real_2d: np.ndarray,
    fake_2d: np.ndarray,
    real_labels: np.ndarray | None,
    class_names: list[str] | None,
    slice_images: torch.Tensor,
    slice_steps: int,
    explained: np.ndarray | None = None,
    title: str = "latent coverage",
    slice_title: str = "G(a·z₁ + b·z₂), a (rows), b (columns) in [−1, 1]",
) -> Path:
    """Write the two-panel coverage figure (`slice_images`: [steps², C, H, W] in [−1, 1]) as a PNG (matplotlib's Agg canvas; no global pyplot state)."""
    fig = Figure(figsize=(12, 5.6), dpi=110)
    FigureCanvasAgg(fig)
    ax, ax_grid = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    if real_labels is not None and (real_labels >= 0).any():
        for k in np.unique(real_labels[real_labels >= 0]):
            sel = real_labels == k
            name = class_names[k] if class_names and k < len(class_names) else str(k)
            ax.scatter(real_2d[sel, 0], real_2d[sel, 1], s=6, alpha=0.45, label=f"real: {name}")
    else:
        ax.scatter(real_2d[:, 0], real_2d[:, 1], s=6, alpha=0.45, c="tab:blue", label="real")
    ax.scatter(fake_2d[:, 0], fake_2d[:, 1], s=14, marker="x", c="black", linewidths=0.7, label="generated")
    for i, set_label in enumerate((ax.set_xlabel, ax.set_ylabel)):
        set_label(f"PC {i + 1}" + ("" if explained is None else f" ({explained[i]:.0%} of variance)"))
    ax.set_title("classifier features, PCA of real images")
    ax.legend(fontsize=7, markerscale=2, loc="best", ncol=2)
    mosaic = make_grid(slice_images, nrow=slice_steps)  # uint8 [H, W, C]
    mosaic = mosaic[..., 0] if mosaic.shape[-1] == 1 else mosaic
    ax_grid.imshow(mosaic, cmap="gray" if mosaic.ndim == 2 else None, vmin=0, vmax=255)
    ax_grid.set_title(slice_title)
    ax_grid.set_axis_off()
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
