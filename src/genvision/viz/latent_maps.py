"""Latent-space figures of a VAE: a 2-D scatter of encodings coloured by class, and the decoded manifold.

Scatter: the posterior means μ(x); when the latent has more than two dimensions they are projected on their top
two principal axes (PCA, `genvision.viz.coverage.pca_2d`).
Manifold grid (Kingma & Welling, 2014, fig. 4): for a 2-D latent, decode z on a steps × steps grid of standard-normal
quantiles z = (Φ⁻¹(u), Φ⁻¹(v)), u, v evenly spaced in (0, 1), so the grid covers the prior's mass evenly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats import norm

from genvision.viz.coverage import pca_2d


def project_2d(latents: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
    """[N, D] (or [N, ...], flattened) → ([N, 2], explained variance ratios or None when D ≤ 2)."""
    z = np.asarray(latents.detach().cpu() if isinstance(latents, torch.Tensor) else latents, dtype=np.float64)
    z = z.reshape(len(z), -1)
    if z.shape[1] == 2:
        return z, None
    if z.shape[1] == 1:
        return np.concatenate([z, np.zeros_like(z)], axis=1), None
    (proj,), explained = pca_2d(z)
    return proj, explained


def save_latent_scatter(
    path: str | Path,
    latents: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor | None,
    class_names: list[str] | None = None,
    title: str = "VAE latent means",
) -> Path:
    """Scatter of the (projected) latents, one colour per class; PNG through matplotlib's Agg canvas."""
    points, explained = project_2d(latents)
    labels = (
        None if labels is None else np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    )
    fig = Figure(figsize=(6.4, 5.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if labels is not None and (labels >= 0).any():
        for k in np.unique(labels[labels >= 0]):
            sel = labels == k
            name = class_names[k] if class_names and k < len(class_names) else str(k)
            ax.scatter(points[sel, 0], points[sel, 1], s=5, alpha=0.6, label=name)
        ax.legend(fontsize=7, markerscale=2.5, loc="best", ncol=2)
    else:
        ax.scatter(points[:, 0], points[:, 1], s=5, alpha=0.6)
    axis = "z" if explained is None else "PC"
    for i, set_label in enumerate((ax.set_xlabel, ax.set_ylabel)):
        set_label(f"{axis} {i + 1}" + ("" if explained is None else f" ({explained[i]:.0%} of variance)"))
    ax.set_title(title if explained is None else f"{title} (PCA)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def manifold_latents(steps: int = 15, dims: int = 2, margin: float = 0.05) -> torch.Tensor:
    """[steps², 2] prior quantiles (Φ⁻¹(u), Φ⁻¹(v)) in row-major order; rows go from high to low z₂ (top = +)."""
    if dims != 2:
        raise ValueError(f"the manifold grid needs a 2-D latent, this one has {dims} dimensions")
    q = norm.ppf(np.linspace(margin, 1.0 - margin, steps))
    z1, z2 = np.meshgrid(q, q[::-1])
    return torch.from_numpy(np.stack([z1.ravel(), z2.ravel()], axis=1)).float()
