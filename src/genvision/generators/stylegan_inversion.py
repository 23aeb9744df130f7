"""StyleGAN inversion of real images, batch by batch: codes ws with G(ws) ≈ x, and what they were fitted with.

    method             codes of a batch x
    optimize           projection from w̄ (genvision.inversion.projection)
    encoder            one pass of the in-domain encoder, E(x)
    encoder+optimize   projection from E(x) with the domain term λ_dom ‖w − E(G(w))‖² (IDInvert)

Image k's randomness comes from the generator of (seed, k), so a code does not depend on the batch size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from genvision.generators.base import Progress, batch_ranges
from genvision.inversion.encoder import encode
from genvision.inversion.projection import ProjectionConfig, project
from genvision.seeding import PerImageRNG

METHODS = ("auto", "optimize", "encoder", "encoder+optimize")
SPACES = ("w", "w+")


@dataclass
class InversionSettings:
    """How to fit codes beyond the space, method and steps (defaults follow IDInvert / StyleGAN2)."""

    lr: float = 0.1
    perceptual: str | None = None  # None: the bundle's default (config "inversion.perceptual")
    perceptual_weight: float = 1.0
    mse_weight: float = 1.0
    optimize_noise: bool = False  # also fit the per-layer noise maps (kept with the codes)
    domain_weight: float = 2.0  # encoder+optimize only
    batch_size: int = 64


@dataclass
class Inversion:
    """Codes of real images and their reconstructions G(ws)."""

    ws: torch.Tensor  # [N, num_ws, w_dim] CPU float32
    images: torch.Tensor  # [N, C, H, W] in [-1, 1], CPU
    noise: list[torch.Tensor] | None = None  # per layer [N, 1, H, W] when noise was optimised
    seconds: float = 0.0
    info: dict[str, str] = field(default_factory=dict)


def invert_batches(
    generator: nn.Module,
    encoder: nn.Module | None,
    images: torch.Tensor,
    *,
    space: str,
    method: str,
    steps: int,
    seed: int,
    settings: InversionSettings,
    perceptual: nn.Module | None,
    region: torch.Tensor | None = None,
    progress: Progress | None = None,
) -> Inversion:
    """The Inversion of images [N, C, H, W] by a resolved `method` (not "auto"), in batches of
    `settings.batch_size`; `region` [N, 1, H, W] restricts the reconstruction loss."""
    s = settings
    device = next(generator.parameters()).device
    cfg = ProjectionConfig(
        space=space,
        steps=steps,
        lr=s.lr,
        mse_weight=s.mse_weight,
        perceptual_weight=s.perceptual_weight,
        optimize_noise=s.optimize_noise,
        domain_weight=s.domain_weight if method == "encoder+optimize" else 0.0,
    )
    started = time.perf_counter()
    ws_out, img_out, noise_out = [], [], []
    for lo, hi in batch_ranges(len(images), s.batch_size):
        x = images[lo:hi]
        with torch.no_grad():
            init = encode(encoder, x, space) if method.startswith("encoder") else None
        if method == "encoder":
            ws, maps = init, None
            with torch.no_grad():
                recon = generator.synthesis(ws, noise_mode="const")
        else:
            rng = PerImageRNG(seed, range(lo, hi), device)
            rgn = None if region is None else region[lo:hi].to(device)
            result = project(
                generator, x, cfg, perceptual=perceptual, init_ws=init, encoder=encoder, rng=rng, region=rgn
            )
            ws, recon, maps = result.ws, result.images, result.noise if s.optimize_noise else None
        ws_out.append(ws.detach().float().cpu())
        img_out.append(recon.detach().float().clamp(-1, 1).cpu())
        if maps is not None:
            noise_out.append([m.cpu() for m in maps])
        if progress is not None:
            progress(hi, len(images))
    noise = [torch.cat(parts) for parts in zip(*noise_out)] if noise_out else None
    return Inversion(
        torch.cat(ws_out), torch.cat(img_out), noise=noise, seconds=time.perf_counter() - started
    )
