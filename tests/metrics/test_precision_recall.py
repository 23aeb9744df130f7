import numpy as np
import pytest
import torch

from genvision.metrics.precision_recall import knn_radii_squared, precision_recall


def test_identical_sets_have_precision_and_recall_one():
    feats = np.random.default_rng(0).normal(size=(300, 16))
    assert precision_recall(feats, feats.copy(), k=3, batch_size=64) == (1.0, 1.0)


def test_far_apart_sets_score_zero():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200, 8))
    assert precision_recall(a, rng.normal(size=(200, 8)) + 100.0) == (0.0, 0.0)


def test_mode_collapse_keeps_precision_but_loses_recall():
    rng = np.random.default_rng(2)
    real = np.concatenate([rng.normal(size=(300, 2)) + c for c in ([0, 0], [20, 0], [0, 20])])
    fake = rng.normal(size=(300, 2)) * 0.5  # only the first mode, and tighter
    precision, recall = precision_recall(real, fake, k=3)
    assert precision > 0.95
    assert recall < 0.4


def test_knn_radius_is_distance_to_kth_other_point_and_batch_invariant():
    pts = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    np.testing.assert_allclose(knn_radii_squared(pts, 1, 2).numpy(), [1.0, 1.0, 4.0, 16.0])
    np.testing.assert_allclose(knn_radii_squared(pts, 2, 1).numpy(), [9.0, 4.0, 9.0, 36.0])
    feats = np.random.default_rng(3).normal(size=(120, 5))
    other = feats[:60] + 0.3
    assert precision_recall(feats, other, batch_size=7) == precision_recall(feats, other, batch_size=1000)


def test_needs_more_than_k_points():
    with pytest.raises(ValueError):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3)
