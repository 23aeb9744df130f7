"""Report figures 2.1 and 3.4 (the VAE): the latent map by class, the decoded manifold, interpolation strips.

The shipped fashion-vae has a 16-D latent, so the map shows the posterior means μ(x) of held-out images on
their top two principal axes (v₁, v₂, with standard deviations σ₁, σ₂ along them), and the manifold decodes
the plane through their mean m:  z(u, w) = m + Φ⁻¹(u) σ₁ v₁ + Φ⁻¹(w) σ₂ v₂,  u, w evenly spaced in (0, 1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genvision.viz.latent_maps import manifold_latents, save_latent_scatter
from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import png_target, rows_of, save_panel

BUNDLE = "fashion-vae"
PAIRS = ((0, 7), (1, 8), (3, 5), (4, 9))  # class pairs: T-shirt → sneaker, trouser → bag, ...


def latent_map(ctx: FigureContext, path: Path) -> str:
    vae = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", ctx.pick(3000, 600))
    z = vae.encode(x)
    with png_target(path) as tmp:
        save_latent_scatter(tmp, z, y, ctx.class_names(), title=f"{BUNDLE}: μ(x) of {len(x)} test images")
    return f"{len(x)} test images, {z.shape[1]}-D latent"


def principal_plane(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean [D], axes [2, D], standard deviations [2]) of latents [N, D] along their top-2 principal axes."""
    zz = z.double().numpy()
    mean = zz.mean(axis=0)
    _, singular, vt = np.linalg.svd(zz - mean, full_matrices=False)
    std = singular[:2] / np.sqrt(len(zz) - 1)
    return torch.from_numpy(mean).float(), torch.from_numpy(vt[:2]).float(), torch.from_numpy(std).float()


def manifold(ctx: FigureContext, path: Path) -> str:
    vae = ctx.model(BUNDLE)
    x, _ = ctx.fashion("test", ctx.pick(3000, 600))
    mean, axes, std = principal_plane(vae.encode(x))
    steps = ctx.pick(14, 9)
    q = manifold_latents(steps)  # [steps², 2] standard-normal quantiles, row-major
    z = mean + (q * std) @ axes
    save_panel(
        path,
        vae.decode(z),
        steps,
        title=f"{BUNDLE}: decoded latent plane of the top-2 principal axes (±{float(q.max()):.1f}σ)",
    )
    return f"{steps}×{steps} decoded points"


def interpolation(ctx: FigureContext, path: Path) -> str:
    vae = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", 200)
    names, steps = ctx.class_names(), ctx.pick(10, 7)
    rows = []
    for a, b in PAIRS:
        start, end = x[one_of_each(y, [a, b])]
        rows.append(rows_of(start[None], vae.interpolate(start, end, steps=steps).images, end[None]))
    cols = ["input a"] + [f"{t:.2f}" for t in torch.linspace(0, 1, steps).tolist()] + ["input b"]
    save_panel(
        path,
        rows_of(*rows),
        steps + 2,
        row_labels=[f"{names[a]} → {names[b]}" for a, b in PAIRS],
        col_labels=cols,
        title=f"{BUNDLE}: decoding the straight line between two encodings",
    )
    return f"{len(PAIRS)} pairs of test images × {steps} steps"
