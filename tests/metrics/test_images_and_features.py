import re

import numpy as np
import pytest
import torch

from genvision.errors import GenvisionError
from genvision.metrics.features import RandomProjectionFeatures
from genvision.metrics.images import to_model_images


def test_uint8_nhw_and_nhwc_become_float_nchw_in_unit_range():
    img = np.array([[[0, 255], [127, 128]]], dtype=np.uint8)
    x = to_model_images(img)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    np.testing.assert_allclose(x[0, 0].numpy(), [[-1.0, 1.0], [127 / 127.5 - 1, 128 / 127.5 - 1]], atol=1e-6)
    rgb = np.zeros((2, 4, 5, 3), dtype=np.uint8)
    rgb[..., 2] = 255
    y = to_model_images(rgb)
    assert y.shape == (2, 3, 4, 5) and float(y[:, 2].min()) == 1.0 and float(y[:, 0].max()) == -1.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 8, 8), dtype=np.int32), "uint8"),
        (np.zeros((2, 8, 8, 4), dtype=np.uint8), "C in (1, 3)"),
        (np.zeros((2, 8, 8), dtype=np.float32), "[N, C, H, W]"),
        (np.full((2, 1, 8, 8), 200.0, dtype=np.float32), "[-1, 1]"),
        (np.full((2, 1, 8, 8), np.nan, dtype=np.float32), "NaN"),
    ],
)
def test_bad_images_raise_clear_errors(bad, message):
    with pytest.raises(GenvisionError, match=re.escape(message)):
        to_model_images(bad)


def test_extraction_is_float64_and_independent_of_batch_size():
    imgs = np.random.default_rng(0).integers(0, 256, size=(37, 28, 28), dtype=np.uint8)
    a = RandomProjectionFeatures(dim=16, batch_size=5).extract(imgs)
    b = RandomProjectionFeatures(dim=16, batch_size=64).extract(imgs)
    assert a.features.dtype == np.float64 and a.features.shape == (37, 16) and a.logits is None
    np.testing.assert_allclose(a.features, b.features, atol=1e-5)
    float_imgs = to_model_images(imgs)
    np.testing.assert_allclose(RandomProjectionFeatures(dim=16)(float_imgs), a.features, atol=1e-5)


def test_rgb_inputs_are_averaged_for_a_grayscale_projection():
    gray = np.random.default_rng(1).integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    extractor = RandomProjectionFeatures(dim=8)
    np.testing.assert_allclose(extractor(rgb), extractor(gray), atol=1e-5)
