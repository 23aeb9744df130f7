"""DCGAN generator and discriminator (Radford, Metz & Chintala 2016).

The architecture guidelines of the paper, applied to any image size that halves down to a small start grid:
- G: z → transposed conv to an s0×s0 grid → stride-2 transposed convs (×2 each) → tanh; batch norm and ReLU
  everywhere except the output layer.
- D: the mirror image: stride-2 convs (÷2 each) with LeakyReLU(0.2), batch norm everywhere except the first
  layer, then one s0×s0 conv to a single logit. No pooling, no fully connected hidden layers.
- All conv weights ~ N(0, 0.02); batch-norm scales ~ N(1, 0.02), biases 0.

Sizes: the start grid s0 is found by halving the image size while it stays even and ≥ 4, so 64 → 4 (4 stages,
4→8→16→32→64), 32 → 4 (3 stages) and 28 → 7 (2 stages, 7→14→28). 28×28 works natively, without padding.
Channels double at every stage going down (base, 2·base, 4·base, ... capped at `max_channels`).

Optional InfoGAN categorical code (Chen et al. 2016), for data made of separate kinds (digits): G reads a code
c ~ Cat(K) from its own noise and D gets a head Q(c | x) that must recover it (`categorical_code` = K). The code
lives inside z, so sampling, interpolation and export still draw plain z ~ N(0, I).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from genvision.models.registry import register_model
from genvision.nn.minibatch_stddev import minibatch_stddev


def stage_plan(image_size: int) -> tuple[int, int]:
    """(start grid size s0, number of ×2 stages) with s0 · 2^stages = image_size and s0 ≥ 4."""
    start, stages = image_size, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, stages = start // 2, stages + 1
    if stages == 0:
        raise ValueError(
            f"image size {image_size} cannot be built by ×2 stages from a grid of 4 or more "
            "(use 28, or a power of two ≥ 8)"
        )
    return start, stages


def stage_channels(base: int, stages: int, max_channels: int) -> list[int]:
    """Channels at each resolution from full size down to the start grid: [base, 2·base, ...] (stages entries)."""
    return [min(base * 2**i, max_channels) for i in range(stages)]


def dcgan_init_(module: nn.Module) -> None:
    """Radford et al.'s initialisation: conv/linear weights ~ N(0, 0.02), BN scale ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def apply_spectral_norm_(module: nn.Module) -> None:
    """Divide every conv/linear weight by its largest singular value (Miyato et al. 2018), estimated by power
    iteration: W_SN = W / σ(W), so each layer is 1-Lipschitz in the reshaped-matrix norm."""
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            setattr(module, name, _spectral_norm(child))
        else:
            apply_spectral_norm_(child)


def generator_body(
    in_features: int, image_size: int, channels: int, base_channels: int, max_channels: int
) -> nn.Sequential:
    """[B, in_features, 1, 1] → [B, channels, image_size, image_size] in (−1, 1)."""
    start, stages = stage_plan(image_size)
    chans = stage_channels(base_channels, stages, max_channels)[::-1]  # coarse → fine
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(in_features, chans[0], start, 1, 0, bias=False),
        nn.BatchNorm2d(chans[0]),
        nn.ReLU(inplace=True),
    ]
    for c_in, c_out in zip(chans[:-1], chans[1:]):
        layers += [
            nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
    layers += [nn.ConvTranspose2d(chans[-1], channels, 4, 2, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator_features(
    in_channels: int, image_size: int, base_channels: int, max_channels: int, batch_norm: bool
) -> tuple[nn.Sequential, int, int]:
    """The strided conv stack: [B, in_channels, S, S] → [B, C, s0, s0]; returns (stack, C, s0)."""
    start, stages = stage_plan(image_size)
    chans = stage_channels(base_channels, stages, max_channels)
    layers: list[nn.Module] = [nn.Conv2d(in_channels, chans[0], 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
    for c_in, c_out in zip(chans[:-1], chans[1:]):
        layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers), chans[-1], start


def categorical_code(z: torch.Tensor, classes: int) -> torch.Tensor:
    """c = argmax(z_1, ..., z_K) for z ~ N(0, I): uniform over the K classes, since the K draws are i.i.d."""
    return z[:, :classes].argmax(dim=1)


def with_categorical_code(z: torch.Tensor, classes: int) -> torch.Tensor:
    """[one_hot(c), z_{K+1:}]: the first K entries of z replaced by the one-hot code they encode (c above).

    Written as a comparison with the row maximum rather than argmax + one_hot, which exports to every ONNX runtime;
    ties have probability zero for continuous z."""
    head = z[:, :classes]
    one_hot = (head == head.amax(dim=1, keepdim=True)).to(z.dtype)
    return torch.cat([one_hot, z[:, classes:]], dim=1)


@register_model
class DCGANGenerator(nn.Module):
    """G(z): noise [B, z_dim] → images [B, channels, image_size, image_size] in (−1, 1).

    With `categorical_code` = K > 0, G sees [one_hot(argmax z_{1:K}), z_{K+1:}] (InfoGAN's discrete code)."""

    def __init__(
        self,
        z_dim: int = 100,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        max_channels: int = 512,
        spectral_norm: bool = False,
        categorical_code: int = 0,
    ):
        super().__init__()
        if categorical_code and not 2 <= categorical_code < z_dim:
            raise ValueError(f"categorical_code must be 0 or in [2, z_dim={z_dim}), got {categorical_code}")
        self.z_dim, self.image_size, self.channels = z_dim, image_size, channels
        self.categorical_code = categorical_code
        self.net = generator_body(
            z_dim, image_size, channels=channels, base_channels=base_channels, max_channels=max_channels
        )
        dcgan_init_(self)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z.reshape(z.shape[0], -1)
        if self.categorical_code:
            z = with_categorical_code(z, self.categorical_code)
        return self.net(z.view(z.shape[0], -1, 1, 1))


@register_model
class DCGANDiscriminator(nn.Module):
    """D(x): images → one logit per image (pre-sigmoid; D(x) = sigmoid(logit) is the probability "real").

    `spectral_norm` wraps every layer in spectral normalisation; SN-GAN drops batch norm then (`batch_norm`).
    `minibatch_std` > 0 appends the minibatch standard deviation over groups of that many images as one more
    channel before the head (ProGAN's diversity feature); 0 keeps the plain DCGAN head.
    `code_classes` = K > 0 adds InfoGAN's head Q: K logits of the generator's categorical code from the same
    features (`forward_with_code`).
    """

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        base_channels: int = 64,
        max_channels: int = 512,
        batch_norm: bool = True,
        spectral_norm: bool = False,
        minibatch_std: int = 0,
        code_classes: int = 0,
    ):
        super().__init__()
        if minibatch_std < 0:
            raise ValueError(f"minibatch_std is a group size (0: off), got {minibatch_std}")
        self.image_size, self.channels, self.minibatch_std = image_size, channels, minibatch_std
        self.features, width, start = discriminator_features(
            channels,
            image_size,
            base_channels=base_channels,
            max_channels=max_channels,
            batch_norm=batch_norm,
        )
        self.head = nn.Conv2d(width + (1 if minibatch_std else 0), 1, start, 1, 0)
        self.code_head = nn.Conv2d(width, code_classes, start, 1, 0) if code_classes else None
        dcgan_init_(self)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._logit(self.features(x))

    def forward_with_code(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(one logit per image, [B, K] code logits of Q(c | x) or None without a code head)."""
        h = self.features(x)
        code = self.code_head(h).flatten(1) if self.code_head is not None else None
        return self._logit(h), code

    def _logit(self, h: torch.Tensor) -> torch.Tensor:
        if self.minibatch_std:
            h = minibatch_stddev(h, group_size=self.minibatch_std)
        return self.head(h).flatten()
