"""Figure helpers: paired rows, strips, latent projection, manifold quantiles, scatter PNGs."""

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.viz.latent_maps import manifold_latents, project_2d, save_latent_scatter
from genvision.viz.reconstructions import paired_rows, save_reconstructions, save_strip


def test_paired_rows_put_originals_above_reconstructions():
    originals = torch.arange(5.0).view(5, 1, 1, 1)
    recons = -torch.arange(5.0).view(5, 1, 1, 1) - 10
    images, per_row = paired_rows(originals, recons, per_row=3)
    assert per_row == 3
    assert images.flatten().tolist() == [
        0,
        1,
        2,
        -10,
        -11,
        -12,
        3,
        4,
        1,
        -13,
        -14,
        1,
    ]  # padded with white (+1)


def test_saved_panels_have_the_expected_tiles(tmp_path):
    x = torch.zeros(4, 1, 8, 8)
    path = save_reconstructions(tmp_path / "r.png", x, x, per_row=4)
    w, h = Image.open(path).size
    assert w > h  # 4 tiles across, 2 rows
    strip = save_strip(tmp_path / "s.png", torch.zeros(6, 3, 8, 8))
    w, h = Image.open(strip).size
    assert w > 5 * h


def test_project_2d_keeps_2d_latents_and_pca_finds_the_main_axis():
    z = np.random.default_rng(0).normal(size=(50, 2))
    same, explained = project_2d(z)
    assert np.array_equal(same, z) and explained is None
    t = np.random.default_rng(1).normal(size=(200, 1))
    z5 = np.concatenate([3 * t, 0.01 * np.random.default_rng(2).normal(size=(200, 4))], axis=1)
    proj, explained = project_2d(z5)
    assert proj.shape == (200, 2) and explained[0] > 0.99
    assert abs(np.corrcoef(proj[:, 0], t[:, 0])[0, 1]) > 0.999


def test_manifold_latents_are_symmetric_normal_quantiles():
    z = manifold_latents(5)
    assert z.shape == (25, 2)
    assert torch.allclose(z[:5, 0], -z[:5, 0].flip(0), atol=1e-6) and z[2, 0].abs() < 1e-6
    assert (z[:5, 1] > 0).all() and (z[-5:, 1] < 0).all()  # top row is high z₂
    with pytest.raises(ValueError, match="2-D"):
        manifold_latents(5, dims=3)


def test_latent_scatter_writes_a_png(tmp_path):
    z = torch.randn(60, 4)
    labels = torch.arange(60) % 3
    path = save_latent_scatter(tmp_path / "s.png", z, labels, ["a", "b", "c"])
    assert Image.open(path).size[0] > 100
