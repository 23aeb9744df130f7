"""Diffusion models at inference, pixel ("ddpm") and latent ("ldm") alike: sampling, guidance, inpainting, saving.

    m = genvision.load("fashion-ldm").to("cpu", torch.float32)
    r = m.sample(16, seed=0, prompt="a sandal", guidance=3.0)     # r.images [16, 1, 28, 28] in [-1, 1]
    r = m.sample(2, prompt=["a sandal", "a bag"], negative_prompt="a boot")   # one prompt per image
    r = m.sample(4, generator=torch.Generator().manual_seed(0))   # or latents=z [4, *m.latent_shape]
    r = m.sample(8, label="sneaker", trajectory=10)               # r.trajectory [8, 10, 1, 28, 28]: x_T … x_0
    p = m.inpaint(images, fill, seed=0)                           # p.panel(): original | masked | inpainted | composite
    m.save("my-ldm")                                              # genvision.load("my-ldm") samples the same

A pixel model is a latent model whose autoencoder is the identity. One loop serves both
(genvision.generators.diffusion_loop), for sampling and inpainting alike:

    z_T ~ N(0, I): the generator of (seed, k) for image k, or generator= / latents= (genvision.generators.noise)
    z_0 = sampler(ε̃, z_T),   ε̃ = ε(z_t, ∅) + s (ε(z_t, c) − ε(z_t, ∅))      (Ho & Salimans 2022; s = 1: plain)
    x = decode(z_0 / latent_scale)

∅ is the null condition, or the negative prompt's condition when one is given. Defaults (sampler, steps, spacing,
guidance) come from the bundle's `sampling` block, written at export. Conditions and guidance:
genvision.generators.diffusion_conditions; inpainting: genvision.generators.inpainting.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from genvision.conditioning.grounding import ground, grounding_info
from genvision.conditioning.text import TextEncoder
from genvision.conditioning.unet_inputs import Condition
from genvision.diffusion.samplers import sample as run_sampler
from genvision.diffusion.samplers import sampler_row
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import check_steps
from genvision.errors import GenvisionError
from genvision.generators import inpainting
from genvision.generators.base import Generated, LoadedModel, Progress, check_count
from genvision.generators.diffusion_conditions import (
    TEXT_CACHE_NAME,
    Labels,
    Prompts,
    text_cache_path,
)
from genvision.generators.diffusion_editing import DiffusionEditing
from genvision.generators.diffusion_loop import Batch, evenly_spaced, run_batches
from genvision.generators.diffusion_settings import SamplerSettings
from genvision.generators.guards import check_int, check_number
from genvision.generators.inpainting import Inpainting, prepare_fill, show_hole
from genvision.generators.noise import GeneratorArg, resolve_noise
from genvision.generators.saving import component_parts, copied_files
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import DiffusionConfig
from genvision.runtime import sampling_dtype


class DiffusionModel(DiffusionEditing, LoadedModel):
    """A denoiser, its schedule and (latent models) a frozen autoencoder; see the module docstring.
    Conditions and guidance come from DiffusionConditions; `invert` and `edit` (DDIM / null-text inversion,
    SDEdit, DiffEdit) from DiffusionEditing."""

    def __init__(
        self,
        spec: DiffusionConfig,
        unet: nn.Module,
        schedule: NoiseSchedule,
        autoencoder: nn.Module | None = None,
        *,
        bundle: Bundle | None = None,
        precision: str = "auto",
        text: TextEncoder | None = None,
    ) -> None:
        super().__init__(spec, next(unet.parameters()).device, bundle)
        self.spec: DiffusionConfig = spec
        self.unet = unet
        self.schedule = schedule
        self.autoencoder: Any = (
            autoencoder  # a genvision.models Autoencoder / VQ-VAE (encode, decode), or None
        )
        self.autocast_dtype = sampling_dtype(precision, self.device)
        self._text = text
        self._captions = None

    # --- what the bundle says ---------------------------------------------------------------------------
    @property
    def prediction(self) -> str:
        return self.spec.prediction

    @property
    def num_classes(self) -> int:
        return int(self.conditioning.num_classes)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        c, h, w = self.spec.latent_shape or self.image_shape
        return (int(c), int(h), int(w))

    @property
    def latent_scale(self) -> float:
        return float(self.spec.latent_scale)

    @property
    def clip_x0(self) -> float | None:
        return self.spec.clip_x0

    # --- latent space -----------------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images [-1, 1] → scaled latents (identity in pixel space)."""
        if self.autoencoder is None:
            return images
        return self.autoencoder.encode(images).float() * self.latent_scale

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents → images clamped to [-1, 1]."""
        if self.autoencoder is None:
            return latents.float().clamp(-1, 1)
        z = latents / self.latent_scale
        if getattr(self.autoencoder, "quantizer", None) is not None:
            return self.autoencoder.decode(z, quantize=self.spec.decode_quantize).float().clamp(-1, 1)
        return self.autoencoder.decode(z).float().clamp(-1, 1)

    # --- device and saving ---------------------------------------------------------------------------
    def networks(self) -> dict[str, nn.Module]:
        nets = {"unet": self.unet}
        return nets | ({"autoencoder": self.autoencoder} if self.autoencoder is not None else {})

    def moved(self) -> None:
        self.schedule = NoiseSchedule.from_dict(self.spec.schedule, device=self.device)
        self._text, self._captions = None, None  # rebuilt on the new device when next asked for

    def bundle_parts(self) -> BundleParts:
        """The UNet held in memory; an LDM's autoencoder bundle and prompt cache copied from the source."""
        if self.autoencoder is not None and self.bundle is None:
            raise GenvisionError("a latent model made in memory has no autoencoder bundle to save with it")
        components = component_parts(self, {"unet": self.unet}, stored=("autoencoder",))
        return BundleParts(self.spec, components, files=copied_files(self.bundle, (TEXT_CACHE_NAME,)))

    # --- sampler settings -------------------------------------------------------------------------------
    def settings(
        self,
        sampler: str | None = None,
        steps: int | None = None,
        spacing: str | None = None,
        guidance: float | None = None,
        conditioned: bool = False,
        **options: Any,
    ) -> SamplerSettings:
        """The request completed from the bundle's `sampling` defaults and the sampler's table row; `options`
        are the sampler's own (eta, variance, ...; None: default); invalid values are errors."""
        defaults = self.spec.sampling
        row = sampler_row(sampler or defaults.sampler)
        name, T = row.name, self.schedule.num_timesteps
        if steps is None:
            steps = defaults.steps if name == defaults.sampler and defaults.steps else row.steps_for(T)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise GenvisionError(f"steps must be an integer >= 1, got {steps!r}")
        steps = check_steps(steps, T)
        spacing = row.spacing_for(spacing, defaults.spacing)
        given = {key: value for key, value in options.items() if value is not None}
        resolved = row.resolve(given, defaults.to_json())
        scale = (defaults.guidance if conditioned else 1.0) if guidance is None else float(guidance)
        check_number("guidance", scale, minimum=0.0)
        return SamplerSettings(name, steps, spacing=spacing, options=resolved, guidance=scale)

    # --- sampling ---------------------------------------------------------------------------------------
    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
        label: Labels = None,
        prompt: Prompts = None,
        negative_prompt: Prompts = None,
        label_map: torch.Tensor | None = None,
        guidance: float | None = None,
        sampler: str | None = None,
        steps: int | None = None,
        spacing: str | None = None,
        grounding: int | None = None,
        batch_size: int = 256,
        trajectory: int = 0,
        trajectory_rows: int = 8,
        start: int = 0,
        progress: Progress | None = None,
        **sampler_options: Any,
    ) -> Generated:
        """n images; `label` / `prompt` / `negative_prompt`: one for all, or a list of one per image (none:
        unconditional). Image k uses the generator of (seed, start + k), or `generator` / `latents` [n,
        *latent_shape] (the rules: genvision.generators.noise).

        `trajectory` > 0 also records decoded x_t at that many evenly spaced steps (x_T … x_0) for the first
        `trajectory_rows` images: [rows, frames, C, H, W]. `sampler_options`: the sampler's own (eta=0.5 for ddim,
        variance="large" for ddpm; genvision.diffusion.samplers.SAMPLERS lists them)."""
        conditions, negatives = self.conditions_for(check_count(n), label, prompt, label_map, negative_prompt)
        return self.generate(
            conditions,
            negatives=negatives,
            seed=seed,
            generator=generator,
            latents=latents,
            guidance=guidance,
            sampler=sampler,
            steps=steps,
            spacing=spacing,
            grounding=grounding,
            batch_size=batch_size,
            trajectory=trajectory,
            trajectory_rows=trajectory_rows,
            start=start,
            progress=progress,
            **sampler_options,
        )

    @torch.no_grad()
    def generate(
        self,
        conditions: list[Condition],
        *,
        negatives: list[Condition] | None = None,
        seed: int | None = None,
        generator: GeneratorArg = None,
        latents: torch.Tensor | None = None,
        guidance: float | None = None,
        sampler: str | None = None,
        steps: int | None = None,
        spacing: str | None = None,
        grounding: int | None = None,
        batch_size: int = 256,
        trajectory: int = 0,
        trajectory_rows: int = 8,
        start: int = 0,
        progress: Progress | None = None,
        decode: bool = True,
        **sampler_options: Any,
    ) -> Generated:
        """One image per condition (`negatives`: one per condition, in the null branch's place); `decode=False`
        returns scaled latents. `grounding` k: free-text prompts take their k nearest training captions (None:
        the bundle's k)."""
        if not conditions:
            raise GenvisionError("nothing to sample: no conditions given")
        if negatives is not None and len(negatives) != len(conditions):
            raise GenvisionError(f"{len(negatives)} negative conditions for {len(conditions)} images")
        check_int("trajectory_rows", trajectory_rows, 1)
        n = len(conditions)
        noise = resolve_noise(
            n, self.latent_shape, seed=seed, generator=generator, latents=latents, start=start
        )
        k = self.grounding_k(grounding)
        grounded: dict[str, list[str]] = {}
        far: dict[str, float] = {}
        placed: dict[str, str] = {}
        if k and any(c.prompt is not None for c in conditions + (negatives or [])):
            both, grounded, far, placed = ground(conditions + (negatives or []), self.caption_index(), k)
            conditions, negatives = both[:n], (both[n:] if negatives is not None else None)
        guided = not all(c.empty for c in conditions) or negatives is not None
        run = self.settings(
            sampler, steps, spacing=spacing, guidance=guidance, conditioned=guided, **sampler_options
        )

        def body(batch: Batch) -> torch.Tensor:
            lo, hi = batch.lo, batch.hi
            z = run_sampler(
                run.sampler,
                self.model_fn(
                    conditions[lo:hi], run.guidance, None if negatives is None else negatives[lo:hi]
                ),
                self.schedule,
                batch.x_T,
                prediction=self.prediction,
                steps=run.steps,
                spacing=run.spacing,
                noise=batch.rng,
                clip_x0=self.clip_x0,
                callback=lambda i, t_prev, x: batch.record(x),
                **run.options,
            )
            return (self.decode(z) if decode else z.float()).cpu()

        images, frames = run_batches(
            n,
            body,
            noise=noise,
            batch_size=batch_size,
            transitions=run.steps,
            decode=self.decode,
            device=self.device,
            trajectory=trajectory,
            rows=trajectory_rows,
            progress=progress,
        )
        info: dict[str, object] = {**run.info(), "precision": _dtype_name(self.autocast_dtype)}
        if guided:
            info["guidance"] = run.guidance
        if negatives is not None:
            info["negative_prompt"] = True
        info.update(grounding_info(k, grounded, far, placed))
        if self.autoencoder is not None:
            info["latent"] = "x".join(map(str, self.latent_shape))
        return Generated(images, frames, info)

    # --- inpainting (genvision.generators.inpainting) --------------------------------------------------
    inpaint = inpainting.inpaint


def _dtype_name(dtype: torch.dtype | None) -> str:
    return str(dtype).replace("torch.", "") if dtype is not None else "float32"


def load_diffusion(
    bundle: Bundle, device: torch.device | str = "cpu", precision: str = "auto"
) -> DiffusionModel:
    """Open an "ldm" or a pixel-space "ddpm" bundle; `precision` auto runs the UNet in bf16 on CUDA and in fp32 on
    the CPU ("bf16" opts in: faster on CPUs with AMX or AVX512-BF16)."""
    spec = bundle.spec
    if not isinstance(spec, DiffusionConfig):
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle, not a diffusion model")
    if not spec.schedule:
        raise GenvisionError(f"diffusion bundle {bundle.path} has no 'schedule' in its config.json")
    device = torch.device(device)
    schedule = NoiseSchedule.from_dict(spec.schedule, device=device)
    autoencoder = None
    if bundle.kind == "ldm":
        sub = bundle.sub_bundle("autoencoder")
        names = sub.config.get("components") or []
        if not names:
            raise GenvisionError(f"autoencoder bundle {sub.path} lists no components")
        autoencoder = sub.component(names[0], device)
    unet = bundle.component("unet", device)
    if (
        bundle.kind == "ddpm" and not spec.conditioning.num_classes
    ):  # schema 1 kept the class count in the UNet
        spec.conditioning.num_classes = int(getattr(unet, "num_classes", None) or 0)
    return DiffusionModel(spec, unet, schedule, autoencoder, bundle=bundle, precision=precision)


__all__ = [
    "TEXT_CACHE_NAME",
    "Condition",
    "DiffusionModel",
    "Inpainting",
    "SamplerSettings",
    "evenly_spaced",
    "load_diffusion",
    "prepare_fill",
    "show_hole",
    "text_cache_path",
]
