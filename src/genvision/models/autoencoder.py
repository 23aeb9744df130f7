"""The first-stage autoencoder of latent diffusion (Esser et al. 2021; Rombach et al. 2022), VQ and KL variants.

    x ─ Encoder ─ 1×1 ─┬─ VQ: h = pre-quant latent → z_q = nearest code (straight-through)  ─ 1×1 ─ Decoder ─ x̂
                       └─ KL: (μ, log σ²) → z = μ (encode) or μ + σ ε (training)

Encoder: conv_in, then per level `num_res_blocks` ResBlocks and a stride-2 3×3 conv (log2 f of them),
a middle ResBlock → self-attention → ResBlock, GroupNorm, SiLU, conv_out. The decoder mirrors it with
nearest ×2 upsampling + 3×3 conv. `channels` has log2(f) + 1 entries; f = 4 maps 28×28 to 7×7.
The decoder's last conv (`last_layer`) is where the adaptive adversarial weight is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.models.quantizer import Quantized, VectorQuantizer
from genvision.models.registry import register_model
from genvision.nn.distributions import DiagonalGaussian

VARIANTS = ("vq", "kl")


def group_norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(32, channels), channels, eps=1e-6)


class ResBlock(nn.Module):
    """x + conv(silu(norm(conv(silu(norm(x)))))), with a 1×1 skip when the width changes."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.body = nn.Sequential(
            group_norm(c_in),
            nn.SiLU(),
            nn.Conv2d(c_in, c_out, 3, padding=1),
            group_norm(c_out),
            nn.SiLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1),
        )
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


class SelfAttention(nn.Module):
    """Single-head self-attention over the H·W positions: x + W_o softmax(QKᵀ/√C) V."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).flatten(2).transpose(1, 2).chunk(3, dim=2)  # [B, HW, C] each
        attended = F.scaled_dot_product_attention(q, k, v)
        return x + self.out(attended.transpose(1, 2).reshape(b, c, h, w))


def _middle(channels: int, attention: bool) -> nn.Sequential:
    return nn.Sequential(
        ResBlock(channels, channels),
        SelfAttention(channels) if attention else nn.Identity(),
        ResBlock(channels, channels),
    )


class Encoder(nn.Module):
    def __init__(
        self,
        in_channels: int,
        channels: list[int],
        num_res_blocks: int,
        out_channels: int,
        mid_attention: bool,
    ):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, channels[0], 3, padding=1)
        layers: list[nn.Module] = []
        width = channels[0]
        for level, c in enumerate(channels):
            for _ in range(num_res_blocks):
                layers.append(ResBlock(width, c))
                width = c
            if level < len(channels) - 1:
                layers.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
        self.down = nn.Sequential(*layers)
        self.mid = _middle(width, mid_attention)
        self.conv_out = nn.Sequential(
            group_norm(width), nn.SiLU(), nn.Conv2d(width, out_channels, 3, padding=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.mid(self.down(self.conv_in(x))))


class Upsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Decoder(nn.Module):
    def __init__(
        self,
        latent_channels: int,
        channels: list[int],
        num_res_blocks: int,
        out_channels: int,
        mid_attention: bool,
    ):
        super().__init__()
        width = channels[-1]
        self.conv_in = nn.Conv2d(latent_channels, width, 3, padding=1)
        self.mid = _middle(width, mid_attention)
        layers: list[nn.Module] = []
        for level, c in reversed(list(enumerate(channels))):
            for _ in range(num_res_blocks + 1):
                layers.append(ResBlock(width, c))
                width = c
            if level > 0:
                layers.append(Upsample(width))
        self.up = nn.Sequential(*layers)
        self.norm_out = nn.Sequential(group_norm(width), nn.SiLU())
        self.conv_out = nn.Conv2d(width, out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.norm_out(self.up(self.mid(self.conv_in(z)))))


@dataclass
class AutoencoderOutput:
    recon: torch.Tensor
    latent: torch.Tensor  # VQ: pre-quantisation h; KL: the reparameterised sample
    quantized: Quantized | None = None
    posterior: DiagonalGaussian | None = None


@register_model
class AutoencoderNet(nn.Module):
    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        variant: str = "vq",
        downsample: int = 4,
        channels: list[int] = (32, 64, 64),
        num_res_blocks: int = 1,
        latent_channels: int = 4,
        mid_attention: bool = True,
        num_codes: int = 256,
        ema: bool = True,
        decay: float = 0.99,
        dead_threshold: float = 0.5,
        restart_every: int = 100,
    ):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown autoencoder variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        if 2 ** (len(channels) - 1) != downsample:
            raise ValueError(
                f"downsampling factor {downsample} needs log2({downsample}) + 1 channel levels, "
                f"got {len(channels)} ({list(channels)})"
            )
        if image_size % downsample:
            raise ValueError(
                f"image_size {image_size} is not divisible by the downsampling factor {downsample}"
            )
        self.variant, self.image_size, self.downsample = variant, image_size, downsample
        self.latent_channels = latent_channels
        moments = 2 * latent_channels if variant == "kl" else latent_channels
        self.encoder = Encoder(
            in_channels,
            list(channels),
            num_res_blocks=num_res_blocks,
            out_channels=moments,
            mid_attention=mid_attention,
        )
        self.quant_conv = nn.Conv2d(moments, moments, 1)
        self.quantizer = (
            VectorQuantizer(
                num_codes,
                latent_channels,
                ema=ema,
                decay=decay,
                dead_threshold=dead_threshold,
                restart_every=restart_every,
            )
            if variant == "vq"
            else None
        )
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        self.decoder = Decoder(
            latent_channels,
            list(channels),
            num_res_blocks=num_res_blocks,
            out_channels=in_channels,
            mid_attention=mid_attention,
        )

    @property
    def latent_shape(self) -> list[int]:
        side = self.image_size // self.downsample
        return [self.latent_channels, side, side]

    @property
    def last_layer(self) -> torch.Tensor:
        """The decoder's final conv weight G_L (for the adaptive adversarial weight)."""
        return self.decoder.conv_out.weight

    def posterior(self, x: torch.Tensor) -> DiagonalGaussian:
        """KL variant: q(z|x) = N(μ, diag exp(log σ²))."""
        if self.variant != "kl":
            raise ValueError("posterior() is defined for the KL autoencoder only")
        mean, logvar = self.quant_conv(self.encoder(x)).chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar.clamp(-30.0, 20.0))

    def encode(
        self, x: torch.Tensor, sample: bool = False, gen: torch.Generator | None = None
    ) -> torch.Tensor:
        """The latent of x: VQ → pre-quantisation h; KL → the posterior mean (or a sample when `sample`)."""
        if self.variant == "vq":
            return self.quant_conv(self.encoder(x))
        posterior = self.posterior(x)
        return posterior.sample(gen) if sample else posterior.mode()

    def decode(self, z: torch.Tensor, quantize: bool = True) -> torch.Tensor:
        """Latent → image (unclamped); a VQ latent is snapped to its nearest codes first when `quantize`."""
        if self.quantizer is not None and quantize:
            z = self.quantizer.snap(z)
        return self.decoder(self.post_quant_conv(z))

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None) -> AutoencoderOutput:
        if self.quantizer is not None:
            h = self.encode(x)
            q = self.quantizer(h, gen)
            return AutoencoderOutput(recon=self.decode(q.z_q, quantize=False), latent=h, quantized=q)
        posterior = self.posterior(x)
        z = posterior.sample(gen)
        return AutoencoderOutput(recon=self.decode(z), latent=z, posterior=posterior)
