"""Exact stand-ins for layers that onnxruntime's CPU kernels run slowly, used in exported graphs only.

    generator = dense_first_layers(generator)   # a copy; the torch backend keeps the original

A transposed convolution of a 1 × 1 input (a DCGAN generator's first layer, z → s0 × s0 grid) with no padding is
a matrix product:  y[c, i, j] = Σ_k z[k] · W[k, c, i, j] + b[c]  =  (z · W.reshape(K, C·kh·kw) + b)[c, i, j].
onnxruntime runs it as ConvTranspose (a GEMM per image plus col2im); as one MatMul over the batch the fashion
GANs' 64-sample generator call ran 1.3–1.5× faster (benchmarks/README.md, ONNX inference).

    generator = phase_pairs(generator, lambda g: g(z))   # also: two stride-2 upsamplings as two convolutions

A transposed convolution with kernel 4, stride 2 and padding 1 gives output row 2r + a − 1 (a ∈ {0, 1}) from
padded input rows r and r + 1 only:  y[2r+a−1] = Σ_t x̃[r+t] · W[a+2−2t]  (x̃: the input padded by one row, t ∈
{0, 1}). So it is a 2 × 2 convolution with 4·C_out channels (a, b, c) — the "phase form" P, one window per
pair of output rows. The next such layer reads P directly: its output pixel 4q + e needs hidden rows 2(q+d) + a − 1
(d ∈ {0, 1}) with tap k = e + 3 − 4d − 2a, again a 2 × 2 convolution (16·C channels), then a pixel shuffle by 4.
onnxruntime runs dense convolutions in its blocked (NCHWc) layout; its ConvTranspose is a GEMM per image plus
col2im. The pair ran a fashion DCGAN generator's 64 samples in 5.1 ms instead of 6.0 (split over two threads).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F


def _plain(conv: nn.ConvTranspose2d) -> bool:
    """No output padding, dilation or groups, and zero padding."""
    return (
        conv.output_padding == (0, 0)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and isinstance(conv.padding_mode, str)
        and conv.padding_mode == "zeros"
    )


def is_dense(conv: nn.ConvTranspose2d) -> bool:
    """Whether a 1 × 1 input through `conv` is a plain matrix product (no padding, cropping or groups)."""
    return conv.padding == (0, 0) and _plain(conv)


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


def is_stride2_upsampling(module: nn.Module) -> bool:
    """Whether `module` is a ConvTranspose2d with kernel 4, stride 2, padding 1 (the DCGAN upsampling)."""
    return (
        isinstance(module, nn.ConvTranspose2d)
        and module.kernel_size == (4, 4)
        and module.stride == (2, 2)
        and module.padding == (1, 1)
        and _plain(module)
    )


# tap k of output phase a read from window offset t: k = a + 2 − 2t
_PHASE_TAPS = torch.tensor([[2, 0], [3, 1]])


def _pixel_taps() -> torch.Tensor:
    """k = e + 3 − 4d − 2a for [e, a, d] (e ∈ 0..3), 4 (a zero tap) where it falls outside 0..3."""
    e, a, d = torch.meshgrid(torch.arange(4), torch.arange(2), torch.arange(2), indexing="ij")
    k = e + 3 - 4 * d - 2 * a
    return torch.where((k >= 0) & (k <= 3), k, torch.full_like(k, 4))


class PhaseUpsample(nn.Module):
    """ConvTranspose2d(k=4, s=2, p=1) → BatchNorm2d (optional) → ReLU, in phase form:
    x [B, C_in, H, W] → P [B, 4·C_out, H+1, W+1], channel (a, b, c) at window (r, u) = output (2r+a−1, 2u+b−1).
    The normalisation is folded into the convolution; the four rows / columns outside the output (−1 and 2H) are
    zeroed by a constant mask, as the next layer reads them as padding."""

    def __init__(self, conv: nn.ConvTranspose2d, norm: nn.BatchNorm2d | None, in_hw: tuple[int, int]) -> None:
        super().__init__()
        weight = conv.weight.detach()  # [C_in, C_out, 4, 4]
        c_out = weight.shape[1]
        taps = _PHASE_TAPS
        w = weight[:, :, taps[:, None, :, None], taps[None, :, None, :]]  # [C_in, C_out, a, b, t, v]
        w = w.permute(2, 3, 1, 0, 4, 5)  # [a, b, C_out, C_in, t, v]
        bias = torch.zeros(c_out) if conv.bias is None else conv.bias.detach()
        if norm is not None:
            scale = torch.rsqrt(norm.running_var + norm.eps)
            if norm.weight is not None:
                scale = scale * norm.weight.detach()
            shift = -norm.running_mean * scale + (0 if norm.bias is None else norm.bias.detach())
            w, bias = w * scale[:, None, None, None], bias * scale + shift
        self.register_buffer("weight", w.reshape(4 * c_out, -1, 2, 2).contiguous())
        self.register_buffer("bias", bias.repeat(4))
        h, wd = in_hw
        keep = torch.ones(2, 2, 1, h + 1, wd + 1)
        keep[0, :, :, 0, :] = keep[1, :, :, h, :] = 0  # rows −1 and 2H
        keep[:, 0, :, :, 0] = keep[:, 1, :, :, wd] = 0  # columns −1 and 2W
        self.register_buffer(
            "mask", keep.expand(2, 2, c_out, h + 1, wd + 1).reshape(1, 4 * c_out, h + 1, wd + 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(F.conv2d(x, self.weight, self.bias, padding=1)) * self.mask


class PhasePixels(nn.Module):
    """ConvTranspose2d(k=4, s=2, p=1) of a PhaseUpsample's output P [B, 4·C_in, H+1, W+1] → [B, C_out, 4H, 4W]."""

    def __init__(self, conv: nn.ConvTranspose2d) -> None:
        super().__init__()
        weight = F.pad(conv.weight.detach(), (0, 1, 0, 1))  # tap 4 is zero
        taps = _pixel_taps()  # [e, a, d]
        # [C_in, C_out, ey, ay, dy, ex, ax, dx] → [C_out, ey, ex, ay, ax, C_in, dy, dx]
        w = weight[:, :, taps[:, :, :, None, None, None], taps[None, None, None]]
        w = w.permute(1, 2, 5, 3, 6, 0, 4, 7)
        c_out, c_in = weight.shape[1], weight.shape[0]
        self.register_buffer("weight", w.reshape(16 * c_out, 4 * c_in, 2, 2).contiguous())
        self.register_buffer("bias", None if conv.bias is None else conv.bias.detach().repeat_interleave(16))

    def forward(self, phases: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(F.conv2d(phases, self.weight, self.bias), 4)


def _paired(layers: list[nn.Module], sizes: dict[nn.Module, tuple[int, int]]) -> list[nn.Module]:
    """`layers` with each [ConvTranspose2d(4, 2, 1), BatchNorm2d?, ReLU, ConvTranspose2d(4, 2, 1)] run replaced."""
    out, i = [], 0
    while i < len(layers):
        first = layers[i]
        norm = int(i + 1 < len(layers) and _running_norm(layers[i + 1]))
        run = layers[i : i + norm + 3]
        if (
            len(run) == norm + 3
            and first in sizes
            and isinstance(run[norm + 1], nn.ReLU)
            and is_stride2_upsampling(run[-1])
        ):
            out += [PhaseUpsample(first, run[1] if norm else None, sizes[first]), PhasePixels(run[-1])]
            i += norm + 3
        else:
            out.append(first)
            i += 1
    return out


def _running_norm(layer: nn.Module) -> bool:
    """A BatchNorm2d that can be folded: it normalises with running (eval) statistics."""
    return isinstance(layer, nn.BatchNorm2d) and layer.running_var is not None


def phase_pairs(module: nn.Module, probe: Callable[[nn.Module], Any]) -> nn.Module:
    """A copy of `module` in which each [ConvTranspose2d(4, 2, 1), BatchNorm2d?, ReLU, ConvTranspose2d(4, 2, 1)]
    run of an nn.Sequential is a PhaseUpsample and a PhasePixels; `probe(copy)` runs the copy once (input sizes)."""
    module = copy.deepcopy(module).eval()
    sizes: dict[nn.Module, tuple[int, int]] = {}  # input H, W of each stride-2 upsampling

    def record(layer: nn.Module, args: tuple) -> None:
        sizes[layer] = tuple(args[0].shape[-2:])

    hooks = [m.register_forward_pre_hook(record) for m in module.modules() if is_stride2_upsampling(m)]
    with torch.no_grad():
        probe(module)
    for hook in hooks:
        hook.remove()
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        layers = list(seq)
        paired = _paired(layers, sizes)
        if len(paired) != len(layers):
            del seq[:]
            seq.extend(paired)
    return module
