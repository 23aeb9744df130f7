"""Modulated / demodulated convolution (Karras et al. 2020, StyleGAN2, eq. 1–3).

Each sample i scales the input channels of the shared kernel by its style s_i = A(w_i):

    w'_{i,o,c,k}  = s_{i,c} · w_{o,c,k}                          (modulation)
    σ_{i,o}       = sqrt(Σ_{c,k} w'_{i,o,c,k}² + ε)
    w''_{i,o,c,k} = w'_{i,o,c,k} / σ_{i,o}                       (demodulation)

If the inputs are i.i.d. with unit variance, output channel o has variance Σ w''² = 1 whatever the style:
demodulation replaces AdaIN's instance normalisation without its blob artefacts. The per-sample kernels run as
one grouped convolution (groups = batch size),
or equivalently as input scaling, a shared convolution and output scaling.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.nn.equalized import EqualizedLinear


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    eps: float = 1e-8,
    grouped: bool = False,
) -> torch.Tensor:
    """Convolve x [N, C, H, W] with weight [O, C, k, k] modulated per sample by styles [N, C]; 'same' padding.

    Two equal computations: `grouped=True` builds the per-sample kernels and runs one grouped convolution;
    the default scales the input channels by s, convolves with the shared kernel and scales each output channel
    by 1/σ_{i,o} = (Σ_c s_{i,c}² Σ_k w_{o,c,k}² + ε)^(-1/2) — cheaper for large batches (StyleGAN2-ADA's
    non-fused path).
    """
    n, c, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    if not grouped:
        y = F.conv2d(x * styles.reshape(n, c, 1, 1), weight, padding=k // 2)
        if demodulate:
            sigma_inv = torch.rsqrt(styles.pow(2) @ weight.pow(2).sum(dim=(2, 3)).T + eps)  # [N, O]
            y = y * sigma_inv.reshape(n, out_channels, 1, 1)
        return y
    kernels = weight.unsqueeze(0) * styles.reshape(n, 1, c, 1, 1)  # [N, O, C, k, k]
    if demodulate:
        kernels = kernels * torch.rsqrt(kernels.pow(2).sum(dim=(2, 3, 4), keepdim=True) + eps)
    y = F.conv2d(
        x.reshape(1, n * c, h, w), kernels.reshape(n * out_channels, c, k, k), padding=k // 2, groups=n
    )
    return y.reshape(n, out_channels, h, w)


class ModulatedConv2d(nn.Module):
    """A style-modulated k×k conv: affine A: w → s (bias initialised to 1), equalised kernel, optional demod.

    `upsample=True` doubles the resolution (bilinear) before convolving, so 7×7 → 14×14 → 28×28 works as well as
    powers of two.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        w_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
    ):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.affine = EqualizedLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.demodulate = demodulate
        self.upsample = upsample

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return modulated_conv2d(x, self.weight * self.weight_gain, styles, demodulate=self.demodulate)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, k={self.kernel_size}, demodulate={self.demodulate}, "
            f"upsample={self.upsample}"
        )
