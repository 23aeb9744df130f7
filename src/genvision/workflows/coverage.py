"""The latent-coverage figure of a GAN: classifier features of real and generated images in one PCA plane,
beside G over a 2-D slice of z (genvision.generators.gan.GAN.z_slice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genvision.generators import GAN, Classifier
from genvision.viz.coverage import pca_2d, save_coverage_figure


def latent_coverage(
    model: GAN,
    classifier: Classifier,
    real_images: torch.Tensor,
    real_labels: torch.Tensor,
    path: str | Path,
    n: int = 1000,
    seed: int = 0,
    steps: int = 8,
    dims: tuple[int, int] | None = None,
    label: int | str | None = None,
) -> Path:
    """Write the figure: PCA fitted on real features, real and n generated points, and the z-slice grid."""
    fake = model.sample(n, seed=seed, label=label).images
    real_feats, fake_feats = classifier.features(real_images), classifier.features(fake)
    (real_2d, fake_2d), explained = pca_2d(real_feats.double().numpy(), fake_feats.double().numpy())
    grid = model.z_slice(steps=steps, seed=seed, dims=dims, label=label)
    return save_coverage_figure(
        path,
        real_2d,
        fake_2d=fake_2d,
        real_labels=np.asarray(real_labels),
        class_names=model.class_names,
        slice_images=grid,
        slice_steps=steps,
        explained=explained,
        title=f"latent coverage: {n} generated vs {len(real_images)} real",
    )
