"""Differentiable augmentation for GAN discriminators (Zhao et al. 2020, "DiffAugment").

D sees T(x) for real and T(G(z)) for fake images, in both the D and the G step, with T differentiable so G's
gradient flows through it; D cannot overfit the (small) real set pixel for pixel, and since T is applied to
both sides G still learns the untransformed distribution.

    translation: y[i, j] = x[i + dy, j + dx], zero outside; dy, dx ∈ {−r·size … r·size}, r = 1/8
    cutout:      zero a square of half the image side at a random place (it may overhang the border)
    brightness:  x + U(−0.5, 0.5) per image
    saturation:  m + (x − m)·U(0, 2), m the per-pixel mean over channels (the identity on grayscale)
    contrast:    m + (x − m)·U(0.5, 1.5), m the per-image mean
    color:       brightness, saturation, contrast (the paper's colour policy)

Each image draws its own transform from `gen`, so training stays reproducible.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _randint(low: int, high: int, shape: tuple[int, ...], gen: torch.Generator, device) -> torch.Tensor:
    """Integers in [low, high] (both included), drawn on the generator's device, moved to `device`."""
    return torch.randint(low, high + 1, shape, generator=gen, device=gen.device).to(device)


def _uniform(low: float, high: float, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One U(low, high) factor per image, shaped [b, 1, 1, 1] to broadcast over x."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=gen, device=gen.device).to(x.device, x.dtype)
    return low + (high - low) * u


def shift(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """y[k, :, i, j] = x[k, :, i + dy[k], j + dx[k]], zero where that falls outside the image."""
    b, _, h, w = x.shape
    rows = (torch.arange(h, device=x.device)[None, :, None] + dy.view(b, 1, 1) + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device)[None, None, :] + dx.view(b, 1, 1) + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)  # [b, h+2, w+2, c]; the border is the zero fill
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def erase(x: torch.Tensor, top: torch.Tensor, left: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """x with rows top[k] … top[k]+size[0]−1 × cols left[k] … left[k]+size[1]−1 of image k zeroed."""
    b, _, h, w = x.shape
    top, left = top.view(b, 1, 1), left.view(b, 1, 1)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (rows >= top) & (rows < top + size[0]) & (cols >= left) & (cols < left + size[1])  # [b, h, w]
    return x * (~inside)[:, None].to(x.dtype)


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = _randint(-sh, sh, (b,), gen, x.device)
    dx = _randint(-sw, sw, (b,), gen, x.device)
    return shift(x, dy, dx)


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = _randint(-(ch // 2), h - ch // 2 - 1, (b,), gen, x.device)
    left = _randint(-(cw // 2), w - cw // 2 - 1, (b,), gen, x.device)
    return erase(x, top, left, (ch, cw))


def brightness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return x + _uniform(-0.5, 0.5, x, gen)


def saturation(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    mean = x.mean(1, keepdim=True)
    return mean + (x - mean) * _uniform(0.0, 2.0, x, gen)


def contrast(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    mean = x.mean((1, 2, 3), keepdim=True)
    return mean + (x - mean) * _uniform(0.5, 1.5, x, gen)


AUGMENTS: dict[str, Augment] = {
    "translation": translation,
    "cutout": cutout,
    "brightness": brightness,
    "saturation": saturation,
    "contrast": contrast,
}
ALIASES = {"color": ("brightness", "saturation", "contrast")}


def parse_policy(policy: str) -> tuple[str, ...]:
    """'translation,cutout' → ('translation', 'cutout'); 'color' → its three; '' → (); unknown: ValueError."""
    names: list[str] = []
    for name in (p.strip() for p in policy.split(",") if p.strip()):
        if name not in AUGMENTS and name not in ALIASES:
            choices = ", ".join([*AUGMENTS, *ALIASES])
            raise ValueError(f"unknown DiffAugment transform {name!r}; choose from {choices}")
        names.extend(ALIASES.get(name, (name,)))
    return tuple(names)


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], gen: torch.Generator) -> torch.Tensor:
    """Apply the policy's transforms in order (identity for an empty policy)."""
    for name in policy:
        x = AUGMENTS[name](x, gen)
    return x
