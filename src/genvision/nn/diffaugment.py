"""Differentiable augmentation for GAN discriminators (Zhao et al. 2020, "DiffAugment").

D sees T(x) for real and T(G(z)) for fake images, in both the D and the G step, with T differentiable so G's
gradient flows through it; D cannot overfit the (small) real set pixel for pixel, and since T is applied to
both sides G still learns the untransformed distribution.

    translation: shift by up to ±ratio·size pixels in each axis, zero fill (ratio 1/8)
    cutout:      zero a square of half the image side at a random place (it may overhang the border)
    brightness:  add U(−0.5, 0.5) per image

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


def translation(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = _randint(-sh, sh, (b, 1, 1), gen, x.device)
    dx = _randint(-sw, sw, (b, 1, 1), gen, x.device)
    rows = (torch.arange(h, device=x.device)[None, :, None] + dy + 1).clamp(0, h + 1)  # [b, h, 1]
    cols = (torch.arange(w, device=x.device)[None, None, :] + dx + 1).clamp(0, w + 1)  # [b, 1, w]
    padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)  # [b, h+2, w+2, c]; the border is the zero fill
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def cutout(x: torch.Tensor, gen: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = _randint(-(ch // 2), h - ch // 2 - 1, (b, 1, 1), gen, x.device)
    left = _randint(-(cw // 2), w - cw // 2 - 1, (b, 1, 1), gen, x.device)
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)  # [b, h, w]
    return x * (~inside)[:, None].to(x.dtype)


def brightness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    shift = torch.rand(x.shape[0], 1, 1, 1, generator=gen, device=gen.device).to(x.device, x.dtype)
    return x + (shift - 0.5)


AUGMENTS: dict[str, Augment] = {"translation": translation, "cutout": cutout, "brightness": brightness}


def parse_policy(policy: str) -> tuple[str, ...]:
    """'translation,cutout' → ('translation', 'cutout'); '' → (); unknown names raise ValueError."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in AUGMENTS]
    if unknown:
        raise ValueError(f"unknown DiffAugment transform {unknown[0]!r}; choose from {', '.join(AUGMENTS)}")
    return names


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], gen: torch.Generator) -> torch.Tensor:
    """Apply the policy's transforms in order (identity for an empty policy)."""
    for name in policy:
        x = AUGMENTS[name](x, gen)
    return x
