"""Coverage figure: PCA against a closed form, and a real PNG written."""

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.viz.coverage import pca_2d, save_coverage_figure


def test_pca_recovers_the_dominant_axes():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(500, 2)) * [5.0, 2.0]
    basis = np.linalg.qr(rng.normal(size=(6, 6)))[0][:, :2]  # orthonormal columns
    feats = latent @ basis.T + 0.01 * rng.normal(size=(500, 6)) + 3.0
    (proj, other), explained = pca_2d(feats, feats[:10])
    assert explained.sum() > 0.99 and explained[0] > explained[1]
    assert abs(np.corrcoef(proj[:, 0], latent[:, 0])[0, 1]) > 0.99
    assert abs(np.corrcoef(proj[:, 1], latent[:, 1])[0, 1]) > 0.99
    assert np.allclose(other, proj[:10])


def test_save_coverage_figure(tmp_path):
    rng = np.random.default_rng(0)
    path = save_coverage_figure(
        tmp_path / "cov.png",
        rng.normal(size=(30, 2)),
        rng.normal(size=(10, 2)),
        np.arange(30) % 3,
        ["a", "b", "c"],
        torch.rand(9, 1, 8, 8) * 2 - 1,
        3,
        np.array([0.5, 0.2]),
    )
    with Image.open(path) as img:
        assert img.size[0] > 600 and img.size[1] > 300
    with pytest.raises(ValueError):
        pca_2d(np.zeros((2, 4)))
