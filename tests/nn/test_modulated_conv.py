"""Modulated convolution: demodulation keeps activations at unit scale; grouped conv = per-sample conv."""

import pytest
import torch
import torch.nn.functional as F

from genvision.nn.modulated_conv import ModulatedConv2d, modulated_conv2d


@pytest.mark.parametrize("style_scale", [0.1, 1.0, 10.0])
def test_demodulation_keeps_unit_scale_whatever_the_style(style_scale):
    torch.manual_seed(0)
    x = torch.randn(8, 64, 16, 16)
    weight = torch.randn(32, 64, 3, 3)
    styles = style_scale * (1 + torch.rand(8, 64))
    y = modulated_conv2d(x, weight, styles, demodulate=True)
    interior = y[:, :, 1:-1, 1:-1]
    assert interior.std().item() == pytest.approx(1.0, rel=0.1)
    per_sample = interior.flatten(1).std(dim=1)
    assert per_sample.min() > 0.85 and per_sample.max() < 1.15


def test_without_demodulation_scale_follows_the_style():
    torch.manual_seed(1)
    x = torch.randn(4, 64, 16, 16)
    weight = torch.randn(32, 64, 3, 3) / 24.0  # 1/sqrt(64·9)
    small = modulated_conv2d(x, weight, torch.full((4, 64), 0.1), demodulate=False)
    large = modulated_conv2d(x, weight, torch.full((4, 64), 10.0), demodulate=False)
    assert (large.std() / small.std()).item() == pytest.approx(100.0, rel=1e-3)


@pytest.mark.parametrize("grouped", [True, False])
def test_both_paths_equal_the_per_sample_reference(grouped):
    torch.manual_seed(2)
    x = torch.randn(3, 5, 9, 9)
    weight = torch.randn(4, 5, 3, 3)
    styles = torch.randn(3, 5)
    y = modulated_conv2d(x, weight, styles, demodulate=True, grouped=grouped)
    for i in range(3):
        w_i = weight * styles[i].reshape(1, 5, 1, 1)
        w_i = w_i / w_i.pow(2).sum(dim=(1, 2, 3), keepdim=True).add(1e-8).sqrt()
        assert torch.allclose(y[i : i + 1], F.conv2d(x[i : i + 1], w_i, padding=1), atol=1e-5)


def test_module_upsamples_and_starts_with_unit_styles():
    torch.manual_seed(3)
    conv = ModulatedConv2d(16, 8, 3, w_dim=12, upsample=True)
    w = torch.zeros(2, 12)
    assert torch.allclose(conv.affine(w), torch.ones(2, 16))  # affine bias initialised to 1
    y = conv(torch.randn(2, 16, 7, 7), torch.randn(2, 12))
    assert y.shape == (2, 8, 14, 14)
