"""Equalised learning rate: N(0, 1) storage, 1/sqrt(fan_in) runtime scale, fan-in-independent Adam steps."""

import math

import pytest
import torch
import torch.nn.functional as F

from genvision.nn.equalized import LRELU_GAIN, EqualizedConv2d, EqualizedLinear, scaled_leaky_relu


def test_weights_are_stored_unit_normal_and_scaled_at_runtime():
    torch.manual_seed(0)
    layer = EqualizedLinear(1024, 512)
    assert layer.weight.std().item() == pytest.approx(1.0, rel=0.02)
    assert layer.effective_weight().std().item() == pytest.approx(1 / math.sqrt(1024), rel=0.02)
    slow = EqualizedLinear(1024, 512, lr_mul=0.01, bias_init=1.0)
    assert slow.weight.std().item() == pytest.approx(100.0, rel=0.02)  # θ ~ N(0, 1/λ²)
    assert slow.effective_weight().std().item() == pytest.approx(1 / math.sqrt(1024), rel=0.02)
    assert torch.allclose(slow.effective_bias(), torch.ones(512))


def test_forward_matches_closed_form():
    torch.manual_seed(1)
    layer = EqualizedLinear(20, 7, lr_mul=0.1, activation=True)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(5, 20)
    expected = F.leaky_relu(x @ (layer.weight * 0.1 / math.sqrt(20)).T + layer.bias * 0.1, 0.2) * math.sqrt(2)
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_gradient_on_stored_weight_is_scaled_by_runtime_constant():
    torch.manual_seed(2)
    layer = EqualizedLinear(64, 8)
    plain = torch.nn.Linear(64, 8)
    with torch.no_grad():
        plain.weight.copy_(layer.effective_weight())
        plain.bias.copy_(layer.bias)
    x = torch.randn(16, 64)
    target = torch.randn(16, 8)
    F.mse_loss(layer(x), target).backward()
    F.mse_loss(plain(x), target).backward()
    assert torch.allclose(layer(x), plain(x), atol=1e-6)
    # dL/dθ = c · dL/dW with c = 1/sqrt(fan_in): the chain rule through W = c θ
    assert torch.allclose(layer.weight.grad, plain.weight.grad / math.sqrt(64), atol=1e-7)


def _relative_adam_step(layer: torch.nn.Module, weight_of, fan_in: int) -> float:
    x = torch.randn(32, fan_in)
    before = weight_of(layer).detach().clone()
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
    layer(x).pow(2).mean().backward()
    opt.step()
    after = weight_of(layer).detach()
    return ((after - before).abs().mean() / before.std()).item()


def test_adam_moves_every_layer_by_the_same_relative_amount():
    """The point of equalised lr: relative weight change per step ≈ lr, whatever the fan-in."""
    torch.manual_seed(3)
    eq = [
        _relative_adam_step(EqualizedLinear(n, 32), EqualizedLinear.effective_weight, n) for n in (16, 1024)
    ]
    assert eq[0] == pytest.approx(1e-3, rel=0.1) and eq[1] == pytest.approx(1e-3, rel=0.1)
    plain = [_relative_adam_step(torch.nn.Linear(n, 32), lambda m: m.weight, n) for n in (16, 1024)]
    assert (
        plain[1] / plain[0] > 5
    )  # default init: the wide layer moves sqrt(1024/16) = 8× faster relative to scale


def test_mapping_lr_multiplier_slows_effective_updates():
    torch.manual_seed(4)
    fast = _relative_adam_step(EqualizedLinear(256, 32), EqualizedLinear.effective_weight, 256)
    slow = _relative_adam_step(EqualizedLinear(256, 32, lr_mul=0.01), EqualizedLinear.effective_weight, 256)
    assert slow / fast == pytest.approx(0.01, rel=0.1)


def test_activations_keep_unit_second_moment():
    torch.manual_seed(5)
    x = torch.randn(4096, 512)
    y = EqualizedLinear(512, 512)(x)
    assert y.std().item() == pytest.approx(1.0, rel=0.05)
    # gain sqrt(2) on leaky-ReLU(0.2): E[act²] = 2 · (1 + 0.04)/2 = 1.04 for unit-normal input
    assert scaled_leaky_relu(x).pow(2).mean().item() == pytest.approx(1.04, rel=0.02)
    assert LRELU_GAIN == pytest.approx(math.sqrt(2))


def test_equalized_conv_scale_and_downsampling():
    torch.manual_seed(6)
    conv = EqualizedConv2d(64, 32, 3, downsample=True)
    assert conv.weight.std().item() == pytest.approx(1.0, rel=0.05)
    y = conv(torch.randn(8, 64, 28, 28))
    assert y.shape == (8, 32, 14, 14)
    y_full = EqualizedConv2d(64, 32, 3)(torch.randn(8, 64, 28, 28))
    assert y_full[:, :, 1:-1, 1:-1].std().item() == pytest.approx(1.0, rel=0.05)
