"""A compact StyleGAN2 (Karras et al. 2020) in pure PyTorch: generator, residual discriminator, W+ encoder.

Generator  G(z[, y]) = S(M(z[, y])):
- mapping M: z → w, an MLP of equalised-lr linear layers (lr multiplier 0.01) on the 2nd-moment-normalised z;
  class-conditional (StyleGAN2-ADA): the input is [norm(z); norm(E y)], E a learned embedding of the one-hot y;
  w_avg, the running mean of w, is tracked during training for the truncation trick w' = w̄ + ψ(w − w̄).
- synthesis S: a learned constant at the base size (7×7 for 28×28, 4×4 for powers of two), then per level
  a 2× upsampling modulated conv and a modulated conv, each followed by per-pixel noise (learned strength),
  bias and scaled leaky-ReLU; skip-connected toRGB outputs summed across levels.
  Conv layer j reads style w_j, the toRGB of level ℓ reads w_{2ℓ+1}: `num_ws = 2 · levels` codes in W+.
Discriminator: fromRGB, residual down-blocks ((main + skip)/√2), minibatch standard deviation, conv, 2 linear;
  class-conditional, it adds the projection term (Miyato & Koyama 2018): D(x, y) = ψ(h) + ⟨E_D y, h⟩ / sqrt(dim h),
  h the last hidden features. Synthesis never sees y, so codes in W / W+ (inversion, editing) work unchanged.
StyleEncoder (In-Domain GAN inversion): the discriminator's residual trunk, then a linear head to W+ around w̄.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.models.registry import register_model
from genvision.nn.equalized import EqualizedConv2d, EqualizedLinear, scaled_leaky_relu
from genvision.nn.minibatch_stddev import minibatch_stddev
from genvision.nn.modulated_conv import ModulatedConv2d


def level_sizes(resolution: int) -> list[int]:
    """Feature-map sizes from the base to `resolution`: halve while the size stays even and ≥ 4 after halving.

    28 → [7, 14, 28]; 256 → [4, 8, ..., 256]; 32 → [4, 8, 16, 32].
    """
    if resolution < 4:
        raise ValueError(f"resolution must be at least 4, got {resolution}")
    sizes = [resolution]
    while sizes[0] % 2 == 0 and sizes[0] // 2 >= 4:
        sizes.insert(0, sizes[0] // 2)
    return sizes


def level_channels(size: int, channel_base: int, channel_max: int) -> int:
    """Channels at feature-map size `size`: min(channel_max, channel_base // size) (StyleGAN2's rule)."""
    return max(1, min(channel_max, channel_base // size))


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x / sqrt(mean(x²)) per sample: puts z on the sphere of radius sqrt(dim)."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


def one_hot_labels(labels: torch.Tensor | None, num_classes: int, like: torch.Tensor) -> torch.Tensor | None:
    """Class indices [N] → one-hot [N, num_classes] in like's dtype; checks that labels come iff num_classes > 0."""
    if not num_classes:
        if labels is not None:
            raise ValueError("this network is unconditional: call it without labels")
        return None
    if labels is None:
        raise ValueError(f"this network is class-conditional ({num_classes} classes): pass labels [N]")
    if labels.ndim != 1 or labels.shape[0] != like.shape[0]:
        raise ValueError(f"labels must be class indices [{like.shape[0]}], got shape {tuple(labels.shape)}")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}], got {labels.tolist()}")
    return F.one_hot(labels.long(), num_classes).to(like.dtype)


def mix_styles(ws_a: torch.Tensor, ws_b: torch.Tensor, crossover: torch.Tensor) -> torch.Tensor:
    """Style mixing: layer j of sample i takes ws_b when j ≥ crossover[i], else ws_a. ws: [N, num_ws, w_dim]."""
    layer = torch.arange(ws_a.shape[1], device=ws_a.device).unsqueeze(0)
    take_b = (layer >= crossover.unsqueeze(1)).unsqueeze(-1)
    return torch.where(take_b, ws_b, ws_a)


class MappingNetwork(nn.Module):
    """z → w: normalise z's second moment, then `num_layers` equalised-lr linear layers with leaky-ReLU.

    With num_classes > 0 the first layer reads [norm(z); norm(E y)], E: one-hot y → w_dim (StyleGAN2-ADA)."""

    def __init__(
        self,
        z_dim: int,
        w_dim: int,
        num_layers: int,
        lr_mul: float = 0.01,
        w_avg_beta: float = 0.995,
        num_classes: int = 0,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.embed = EqualizedLinear(num_classes, w_dim) if num_classes else None
        dims = [z_dim + (w_dim if num_classes else 0)] + [w_dim] * num_layers
        self.layers = nn.Sequential(
            *[EqualizedLinear(a, b, lr_mul=lr_mul, activation=True) for a, b in zip(dims[:-1], dims[1:])]
        )
        self.w_avg_beta = w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, track_w_avg: bool | None = None
    ) -> torch.Tensor:
        x = normalize_2nd_moment(z)
        y = one_hot_labels(labels, self.num_classes, x)
        if y is not None:
            x = torch.cat([x, normalize_2nd_moment(self.embed(y))], dim=1)
        w = self.layers(x)
        if self.training if track_w_avg is None else track_w_avg:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().float().mean(dim=0), 1.0 - self.w_avg_beta)
        return w


class StyleLayer(nn.Module):
    """Modulated conv → add noise · strength → bias → scaled leaky-ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, size: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, demodulate=True, upsample=upsample)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.size = size
        self.register_buffer("noise_const", torch.randn(1, 1, size, size))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        x = self.conv(x, w)
        if noise is not None:
            x = x + noise * self.noise_strength
        return scaled_leaky_relu(x + self.bias.reshape(1, -1, 1, 1))


class ToRGB(nn.Module):
    """A modulated 1×1 conv without demodulation, plus bias: features → image channels."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias.reshape(1, -1, 1, 1)


@register_model
class StyleGANGenerator(nn.Module):
    """z [N, z_dim] (and class labels [N] when num_classes > 0) → image [N, C, H, W] (roughly in [-1, 1])."""

    def __init__(
        self,
        resolution: int = 28,
        channels: int = 1,
        z_dim: int = 128,
        w_dim: int = 128,
        mapping_layers: int = 4,
        channel_base: int = 2048,
        channel_max: int = 128,
        mapping_lr_mul: float = 0.01,
        w_avg_beta: float = 0.995,
        num_classes: int = 0,
    ):
        super().__init__()
        self.resolution, self.channels, self.z_dim, self.w_dim = resolution, channels, z_dim, w_dim
        self.num_classes = num_classes
        self.sizes = level_sizes(resolution)
        chans = [level_channels(s, channel_base, channel_max) for s in self.sizes]
        self.mapping = MappingNetwork(
            z_dim,
            w_dim,
            mapping_layers,
            lr_mul=mapping_lr_mul,
            w_avg_beta=w_avg_beta,
            num_classes=num_classes,
        )
        self.const = nn.Parameter(torch.randn(chans[0], self.sizes[0], self.sizes[0]))
        layers = [StyleLayer(chans[0], chans[0], w_dim, self.sizes[0])]
        for i in range(1, len(self.sizes)):
            layers.append(StyleLayer(chans[i - 1], chans[i], w_dim, self.sizes[i], upsample=True))
            layers.append(StyleLayer(chans[i], chans[i], w_dim, self.sizes[i]))
        self.layers = nn.ModuleList(layers)
        self.to_rgbs = nn.ModuleList([ToRGB(c, channels, w_dim) for c in chans])
        self.num_ws = 2 * len(self.sizes)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg

    def noise_shapes(self) -> list[tuple[int, int, int]]:
        """The shape [1, H, W] of each conv layer's noise map, in layer order."""
        return [(1, layer.size, layer.size) for layer in self.layers]

    def truncate(self, ws: torch.Tensor, psi: float = 1.0, cutoff: int | None = None) -> torch.Tensor:
        """w' = w̄ + ψ (w − w̄) on the first `cutoff` layers (all when None)."""
        if psi == 1.0:
            return ws
        cutoff = ws.shape[1] if cutoff is None else cutoff
        truncated = self.w_avg.lerp(ws, psi)
        layer = torch.arange(ws.shape[1], device=ws.device).reshape(1, -1, 1)
        return torch.where(layer < cutoff, truncated, ws)

    def map(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        track_w_avg: bool | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(z, labels) → W+ codes [N, num_ws, w_dim] (the same w broadcast to every layer), truncated if ψ < 1."""
        w = self.mapping(z, labels, track_w_avg=track_w_avg)
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)
        return self.truncate(ws, truncation_psi, truncation_cutoff)

    def make_noise(
        self,
        n: int,
        mode: str = "random",
        generator: torch.Generator | None = None,
        device: torch.device | None = None,
    ) -> list[torch.Tensor | None]:
        """Noise maps per layer: 'random' (fresh N(0,1), from `generator` if given), 'const' or 'none'."""
        device = device or self.const.device
        if mode == "none":
            return [None] * len(self.layers)
        if mode == "const":
            return [layer.noise_const.expand(n, -1, -1, -1) for layer in self.layers]
        if mode == "random":
            gen_device = generator.device if generator is not None else device
            return [
                torch.randn((n, *shape), generator=generator, device=gen_device).to(device)
                for shape in self.noise_shapes()
            ]
        raise ValueError(f"unknown noise mode {mode!r}; choose random, const or none")

    def synthesis(
        self,
        ws: torch.Tensor,
        noise: list[torch.Tensor | None] | None = None,
        noise_mode: str = "random",
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """W+ codes [N, num_ws, w_dim] → images [N, C, H, W]; `noise` (one map per layer) overrides noise_mode."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(
                f"expected W+ codes of shape [N, {self.num_ws}, {self.w_dim}], got {tuple(ws.shape)}"
            )
        n = ws.shape[0]
        noise = self.make_noise(n, noise_mode, generator, ws.device) if noise is None else noise
        x = self.const.unsqueeze(0).expand(n, -1, -1, -1)
        x = self.layers[0](x, ws[:, 0], noise[0])
        rgb = self.to_rgbs[0](x, ws[:, 1])
        for level in range(1, len(self.sizes)):
            j = 2 * level - 1
            x = self.layers[j](x, ws[:, j], noise[j])
            x = self.layers[j + 1](x, ws[:, j + 1], noise[j + 1])
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False)
            rgb = rgb + self.to_rgbs[level](x, ws[:, j + 2])
        return rgb

    def forward(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "random",
        generator: torch.Generator | None = None,
        mix_z: torch.Tensor | None = None,
        mix_crossover: torch.Tensor | None = None,
        return_ws: bool = False,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """G(z, labels). Style mixing: layers ≥ mix_crossover[i] take the codes of mix_z[i] (same class).
        `return_ws` also returns the W+ codes the image was made from (for the path-length regulariser)."""
        ws = self.map(z, truncation_psi, truncation_cutoff, labels=labels)
        if mix_z is not None:
            mixed = self.map(mix_z, truncation_psi, truncation_cutoff, labels=labels)
            ws = mix_styles(ws, mixed, mix_crossover)
        images = self.synthesis(ws, noise_mode=noise_mode, generator=generator)
        return (images, ws) if return_ws else images


class DiscriminatorBlock(nn.Module):
    """Residual down-block: (conv3×3 → conv3×3 ↓2  +  conv1×1 ↓2) / √2."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = EqualizedConv2d(in_channels, in_channels, 3, activation=True)
        self.conv2 = EqualizedConv2d(in_channels, out_channels, 3, activation=True, downsample=True)
        self.skip = EqualizedConv2d(in_channels, out_channels, 1, bias=False, downsample=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.skip(x) + self.conv2(self.conv1(x))) / math.sqrt(2.0)


class _ResidualTrunk(nn.Module):
    """fromRGB at full size, then residual down-blocks to the base size (shared by D and the encoder)."""

    def __init__(self, resolution: int, channels: int, channel_base: int, channel_max: int):
        super().__init__()
        self.sizes = level_sizes(resolution)[::-1]  # full size first
        chans = [level_channels(s, channel_base, channel_max) for s in self.sizes]
        self.from_rgb = EqualizedConv2d(channels, chans[0], 1, activation=True)
        self.blocks = nn.ModuleList([DiscriminatorBlock(a, b) for a, b in zip(chans[:-1], chans[1:])])
        self.out_channels, self.out_size = chans[-1], self.sizes[-1]

    def forward(self, x: torch.Tensor, return_features: bool = False):
        x = self.from_rgb(x)
        feats = [x]
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return (x, feats) if return_features else x


@register_model
class StyleGANDiscriminator(nn.Module):
    """image [N, C, H, W] (and labels [N] when num_classes > 0) → logit [N]: residual trunk, minibatch std,
    conv, fc, fc; class-conditional, plus the projection ⟨E_D y, h⟩ / sqrt(dim h) on the fc features h."""

    def __init__(
        self,
        resolution: int = 28,
        channels: int = 1,
        channel_base: int = 2048,
        channel_max: int = 128,
        mbstd_group: int = 4,
        mbstd_channels: int = 1,
        num_classes: int = 0,
    ):
        super().__init__()
        self.trunk = _ResidualTrunk(resolution, channels, channel_base, channel_max)
        c, s = self.trunk.out_channels, self.trunk.out_size
        self.mbstd_group, self.mbstd_channels = mbstd_group, mbstd_channels
        self.num_classes = num_classes
        self.conv = EqualizedConv2d(c + mbstd_channels, c, 3, activation=True)
        self.fc = EqualizedLinear(c * s * s, c, activation=True)
        self.out = EqualizedLinear(c, 1)
        self.embed = EqualizedLinear(num_classes, c, bias=False) if num_classes else None

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Intermediate activations from full size down to the base size (for feature-matching distances)."""
        return self.trunk(x, return_features=True)[1]

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        y = one_hot_labels(labels, self.num_classes, x)
        x = self.trunk(x)
        x = minibatch_stddev(x, self.mbstd_group, self.mbstd_channels)
        h = self.fc(self.conv(x).flatten(1))
        logits = self.out(h).squeeze(1)
        if y is None:
            return logits
        return logits + (self.embed(y.to(h.dtype)) * h).sum(dim=1) / math.sqrt(h.shape[1])


@register_model
class StyleEncoder(nn.Module):
    """In-domain encoder E: image → W+ codes [N, num_ws, w_dim] = w̄ + head(trunk(x)).

    `w_avg` is a buffer copied from the generator before training, so an untrained encoder starts near w̄.
    """

    def __init__(
        self,
        resolution: int = 28,
        channels: int = 1,
        num_ws: int = 6,
        w_dim: int = 128,
        channel_base: int = 2048,
        channel_max: int = 128,
        hidden: int = 256,
    ):
        super().__init__()
        self.num_ws, self.w_dim = num_ws, w_dim
        self.trunk = _ResidualTrunk(resolution, channels, channel_base, channel_max)
        c, s = self.trunk.out_channels, self.trunk.out_size
        self.conv = EqualizedConv2d(c, c, 3, activation=True)
        self.fc = EqualizedLinear(c * s * s, hidden, activation=True)
        self.head = EqualizedLinear(hidden, num_ws * w_dim)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(self.conv(self.trunk(x)).flatten(1))
        return self.w_avg + self.head(h).reshape(-1, self.num_ws, self.w_dim)
