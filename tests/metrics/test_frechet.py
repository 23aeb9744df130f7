import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn as nn

from genvision.metrics.features import RandomProjectionFeatures
from genvision.metrics.frechet import fid_from_features, frechet_distance, gaussian_stats
from tests.metrics.helpers import blobs


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def samples_with_exact_stats(rng, mu, sigma, n):
    """n samples whose empirical mean and (N-1) covariance are exactly mu and sigma."""
    z = rng.normal(size=(n, len(mu)))
    z -= z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whiten: cov(z) = I
    return z @ np.linalg.cholesky(sigma).T + mu


def test_commuting_gaussians_match_closed_form():
    # diagonal covariances: d² = ‖μ₁−μ₂‖² + Σ (√a − √b)²
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, -1.0])
    expected = 1.0 + 9.0 + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_general_gaussians_match_scipy_sqrtm_formula():
    rng = np.random.default_rng(0)
    d = 16
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_fid_from_samples_equals_closed_form_of_their_gaussians():
    rng = np.random.default_rng(1)
    d = 8
    mu1, mu2, s1, s2 = rng.normal(size=d), rng.normal(size=d), random_spd(rng, d), random_spd(rng, d)
    real, fake = samples_with_exact_stats(rng, mu1, s1, 500), samples_with_exact_stats(rng, mu2, s2, 300)
    m, s = gaussian_stats(real)
    np.testing.assert_allclose(m, mu1, atol=1e-10)
    np.testing.assert_allclose(s, s1, atol=1e-10)
    assert fid_from_features(real, fake) == pytest.approx(frechet_distance(mu1, s1, mu2, s2), rel=1e-8)


def test_identical_and_rank_deficient_sets_give_zero_and_no_nan():
    rng = np.random.default_rng(2)
    feats = rng.normal(size=(10, 32))  # fewer samples than dims: singular covariance
    assert fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-8)
    assert np.isfinite(fid_from_features(feats, feats + 1.0))


class FixedProjection(nn.Module):
    """A custom torchmetrics feature network: uint8 NCHW → fixed random projection (float64)."""

    def __init__(self, dim=12):
        super().__init__()
        self.weight = torch.randn(
            3 * 8 * 8, dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64
        )

    def forward(self, imgs):
        return (imgs.double() / 127.5 - 1).flatten(1) @ self.weight


def test_fid_equals_torchmetrics_with_the_same_feature_network():
    from torchmetrics.image.fid import FrechetInceptionDistance

    gen = torch.Generator().manual_seed(3)
    real = torch.randint(0, 256, (64, 3, 8, 8), generator=gen, dtype=torch.uint8)
    fake = (real.float() * 0.7 + 40).clamp(0, 255).to(torch.uint8)
    net = FixedProjection()
    metric = FrechetInceptionDistance(feature=net, input_img_size=(3, 8, 8))
    metric.update(real, real=True)
    metric.update(fake, real=False)
    theirs = float(metric.compute())
    ours = fid_from_features(net(real).numpy(), net(fake).numpy())
    assert theirs > 1.0
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_fid_rises_monotonically_with_noise():
    extractor = RandomProjectionFeatures(dim=32)
    real_a, real_b = blobs(400, seed=0), blobs(400, seed=1)
    rng = np.random.default_rng(4)
    ref = extractor(real_a)
    fids = []
    for sigma in (0, 10, 25, 50, 100):
        noisy = np.clip(real_b + rng.normal(0, sigma, real_b.shape), 0, 255).astype(np.uint8)
        fids.append(fid_from_features(ref, extractor(noisy)))
    assert all(a < b for a, b in zip(fids, fids[1:])), fids
    assert fids[-1] > 10 * fids[0]
