"""Loading "stylegan" bundles, sampling them (`genvision sample`) and interpolating (`genvision interpolate`).

Sampling: image k uses z from the generator of (seed, k) and the generator's fixed noise maps, optionally
truncated, w' = w̄ + ψ (w − w̄) (condition "truncation", default 1). Interpolation walks W+ linearly between
two codes: those of two real images (inverted, with --invert or whenever --a/--b are given) or of two samples.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.models.bundle import Bundle, load_bundle
from genvision.seeding import PerImageRNG

KIND = "stylegan"


@dataclass
class StyleGANModel:
    """A loaded StyleGAN bundle: generator, optional encoder, and a loader for the optional discriminator."""

    generator: nn.Module
    encoder: nn.Module | None
    bundle: Bundle
    device: torch.device
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        g = self.generator
        return tuple(self.config.get("data", {}).get("shape") or (g.channels, g.resolution, g.resolution))

    @property
    def class_names(self) -> list[str] | None:
        return self.config.get("data", {}).get("class_names") or self.config.get("class_names")

    @property
    def default_perceptual(self) -> str:
        return self.config.get("inversion", {}).get("perceptual", "none")

    def discriminator_loader(self) -> Callable[[], nn.Module] | None:
        if "discriminator" not in self.config.get("components", []):
            return None
        return lambda: self.bundle.component("discriminator", self.device)

    @torch.no_grad()
    def synthesize(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None,
                   batch_size: int = 256) -> torch.Tensor:
        """G(ws) in [-1, 1] on the CPU, in batches; fixed noise maps unless `noise` (one map per layer) is given."""
        out = []
        for start in range(0, ws.shape[0], batch_size):
            chunk = ws[start:start + batch_size].to(self.device)
            maps = None if noise is None else [m[start:start + batch_size].to(self.device) for m in noise]
            x = self.generator.synthesis(chunk, noise=maps, noise_mode="const")
            out.append(x.float().clamp(-1, 1).cpu())
        return torch.cat(out)

    @torch.no_grad()
    def sample_codes(self, n: int, seed: int = 0, start: int = 0, truncation: float = 1.0) -> torch.Tensor:
        """W+ codes [n, num_ws, w_dim] of images start … start+n-1 of the run seeded with `seed`."""
        z = PerImageRNG(seed, range(start, start + n), self.device).randn(self.generator.z_dim)
        return self.generator.map(z, truncation_psi=truncation).cpu()


def load_stylegan(ref: str | Path | Bundle, device: torch.device | str = "cpu") -> StyleGANModel:
    """Open a "stylegan" bundle (folder or shipped name)."""
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref, kinds=(KIND,))
    if bundle.kind != KIND:
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle; this needs a {KIND!r} bundle")
    device = torch.device(device)
    components = bundle.config.get("components", [])
    encoder = bundle.component("encoder", device) if "encoder" in components else None
    return StyleGANModel(generator=bundle.component("generator", device), encoder=encoder, bundle=bundle,
                         device=device, config=bundle.config)


# ---- `genvision sample` -----------------------------------------------------------------------------------------
def sample_stylegan(bundle: Bundle, n: int, seed: int, device: torch.device, options) -> Any:
    from genvision.pipelines.sample import SampleResult, reject_diffusion_options

    reject_diffusion_options(bundle, options)
    conditions = dict(options.conditions)
    psi = conditions.pop("truncation", None)
    truncation = 1.0 if psi is None else float(psi)
    unknown = [k for k, v in conditions.items() if v is not None]
    if unknown:
        raise GenvisionError(f"a StyleGAN takes no {unknown[0]!r} condition (it understands: truncation)")
    model = load_stylegan(bundle, device)
    images = torch.cat([model.synthesize(model.sample_codes(min(options.batch_size, n - s), seed, s, truncation))
                        for s in range(0, n, options.batch_size)])
    return SampleResult(images=images, info={"kind": KIND, "truncation": truncation})


# ---- `genvision interpolate` ------------------------------------------------------------------------------------
def interpolate_stylegan(bundle: Bundle, request) -> Any:
    """Linear path in W+ between the inversions of --a and --b, or between samples (seed, 0) and (seed, 1).

    Options (--option key=value): method (optimize | encoder | encoder+optimize), space (w | w+), steps
    (optimisation steps), perceptual (distance name).
    """
    from genvision.pipelines.interpolate import Interpolation, latent_path, load_endpoint
    from genvision.pipelines.invert import InvertRequest, invert

    model = load_stylegan(bundle, request.device)
    if request.a or request.b or request.invert:
        if not (request.a and request.b):
            raise GenvisionError("interpolating real images needs both --a and --b (image files or data references)")
        images = torch.cat([load_endpoint(ref, model.shape)[0] for ref in (request.a, request.b)])
        opts = dict(request.options)
        inv = InvertRequest(space=str(opts.pop("space", "w+")), method=str(opts.pop("method", "auto")),
                            steps=int(opts.pop("steps", 300)), perceptual=opts.pop("perceptual", None),
                            seed=request.seed, quiet=request.quiet)
        if opts:
            raise GenvisionError(f"unknown --option {next(iter(opts))!r} for StyleGAN (method, space, steps, perceptual)")
        ws = invert(model, images, inv).ws
    else:
        ws = model.sample_codes(2, request.seed)
    path = latent_path(ws[0], ws[1], request.steps, request.method)
    return Interpolation(images=model.synthesize(path), nrow=request.steps)


def _register() -> None:
    from genvision.pipelines.interpolate import register_interpolator
    from genvision.pipelines.sample import register_sampler_kind

    register_sampler_kind(KIND, sample_stylegan)
    register_interpolator(KIND, interpolate_stylegan)


_register()
