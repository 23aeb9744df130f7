import numpy as np
import pytest
from skimage.metrics import structural_similarity

from genvision.errors import GenvisionError
from genvision.metrics.image_quality import psnr, ssim
from genvision.metrics.images import to_model_images


def test_psnr_of_a_constant_offset_is_closed_form():
    a = np.full((2, 16, 16), 100, dtype=np.uint8)
    b = a + np.array([10, 51], dtype=np.uint8)[:, None, None]
    expected = 10 * np.log10(1 / (np.array([10, 51]) / 255.0) ** 2)
    np.testing.assert_allclose(psnr(a, b), expected, rtol=1e-9)
    assert np.isinf(psnr(a, a)).all()
    np.testing.assert_allclose(psnr(to_model_images(a), to_model_images(b)), expected, rtol=1e-5)


def test_psnr_and_ssim_over_a_region_ignore_pixels_outside_it():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(3, 32, 32), dtype=np.uint8)
    b = a.copy()
    region = np.zeros((32, 32), dtype=bool)
    region[8:24, 8:24] = True
    b[:, ~region] = 255 - b[:, ~region]  # damage only outside the region
    assert np.isinf(psnr(a, b, region)).all()
    inner = np.zeros_like(region)
    inner[13:19, 13:19] = True  # the 11-pixel Gaussian window around these pixels sees no damage
    np.testing.assert_allclose(ssim(a, b, inner), 1.0, atol=1e-12)
    assert (ssim(a, b, region) > ssim(a, b) + 0.3).all()
    b2 = a.copy()
    b2[:, region] = 0
    mse = ((a[:, region] / 255.0) ** 2).mean(axis=1)
    np.testing.assert_allclose(psnr(a, b2, region), 10 * np.log10(1 / mse), rtol=1e-9)


def test_ssim_matches_scikit_image_gaussian_settings():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, size=(2, 28, 28, 3), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    ref = [
        structural_similarity(
            a[i] / 255.0,
            b[i] / 255.0,
            data_range=1.0,
            channel_axis=2,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        for i in range(2)
    ]
    np.testing.assert_allclose(ssim(a, b), ref, rtol=1e-9)
    np.testing.assert_allclose(ssim(a, a), 1.0)


def test_bad_region_and_shape_mismatch():
    a = np.zeros((2, 16, 16), dtype=np.uint8)
    with pytest.raises(GenvisionError, match="region"):
        psnr(a, a, np.zeros((8, 8)))
    with pytest.raises(GenvisionError, match="empty"):
        psnr(a, a, np.zeros((16, 16)))
    with pytest.raises(GenvisionError, match="shapes"):
        ssim(a, np.zeros((2, 16, 8), dtype=np.uint8))
    with pytest.raises(GenvisionError, match="at least 11"):
        ssim(a[:, :10, :10], a[:, :10, :10])
