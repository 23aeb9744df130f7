"""StyleGAN bundles: sampling, GAN inversion into W / W+, attribute directions and real-image editing.

    sg = genvision.load("fashion-stylegan")
    codes = sg.invert(x, space="w+")                    # codes.ws [N, num_ws, w_dim]; codes.images: G(ws)
    strip = sg.edit(codes, "class:trouser", [-2, 0, 2])  # [N · 3, C, H, W]: row i = image i at each strength
    sg.interpolate(codes.ws[0], codes.ws[1], steps=8)     # images [8, C, H, W]; no codes: samples 0, 1 of seed

Sampling: image k uses z from the generator of (seed, k) and the generator's fixed noise maps, truncated as
w' = w̄ + ψ (w − w̄). A class-conditional generator (StyleGAN2-ADA's mapping of [z; E y]) makes image k of class
`label`, or of class k mod C when no class is given, so an unlabelled run covers the classes evenly. Inversion methods:
    optimize           projection from w̄ (genvision.inversion.projection)
    encoder            one pass of the in-domain encoder, E(x)
    encoder+optimize   projection from E(x) with the domain term λ_dom ‖w − E(G(w))‖² (IDInvert)
    auto               encoder+optimize when the bundle has an encoder, else optimize
Directions (InterFaceGAN: class:NAME, brightness, label:NAME, mask:PART) are fitted by
genvision.generators.stylegan_directions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.generators.base import Generated, LoadedModel, Progress, batch_ranges, check_count, joined
from genvision.generators.guards import check_fill, check_number
from genvision.generators.noise import GeneratorArg, resolve_noise
from genvision.generators.paths import latent_path
from genvision.generators.saving import component_parts
from genvision.generators.stylegan_directions import StyleGANDirections
from genvision.inversion.directions import condition_direction, edit_codes
from genvision.inversion.encoder import encode
from genvision.inversion.perceptual import build_perceptual
from genvision.inversion.projection import ProjectionConfig, project
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import StyleGANConfig
from genvision.runtime import sampling_dtype
from genvision.seeding import PerImageRNG

KIND = "stylegan"
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


class StyleGAN(StyleGANDirections, LoadedModel):
    """A StyleGAN2-style generator, its optional in-domain encoder and (for perceptual losses) discriminator."""

    def __init__(
        self,
        spec: StyleGANConfig,
        generator: nn.Module,
        encoder: nn.Module | None = None,
        bundle: Bundle | None = None,
    ) -> None:
        super().__init__(spec, next(generator.parameters()).device, bundle)
        self.spec: StyleGANConfig = spec
        self.generator: Any = (
            generator.eval()
        )  # a genvision.models.stylegan generator (map, synthesis, z_dim)
        self.encoder: Any = None if encoder is None else encoder.eval()
        self._directions: dict[tuple, tuple[torch.Tensor, float, int]] = {}

    def networks(self) -> dict[str, nn.Module]:
        nets = {"generator": self.generator}
        return nets | ({"encoder": self.encoder} if self.encoder is not None else {})

    def bundle_parts(self) -> BundleParts:
        return BundleParts(self.spec, component_parts(self, self.networks(), stored=("discriminator",)))

    @property
    def num_classes(self) -> int:
        """Classes the generator's mapping network is conditioned on (0: unconditional; class names then only
        describe the data, for class: directions)."""
        return int(getattr(self.generator, "num_classes", 0) or 0)

    @property
    def default_perceptual(self) -> str:
        return str(self.spec.inversion.get("perceptual", "none"))

    def discriminator_loader(self) -> Callable[[], nn.Module] | None:
        bundle = self.bundle
        if bundle is None or "discriminator" not in self.spec.components:
            return None
        return lambda: bundle.component("discriminator", self.device)

    # --- sampling ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def synthesize(
        self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None, batch_size: int = 256
    ) -> torch.Tensor:
        """G(ws) in [-1, 1] on the CPU, in batches; fixed noise maps unless `noise` (one map per layer) is given."""
        out = []
        for lo, hi in batch_ranges(len(ws), batch_size):
            maps = None if noise is None else [m[lo:hi].to(self.device) for m in noise]
            with self.autocast():
                x = self.generator.synthesis(ws[lo:hi].to(self.device), noise=maps, noise_mode="const")
            out.append(x.float().clamp(-1, 1).cpu())
        return joined(out)

    @torch.no_grad()
    def sample_codes(
        self,
        n: int,
        seed: int | None = 0,
        start: int = 0,
        truncation: float = 1.0,
        label: int | str | list[int | str] | None = None,
        *,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """W+ codes [n, num_ws, w_dim] of images start … start+n-1 of the run seeded with `seed` (or of
        `generator` / z `latents` [n, z_dim]: genvision.generators.noise)."""
        check_number("truncation", truncation, minimum=0.0)
        indices = range(start, start + check_count(n))
        z = resolve_noise(
            n, (self.generator.z_dim,), seed=seed, generator=generator, latents=latents, start=start
        ).initial(self.device)
        labels = self.labels_of(label, indices)
        labels = None if labels is None else labels.to(self.device)
        with self.autocast():
            ws = self.generator.map(z, truncation_psi=truncation, labels=labels)
        return ws.float().cpu()

    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
        truncation: float = 1.0,
        label: int | str | list[int | str] | None = None,
        start: int = 0,
        batch_size: int = 256,
    ) -> Generated:
        """n images; image k uses z from (seed, start + k) (or `generator` / z `latents` [n, z_dim]: the rules in
        genvision.generators.noise), truncated with ψ = `truncation`; a class-conditional generator makes class
        `label` (one for all, or a list of one per image) or k mod C."""
        codes = self.sample_codes(n, seed, start, truncation, label, generator=generator, latents=latents)
        images = self.synthesize(codes, batch_size=batch_size)
        info: dict[str, object] = {"kind": KIND, "truncation": truncation}
        if label is not None and not isinstance(label, list):
            info["class"] = self.label_index(label)
        return Generated(images, info=info)

    # --- inversion --------------------------------------------------------------------------------------
    def resolve_method(self, method: str) -> str:
        if method not in METHODS:
            raise GenvisionError(f"unknown inversion method {method!r}; choose one of {', '.join(METHODS)}")
        if method == "auto":
            return "encoder+optimize" if self.encoder is not None else "optimize"
        if method.startswith("encoder") and self.encoder is None:
            raise GenvisionError(f"{self.name} has no encoder; use method optimize")
        return method

    def invert(
        self,
        images: torch.Tensor,
        *,
        space: str = "w+",
        method: str = "auto",
        steps: int = 500,
        seed: int = 0,
        settings: InversionSettings | None = None,
        region: torch.Tensor | None = None,
        progress: Progress | None = None,
    ) -> Inversion:
        """Codes of images [N, C, H, W] in [-1, 1]; image k's randomness comes from (seed, k) whatever the batch.
        `region` [N, 1, H, W] restricts the reconstruction loss (region blending)."""
        if space not in SPACES:
            raise GenvisionError(f"unknown latent space {space!r}; choose w or w+")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise GenvisionError(f"inversion steps must be an integer >= 1, got {steps!r}")
        images = self.check_images(images)
        s = settings or InversionSettings()
        method = self.resolve_method(method)
        spec = s.perceptual if s.perceptual is not None else self.default_perceptual
        perceptual = (
            None if method == "encoder" else build_perceptual(spec, self.device, self.discriminator_loader())
        )
        cfg = ProjectionConfig(
            space=cast(Literal["w", "w+"], space),
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
                init = encode(self.encoder, x, space) if method.startswith("encoder") else None
            if method == "encoder":
                ws, maps = init, None
                with torch.no_grad():
                    recon = self.generator.synthesis(ws, noise_mode="const")
            else:
                rng = PerImageRNG(seed, range(lo, hi), self.device)
                rgn = None if region is None else region[lo:hi].to(self.device)
                result = project(
                    self.generator,
                    x,
                    cfg,
                    perceptual=perceptual,
                    init_ws=init,
                    encoder=self.encoder,
                    rng=rng,
                    region=rgn,
                )
                ws, recon, maps = result.ws, result.images, result.noise if s.optimize_noise else None
            assert ws is not None  # the encoder's codes, or the projection's
            ws_out.append(ws.detach().float().cpu())
            img_out.append(recon.detach().float().clamp(-1, 1).cpu())
            if maps is not None:
                noise_out.append([m.cpu() for m in maps])
            if progress is not None:
                progress(hi, len(images))
        noise = [torch.cat(parts) for parts in zip(*noise_out)] if noise_out else None
        info = {
            "space": space,
            "method": method,
            "perceptual": spec if perceptual else "none",
            "steps": str(steps if method != "encoder" else 0),
        }
        return Inversion(
            torch.cat(ws_out),
            torch.cat(img_out),
            noise=noise,
            seconds=time.perf_counter() - started,
            info=info,
        )

    def blend(
        self, target: torch.Tensor, context: torch.Tensor, region: torch.Tensor, **invert_options
    ) -> tuple[torch.Tensor, Inversion]:
        """Region blending (IDInvert §4.3, "semantic diffusion"): paste `region` of `target` into `context` and
        invert with the loss on that region only, so G blends it into its context → (pasted, inversion)."""
        target, context = self.check_images(target), self.check_images(context)
        region = check_fill(region, target, name="region")
        pasted = region * target + (1 - region) * context
        return pasted, self.invert(pasted, region=region, **invert_options)

    # --- editing (directions: genvision.generators.stylegan_directions) -------------------------------
    def edit(
        self,
        codes: Inversion | torch.Tensor,
        direction: str | torch.Tensor,
        strength: float | Sequence[float],
        *,
        condition_on: Sequence[str | torch.Tensor] = (),
        layers: list[int] | None = None,
        noise: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Edited images [N · S, C, H, W]: row i holds image i moved along `direction` by each strength
        (ws + α n on the chosen layers), with the direction made orthogonal to `condition_on`."""
        if isinstance(codes, Inversion):
            ws, noise = codes.ws, codes.noise if noise is None else noise
        else:
            ws = codes
        if ws.ndim != 3:
            raise GenvisionError(f"codes must be W+ codes [N, num_ws, w_dim]; got {list(ws.shape)}")
        vector = condition_direction(
            self._as_direction(direction), [self._as_direction(d) for d in condition_on]
        )
        strengths = [strength] if isinstance(strength, (int, float)) else list(strength)
        strengths = [check_number("strength", s) for s in strengths]
        edited = edit_codes(ws, vector, strengths, layers)  # [S, N, L, D]
        s, n = edited.shape[:2]
        rows = edited.transpose(0, 1).reshape(n * s, *ws.shape[1:])
        maps = None if noise is None else [m.repeat_interleave(s, dim=0) for m in noise]
        return self.synthesize(rows, maps)

    def interpolate(
        self,
        a: torch.Tensor | None = None,
        b: torch.Tensor | None = None,
        *,
        steps: int = 8,
        method: str = "linear",
        seed: int = 0,
        label: int | str | None = None,
    ) -> Generated:
        """G along the path in W+ between two codes [num_ws, w_dim] (default: the codes of samples 0 and 1 of
        `seed`, of class `label` for a class-conditional generator): images [steps, C, H, W]."""
        if a is None and b is None:
            a, b = self.sample_codes(2, seed, label=self.label_index(label))
        elif a is None or b is None:
            raise GenvisionError("give both ends a and b (W+ codes [num_ws, w_dim]), or neither")
        return Generated(
            self.synthesize(latent_path(a, b, steps, method)), info={"method": method, "steps": steps}
        )


def load_stylegan(bundle: Bundle, device: torch.device | str = "cpu", precision: str = "auto") -> StyleGAN:
    """Open a "stylegan" bundle (its encoder too, when it has one)."""
    if bundle.kind != KIND:
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle; this needs a {KIND!r} bundle")
    encoder = bundle.component("encoder", device) if "encoder" in bundle.spec.components else None
    model = StyleGAN(
        cast(StyleGANConfig, bundle.spec), bundle.component("generator", device), encoder, bundle
    )
    model.autocast_dtype = sampling_dtype(precision, torch.device(device))
    return model
