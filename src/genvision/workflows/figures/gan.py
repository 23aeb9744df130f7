"""Report figures 3.5–3.7 (GANs): DCGAN samples, the class-conditional grid, four-corner interpolation,
and latent coverage. The DCGAN figures use `mnist-dcgan`, trained on real MNIST digits, as the report does.

Coverage (3.7) embeds real and generated images in 2-D by PCA of the shipped classifier's features
(`genvision.viz.coverage`): a generator that reaches the whole data space puts its samples over every real
cluster. Beside it, G over the plane z(a, b) = a z₁ + b z₂ through two noise samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genvision.metrics.frechet import fid_from_features
from genvision.viz.coverage import pca_2d, save_coverage_figure
from genvision.viz.grid import save_grid
from genvision.workflows.figures.context import FigureContext
from genvision.workflows.figures.panels import png_target, rows_of, save_panel

DCGAN, CGAN, CLASSIFIER = "mnist-dcgan", "fashion-cgan", "mnist-classifier"


def samples(ctx: FigureContext, path: Path) -> str:
    side = ctx.pick(10, 8)
    save_grid(ctx.model(DCGAN).sample(side * side, seed=ctx.seed).images, path, nrow=side)
    return f"{side * side} samples"


def class_grid(ctx: FigureContext, path: Path, name: str = CGAN) -> str:
    """One row per class of a class-conditional generator `name` (a cGAN or a conditional StyleGAN)."""
    g = ctx.model(name)
    per_row = ctx.pick(10, 8)
    # every row uses the same noise (seed, 0 … per_row-1): columns show one z under each class
    rows = [g.sample(per_row, seed=ctx.seed, label=k).images for k in range(g.num_classes)]
    save_panel(
        path,
        rows_of(*rows),
        per_row,
        row_labels=g.class_names,
        title=f"{name}: one row per class, one noise sample per column",
    )
    return f"{g.num_classes} classes × {per_row}"


def interpolation(ctx: FigureContext, path: Path) -> str:
    steps = ctx.pick(10, 8)
    grid = ctx.model(DCGAN).interpolate(corners=4, steps=steps, seed=ctx.seed)
    save_grid(grid.images, path, nrow=steps)
    return f"{steps}×{steps} bilinear blend of 4 noise samples"


def coverage(ctx: FigureContext, path: Path) -> str:
    g, classifier = ctx.model(DCGAN), ctx.model(CLASSIFIER)
    real, labels = ctx.mnist("test", ctx.pick(2000, 500))
    n = len(real)
    real_f = classifier.features(real).double().numpy()
    fake_f = classifier.features(g.sample(n, seed=ctx.seed).images).double().numpy()
    (real_2d, fake_2d), explained = pca_2d(real_f, fake_f)
    steps = ctx.pick(10, 8)
    with png_target(path) as tmp:
        save_coverage_figure(
            tmp,
            real_2d,
            fake_2d,
            np.asarray(labels),
            g.class_names,
            g.z_slice(steps=steps, seed=ctx.seed),
            steps,
            explained,
            title=f"{DCGAN}: {n} samples over {n} real test images",
        )
    return f"classifier-feature FID {fid_from_features(real_f, fake_f):.3f} at n={n}"
