"""Codes as bytes: exact sizes, bounded quantisation error, JPEG at a byte budget."""

import numpy as np
import pytest
import torch

from genvision.inversion.compression import code_size, jpeg_at_budget, jpeg_bytes, pack_code, unpack_code


@pytest.mark.parametrize("space,bits", [("w", 16), ("w+", 16), ("w", 8), ("w+", 8)])
def test_pack_roundtrip(space, bits):
    torch.manual_seed(0)
    ws = torch.randn(6, 32)
    if space == "w":
        ws = ws[:1].expand(6, -1)
    data = pack_code(ws, space, bits)
    assert len(data) == code_size(space, 6, 32, bits)
    back = unpack_code(data, space, 6, 32, bits)
    assert back.shape == (6, 32)
    span = (ws.max(dim=1).values - ws.min(dim=1).values).max().item()
    tol = 1e-3 * ws.abs().max().item() if bits == 16 else span / 510 + 2e-3 * ws.abs().max().item()
    assert (back - ws).abs().max().item() <= tol


def test_code_sizes():
    assert code_size("w", 6, 128, 16) == 256
    assert code_size("w+", 6, 128, 16) == 1536
    assert code_size("w+", 6, 128, 8) == 6 * 132


def test_jpeg_at_budget_respects_the_budget_and_quality_helps():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28]
    image = np.clip(128 + 80 * np.sin(xx / 3.0) * np.cos(yy / 4.0) + rng.normal(0, 10, (28, 28)), 0, 255)
    image = image.astype(np.uint8)
    q_small, size_small, dec_small = jpeg_at_budget(image, 500)
    q_big, size_big, dec_big = jpeg_at_budget(image, 900)
    assert size_small <= 500 and size_big <= 900 and q_big > q_small
    err = lambda d: np.mean((d.astype(float) - image) ** 2)  # noqa: E731
    assert err(dec_big) < err(dec_small)
    data, decoded = jpeg_bytes(image, q_big)
    assert len(data) == size_big and decoded.shape == image.shape
