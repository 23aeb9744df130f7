"""GAN inversion by optimisation: find codes w (in W or W+) and noise maps n with G(w, n) ≈ x.

Per image (Karras et al. 2020, StyleGAN2 §5; Zhu et al. 2020, In-Domain GAN Inversion §3.3):

    L(w, n) = λ_mse ‖G(w, n) − x‖²/P  +  λ_perc d(G(w, n), x)  +  λ_noise R(n)  +  λ_dom ‖w − E(G(w, n))‖²/D

- W space: one w ∈ R^D shared by all layers; W+: one w per layer.
- w starts at w̄ (or at the encoder's E(x)); while optimising, w is perturbed by Gaussian noise of scale
  σ_w · f₀ · max(0, 1 − t/T_noise)² (σ_w: spread of W) to escape poor starts.
- learning rate: linear warm-up over the first `lr_warmup` fraction, cosine ramp-down over the last
  `lr_rampdown` fraction: lr(t) = lr · min(1, t/t_w) · (½ − ½cos(π · min(1, (1 − t)/t_r))).
- noise regulariser R(n) = Σ_maps Σ_scales (mean(n · shift_x n))² + (mean(n · shift_y n))², over a
  pyramid halving each map down to 8×8; maps are renormalised to zero mean, unit variance after every step.
- the domain term (λ_dom > 0, with an encoder E) keeps w where the encoder would put G's own output.

Every per-image loss is summed, so each image's gradient (and Adam's per-element update) is independent of
the other images in the batch.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.errors import GenvisionError
from genvision.seeding import PerImageRNG


@dataclass
class ProjectionConfig:
    space: Literal["w", "w+"] = "w+"
    steps: int = 500
    lr: float = 0.1
    lr_warmup: float = 0.05  # fraction of the steps
    lr_rampdown: float = 0.25  # fraction of the steps
    mse_weight: float = 1.0
    perceptual_weight: float = 1.0
    noise_reg_weight: float = 1e5
    optimize_noise: bool = (
        True  # False: the generator's fixed noise maps (codes alone then reproduce the image)
    )
    initial_w_noise: float = 0.05  # f₀
    w_noise_ramp: float = 0.75  # T_noise as a fraction of the steps
    domain_weight: float = 0.0  # λ_dom, needs an encoder
    w_std_samples: int = 10000


@dataclass
class ProjectionResult:
    ws: torch.Tensor  # [N, num_ws, w_dim] (W codes broadcast to every layer)
    noise: list[torch.Tensor]  # per layer [N, 1, H, W]
    images: torch.Tensor  # G(ws, noise) [N, C, H, W]
    mse_history: list[float] = field(default_factory=list)  # mean per-pixel MSE before each step


def learning_rate(cfg: ProjectionConfig, step: int) -> float:
    """lr · warm-up · cosine ramp-down at `step` (see module docstring)."""
    t = step / max(1, cfg.steps)
    warm = min(1.0, t / cfg.lr_warmup) if cfg.lr_warmup > 0 else 1.0
    ramp = min(1.0, (1.0 - t) / cfg.lr_rampdown) if cfg.lr_rampdown > 0 else 1.0
    return cfg.lr * warm * (0.5 - 0.5 * math.cos(math.pi * ramp))


def noise_regularization(noise: list[torch.Tensor]) -> torch.Tensor:
    """Σ over maps and pyramid scales of squared shift-by-one autocorrelations, per image → [N]."""
    total = 0.0
    for n in noise:
        while True:
            total = total + n.mul(torch.roll(n, 1, dims=3)).mean(dim=(1, 2, 3)).pow(2)
            total = total + n.mul(torch.roll(n, 1, dims=2)).mean(dim=(1, 2, 3)).pow(2)
            if n.shape[2] <= 8 or n.shape[2] % 2:
                break
            n = F.avg_pool2d(n, 2)
    return total


@torch.no_grad()
def normalize_noise_(noise: list[torch.Tensor]) -> None:
    for n in noise:
        mean = n.mean(dim=(1, 2, 3), keepdim=True)
        std = n.std(dim=(1, 2, 3), keepdim=True)
        n.sub_(mean).div_(std + 1e-8)


@torch.no_grad()
def w_spread(generator: nn.Module, samples: int = 10000, seed: int = 0) -> float:
    """σ_w = sqrt(E‖w − w̄‖²) over mapped z ~ N(0, I) (StyleGAN2's projector scale; a class-conditional
    generator maps sample k with class k mod C)."""
    device = generator.w_avg.device
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, generator.z_dim, generator=gen).to(device)
    classes = int(getattr(generator, "num_classes", 0) or 0)
    labels = torch.arange(samples, device=device) % classes if classes else None
    w = generator.mapping(z, labels, track_w_avg=False)
    return float((w - generator.w_avg).pow(2).sum(dim=1).mean().sqrt())


def project(
    generator: nn.Module,
    targets: torch.Tensor,
    cfg: ProjectionConfig,
    perceptual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    init_ws: torch.Tensor | None = None,
    encoder: nn.Module | None = None,
    rng: PerImageRNG | None = None,
    callback: Callable[[int, float], None] | None = None,
    region: torch.Tensor | None = None,
) -> ProjectionResult:
    """Invert `targets` [N, C, H, W] in [-1, 1] through `generator`; see the module docstring.

    `init_ws` [N, num_ws, w_dim] (e.g. an encoder's output) replaces the w̄ start; in W space its layer mean is
    used. `rng` draws the initial noise maps and the w perturbations, one generator per image. `region`
    [N, 1, H, W] in {0, 1} restricts the reconstruction terms to those pixels (semantic diffusion: G fills in
    the rest): MSE is averaged over the region, and the perceptual distance compares the target with
    region · G(w) + (1 − region) · target.
    """
    if cfg.space not in ("w", "w+"):
        raise GenvisionError(f"unknown latent space {cfg.space!r}; choose w or w+")
    if cfg.domain_weight > 0 and encoder is None:
        raise GenvisionError("domain-regularised inversion (domain_weight > 0) needs an encoder")
    device = targets.device
    n = targets.shape[0]
    rng = rng or PerImageRNG(0, range(n), device)
    with frozen(generator, encoder):
        return _optimize(
            generator,
            targets,
            cfg=cfg,
            perceptual=perceptual,
            init_ws=init_ws,
            encoder=encoder,
            rng=rng,
            callback=callback,
            region=region,
        )


@contextlib.contextmanager
def frozen(*modules: nn.Module | None):
    """Turn off requires_grad on the modules' parameters for the block, then restore each flag."""
    params = [p for m in modules if m is not None for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def _optimize(
    generator, targets, cfg, perceptual, init_ws, encoder, rng, callback, region
) -> ProjectionResult:
    device = targets.device
    n = targets.shape[0]
    start = generator.w_avg.reshape(1, 1, -1).repeat(n, generator.num_ws, 1) if init_ws is None else init_ws
    start = start.detach().to(device).float()
    w_opt = (start.mean(dim=1, keepdim=True) if cfg.space == "w" else start).clone().requires_grad_(True)
    if cfg.optimize_noise:
        noise = [rng.randn(*shape).requires_grad_(True) for shape in generator.noise_shapes()]
    else:
        noise = [m.detach() for m in generator.make_noise(n, "const", device=device)]
    params = [w_opt] + (noise if cfg.optimize_noise else [])
    optimizer = torch.optim.Adam(params, lr=cfg.lr, betas=(0.9, 0.999))
    w_std = w_spread(generator, cfg.w_std_samples) if cfg.initial_w_noise > 0 else 0.0
    history: list[float] = []

    def synthesize(ws: torch.Tensor) -> torch.Tensor:
        return generator.synthesis(
            ws.expand(-1, generator.num_ws, -1) if cfg.space == "w" else ws, noise=noise
        )

    for step in range(cfg.steps):
        t = step / max(1, cfg.steps)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(cfg, step)
        scale = (
            w_std * cfg.initial_w_noise * max(0.0, 1.0 - t / cfg.w_noise_ramp) ** 2
            if cfg.w_noise_ramp > 0
            else 0.0
        )
        ws = w_opt + rng.randn(*w_opt.shape[1:]) * scale if scale > 0 else w_opt
        images = synthesize(ws)
        if region is None:
            mse = (images - targets).pow(2).flatten(1).mean(dim=1)
            seen = images
        else:
            weight = region.expand_as(images)
            mse = (weight * (images - targets).pow(2)).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp_min(
                1
            )
            seen = weight * images + (1 - weight) * targets
        loss = cfg.mse_weight * mse
        if perceptual is not None and cfg.perceptual_weight > 0:
            loss = loss + cfg.perceptual_weight * perceptual(seen, targets)
        if cfg.optimize_noise and cfg.noise_reg_weight > 0:
            loss = loss + cfg.noise_reg_weight * noise_regularization(noise)
        if cfg.domain_weight > 0:
            full = ws.expand(-1, generator.num_ws, -1)
            loss = loss + cfg.domain_weight * (full - encoder(images)).pow(2).flatten(1).mean(dim=1)
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()
        if cfg.optimize_noise:
            normalize_noise_(noise)
        history.append(float(mse.detach().mean()))
        if callback is not None:
            callback(step, history[-1])

    with torch.no_grad():
        final = synthesize(w_opt)
    ws = w_opt.detach().expand(-1, generator.num_ws, -1).clone()
    return ProjectionResult(
        ws=ws, noise=[m.detach() for m in noise], images=final.detach(), mse_history=history
    )
