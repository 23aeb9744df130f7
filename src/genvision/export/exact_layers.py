"""Exact stand-ins for layers that onnxruntime's CPU kernels run slowly, used in exported graphs only.

    generator = dense_first_layers(generator)   # a copy; the torch backend keeps the original

A transposed convolution of a 1 × 1 input (a DCGAN generator's first layer, z → s0 × s0 grid) with no padding is
a matrix product:  y[c, i, j] = Σ_k z[k] · W[k, c, i, j] + b[c]  =  (z · W.reshape(K, C·kh·kw) + b)[c, i, j].
onnxruntime runs it as ConvTranspose (a GEMM per image plus col2im); as one MatMul over the batch the fashion
GANs' 64-sample generator call ran 1.3–1.5× faster (benchmarks/README.md, ONNX inference).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn as nn


def is_dense(conv: nn.ConvTranspose2d) -> bool:
    """Whether a 1 × 1 input through `conv` is a plain matrix product (no padding, cropping or groups)."""
    return (
        conv.padding == (0, 0)
        and conv.output_padding == (0, 0)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and isinstance(conv.padding_mode, str)
        and conv.padding_mode == "zeros"
    )


class DenseTransposedConv(nn.Module):
    """`conv` (a ConvTranspose2d with is_dense) as z · W + b for 1 × 1 inputs; other inputs go to `conv`."""

    def __init__(self, conv: nn.ConvTranspose2d) -> None:
        super().__init__()
        weight = conv.weight.detach()  # [K, C, kh, kw]
        self.conv = conv
        self.out_shape = tuple(weight.shape[1:])
        self.register_buffer("matrix", weight.reshape(weight.shape[0], -1).clone())
        bias = None if conv.bias is None else conv.bias.detach().repeat_interleave(weight[0, 0].numel())
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != (1, 1):
            return self.conv(x)
        y = x.flatten(1) @ self.matrix
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(x.shape[0], *self.out_shape)


def replaced(module: nn.Module, rule: Callable[[nn.Module], nn.Module | None]) -> nn.Module:
    """A copy of `module` with each submodule for which `rule` gives a stand-in replaced by it (the original
    stays untouched: the torch backend keeps running it)."""
    module = copy.deepcopy(module)

    def swap(parent: nn.Module) -> None:
        for name, child in parent.named_children():
            stand_in = rule(child)
            if stand_in is not None:
                setattr(parent, name, stand_in)
            else:
                swap(child)

    swap(module)
    return module


def dense_first_layers(module: nn.Module) -> nn.Module:
    """A copy of `module` with every dense-able ConvTranspose2d wrapped in DenseTransposedConv."""

    def rule(child: nn.Module) -> nn.Module | None:
        return (
            DenseTransposedConv(child) if isinstance(child, nn.ConvTranspose2d) and is_dense(child) else None
        )

    return replaced(module, rule)
