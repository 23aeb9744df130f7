"""VQ-VAE (van den Oord et al., 2017): conv encoder z_e(x) → nearest code z_q → conv decoder.

Encoder: log2(f) stride-2 4×4 convs, a 3×3 conv, residual blocks (ReLU, 3×3, ReLU, 1×1), a 1×1 projection to
`code_dim`; the decoder mirrors it with stride-2 transposed convs. f = 4 takes 28×28 to a 7×7 grid of codes.
Training minimises ‖x − D(z_q)‖² + L_codebook + β L_commitment (genvision.losses.vq).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.models.quantizer import Quantized, VectorQuantizer
from genvision.models.registry import register_model


class Residual(nn.Module):
    """x + conv1×1(relu(conv3×3(relu(x))))."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReLU(), nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, channels, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


@dataclass
class VQVAEOutput:
    recon: torch.Tensor
    z_e: torch.Tensor
    quantized: Quantized


def _halvings(factor: int) -> int:
    n = int(round(math.log2(factor)))
    if factor < 2 or 2**n != factor:
        raise ValueError(f"downsampling factor {factor} must be a power of two >= 2")
    return n


@register_model
class VQVAE(nn.Module):
    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        downsample: int = 4,
        hidden: int = 64,
        res_blocks: int = 2,
        res_hidden: int = 32,
        code_dim: int = 16,
        num_codes: int = 128,
        ema: bool = True,
        decay: float = 0.99,
        dead_threshold: float = 0.5,
        restart_every: int = 100,
    ):
        super().__init__()
        n = _halvings(downsample)
        if image_size % downsample:
            raise ValueError(
                f"image_size {image_size} is not divisible by the downsampling factor {downsample}"
            )
        self.in_channels, self.image_size, self.downsample = in_channels, image_size, downsample
        down: list[nn.Module] = []
        for i in range(n):
            down += [nn.Conv2d(in_channels if i == 0 else hidden, hidden, 4, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(
            *down,
            nn.Conv2d(hidden, hidden, 3, padding=1),
            *[Residual(hidden, res_hidden) for _ in range(res_blocks)],
            nn.ReLU(),
            nn.Conv2d(hidden, code_dim, 1),
        )
        self.quantizer = VectorQuantizer(
            num_codes,
            code_dim,
            ema=ema,
            decay=decay,
            dead_threshold=dead_threshold,
            restart_every=restart_every,
        )
        up: list[nn.Module] = []
        for i in range(n):
            last = i == n - 1
            up += [nn.ConvTranspose2d(hidden, in_channels if last else hidden, 4, stride=2, padding=1)]
            up += [] if last else [nn.ReLU()]
        self.decoder = nn.Sequential(
            nn.Conv2d(code_dim, hidden, 3, padding=1),
            *[Residual(hidden, res_hidden) for _ in range(res_blocks)],
            nn.ReLU(),
            *up,
        )

    @property
    def latent_shape(self) -> list[int]:
        side = self.image_size // self.downsample
        return [self.quantizer.code_dim, side, side]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The pre-quantisation latent z_e(x), [B, code_dim, H/f, W/f]."""
        return self.encoder(x)

    def quantize(self, z_e: torch.Tensor, gen: torch.Generator | None = None) -> Quantized:
        return self.quantizer(z_e, gen)

    def decode(self, z: torch.Tensor, quantize: bool = True) -> torch.Tensor:
        """Decode a latent (snapped to its nearest codes when `quantize`) to an image (unclamped)."""
        return self.decoder(self.quantizer.snap(z) if quantize else z)

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.quantizer.lookup(indices))

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> VQVAEOutput:
        z_e = self.encode(x)
        q = self.quantize(z_e, gen)
        return VQVAEOutput(recon=self.decoder(q.z_q), z_e=z_e, quantized=q)
