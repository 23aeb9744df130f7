"""Equalised learning rate (Karras et al., ProGAN/StyleGAN): store weights N(0, 1), scale them at run time.

A layer with fan-in n keeps its parameter θ ~ N(0, 1/λ²) and uses the effective weight

    W = θ · λ / sqrt(n)          (λ = lr_mul, the learning-rate multiplier)
    b = β · λ

With scale-invariant optimisers (Adam) every parameter then moves by about lr per step, so the change of W
relative to its scale (lr · λ / sqrt(n) against 1 / sqrt(n)) is the same for every layer whatever its fan-in.
The mapping network uses λ = 0.01 so its weights move 100× slower than the synthesis network's.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LRELU_GAIN = math.sqrt(2.0)  # keeps the second moment of leaky-ReLU(0.2) outputs near that of its inputs


def scaled_leaky_relu(x: torch.Tensor, slope: float = 0.2, gain: float = LRELU_GAIN) -> torch.Tensor:
    """gain · leaky_relu(x, slope): the activation used throughout StyleGAN."""
    return F.leaky_relu(x, slope) * gain


class EqualizedLinear(nn.Module):
    """y = x Wᵀ + b with W = θ·λ/sqrt(in_features), θ ~ N(0, 1/λ²); optional scaled leaky-ReLU."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activation: bool = False,
    ):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul)) if bias else None
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.activation = activation

    def effective_weight(self) -> torch.Tensor:
        return self.weight * self.weight_gain

    def effective_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias * self.lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.effective_weight(), self.effective_bias())
        return scaled_leaky_relu(y) if self.activation else y

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, lr_mul={self.lr_mul}, activation={self.activation}"


class EqualizedConv2d(nn.Module):
    """A 'same'-padded conv with W = θ/sqrt(C_in·k²); optional 2× average-pool downsampling after it."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: bool = False,
        downsample: bool = False,
    ):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.activation = activation
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.kernel_size // 2)
        if self.downsample:
            y = F.avg_pool2d(y, 2)
        return scaled_leaky_relu(y) if self.activation else y

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, k={self.kernel_size}, activation={self.activation}, "
            f"downsample={self.downsample}"
        )
