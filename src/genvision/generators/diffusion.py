"""Diffusion models at inference, pixel ("ddpm") and latent ("ldm") alike: sampling, guidance, inpainting.

    m = genvision.load("fashion-ldm")
    r = m.sample(16, seed=0, prompt="a sandal", guidance=3.0)     # r.images [16, 1, 28, 28] in [-1, 1]
    r = m.sample(8, label="sneaker", trajectory=10)               # r.trajectory [8, 10, 1, 28, 28]: x_T … x_0
    p = m.inpaint(images, fill, seed=0)                           # p.panel(): original | masked | inpainted | composite

A pixel model is a latent model whose autoencoder is the identity. One loop serves both:

    z_T ~ N(0, I) from the generator of (seed, k) for image k   (so image k never depends on n or the batch)
    z_0 = sampler(ε̃, z_T),   ε̃ = ε(z_t, ∅) + s (ε(z_t, c) − ε(z_t, ∅))      (Ho & Salimans 2022; s = 1: plain)
    x = decode(z_0 / latent_scale)

Defaults (sampler, steps, spacing, guidance) come from the bundle's `sampling` block, written at export.
Inpainting (Rombach et al. 2022 §4.3; Lugmayr et al. 2022): the known region comes from the forward-noised
original, the hole from the model, in latent space; decoded, then composited in pixel space, so the known
pixels are the original's bit for bit. The encoder sees the image with the hole blanked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from genvision.conditioning.captions import builtin_cache
from genvision.conditioning.grounding import CaptionIndex, ground, grounding_info, pooled_captions
from genvision.conditioning.text import TextEncoder, encoder_or_cache
from genvision.conditioning.unet_inputs import Condition, unet_inputs
from genvision.data.captions import caption_set
from genvision.data.masks import composite, latent_fill
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.diffusion.inpaint import Resampling, inpaint_sample, repaint_levels
from genvision.diffusion.samplers import ModelFn, inpainting_row, inpainting_samplers, sampler_row
from genvision.diffusion.samplers import sample as run_sampler
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import check_steps
from genvision.errors import GenvisionError
from genvision.generators.base import Generated, LoadedModel, Progress, batch_ranges, check_count
from genvision.generators.diffusion_editing import DiffusionEditing
from genvision.generators.guards import check_fill, check_int, check_number
from genvision.models.bundle import Bundle
from genvision.models.bundle_config import DiffusionConfig
from genvision.paths import genvision_home
from genvision.runtime import autocast, sampling_dtype
from genvision.seeding import PerImageRNG, image_seed

TEXT_CACHE_NAME = "text_cache.safetensors"
_KNOWN_STREAM = 1 << 40  # derives the seed of inpainting's known-region noise from the run seed


@dataclass(frozen=True)
class SamplerSettings:
    """A resolved sampler request: which sampler, how many steps, its options, the guidance scale."""

    sampler: str
    steps: int
    spacing: str | None  # None: the sampler picks its own timesteps
    options: dict[str, Any]  # every option of the sampler's table row (eta, variance, ...), resolved
    guidance: float

    def info(self) -> dict[str, object]:
        spacing = {"spacing": self.spacing} if self.spacing else {}
        return {"sampler": self.sampler, "steps": self.steps, **spacing, **self.options}


@dataclass
class Inpainting:
    """Inpainting results, all [N, C, H, W] in [-1, 1] on the CPU (fill: [N, 1, H, W], 1 = painted)."""

    original: torch.Tensor
    fill: torch.Tensor
    masked: torch.Tensor  # the original with the hole greyed out
    inpainted: torch.Tensor  # the decoded sample, as the model made it
    composite: torch.Tensor  # the original outside the hole, the inpainted pixels inside
    trajectory: torch.Tensor | None = None  # [frames, N, C, H, W]: decoded x at evenly spaced transitions
    info: dict[str, object] | None = None

    def panel(self) -> torch.Tensor:
        """Rows of original | masked | inpainted | composite, as [4N, C, H, W] for a 4-column grid."""
        return torch.stack([self.original, self.masked, self.inpainted, self.composite], 1).flatten(0, 1)


def show_hole(images: torch.Tensor, fill: torch.Tensor, value: float = 0.0) -> torch.Tensor:
    """The image with the region to fill painted a flat grey (0 in [-1, 1])."""
    return torch.where(fill.bool().expand_as(images), torch.full_like(images, value), images)


def prepare_fill(fill: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """A fill mask [N|1, 1, H, W], [N, H, W] or [H, W] in [0, 1] at the images' size, brought to their batch."""
    return check_fill(fill, images)


def evenly_spaced(count: int, total: int) -> set[int]:
    """`count` indices spread evenly over 0 … total (both ends included when count >= 2)."""
    if count <= 0:
        return set()
    return {round(i * total / max(count - 1, 1)) for i in range(count)}


class DiffusionModel(DiffusionEditing, LoadedModel):
    """A denoiser, its schedule and (latent models) a frozen autoencoder; see the module docstring.
    `invert` and `edit` (DDIM / null-text inversion, SDEdit, DiffEdit) come from DiffusionEditing."""

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
        self.autoencoder = autoencoder
        self.autocast_dtype = sampling_dtype(precision, self.device)
        self._text = text
        self._captions: CaptionIndex | None = None

    # --- what the bundle says ---------------------------------------------------------------------------
    @property
    def prediction(self) -> str:
        return self.spec.prediction

    @property
    def conditioning(self):
        return self.spec.conditioning

    @property
    def num_classes(self) -> int:
        return int(self.conditioning.num_classes)

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        return tuple(self.spec.latent_shape or self.image_shape)

    @property
    def latent_scale(self) -> float:
        return float(self.spec.latent_scale)

    @property
    def clip_x0(self) -> float | None:
        return self.spec.clip_x0

    @property
    def takes_text(self) -> bool:
        return bool(self.conditioning.text_encoder)

    @property
    def takes_label_map(self) -> bool:
        return bool(self.conditioning.mask_parts)

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

    # --- conditions -------------------------------------------------------------------------------------
    def text_encoder(self) -> TextEncoder:
        if self._text is None:
            spec = self.conditioning
            cache = text_cache_path(self.bundle.path) if self.bundle is not None else Path("")
            if not cache.is_file():  # caption sets of labelled data: the cache shipped with the package
                cache = builtin_cache(self.spec.data.dataset, spec.text_encoder, spec.text_max_length)
            self._text = encoder_or_cache(
                spec.text_encoder, spec.text_max_length, cache if cache.is_file() else None, self.device
            )
        return self._text

    def caption_index(self) -> CaptionIndex:
        """The training captions of a text model trained on a labelled dataset's caption set, embedded once."""
        if self._captions is None:
            dataset = (self.spec.extra.get("captions") or {}).get("dataset")
            if not self.takes_text or dataset is None:
                raise GenvisionError(
                    f"{self.name} was not trained on a caption set, so prompts cannot be grounded: "
                    "use grounding 0"
                )
            names = self.spec.data.class_names
            train = caption_set(dataset, "train", names)
            text = self.text_encoder()
            pooled = pooled_captions(train, text, genvision_home() / "cache")
            self._captions = CaptionIndex(train, pooled, set(caption_set(dataset, "held_out", names)), text)
        return self._captions

    def grounding_k(self, grounding: int | None) -> int:
        """The number of nearest captions a free-text prompt is grounded in (None: the bundle's default)."""
        k = self.spec.sampling.grounding if grounding is None else grounding
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise GenvisionError(f"grounding must be an integer >= 0 (0: off), got {k!r}")
        return k

    def ground_prompts(self, prompts: list[str], grounding: int | None = None) -> list[list[str]]:
        """The captions each prompt would be answered with (itself when it is a caption or grounding is 0)."""
        k = self.grounding_k(grounding)
        return self.caption_index().neighbours(list(prompts), k) if k else [[p] for p in prompts]

    def condition(
        self, label: int | str | None = None, prompt: str | None = None, label_map: torch.Tensor | None = None
    ) -> Condition:
        """One image's conditions, checked against what the model was trained with."""
        class_label = self.label_index(label)
        if prompt is not None and not self.takes_text:
            raise GenvisionError(f"{self.name} is not text-conditional: drop the prompt")
        if label_map is not None:
            if not self.takes_label_map:
                raise GenvisionError(
                    f"{self.name} takes no part label map: drop --label-map / --label-map-from"
                )
            if label_map.ndim != 2:
                raise GenvisionError(
                    f"a label map is [H, W] of part indices; got shape {list(label_map.shape)}"
                )
        return Condition(class_label, prompt, label_map)

    def branch_inputs(
        self, conditions: list[Condition]
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """The UNet keyword inputs of the conditional and of the null branch for a batch of conditions."""
        text = self.text_encoder() if any(c.prompt is not None for c in conditions) else None
        hw = tuple(self.latent_shape[1:])
        cond = unet_inputs(
            self.conditioning, conditions, unet=self.unet, text=text, latent_hw=hw, device=self.device
        ).kwargs()
        nulls = [Condition()] * len(conditions)
        null = unet_inputs(
            self.conditioning, nulls, unet=self.unet, text=None, latent_hw=hw, device=self.device
        ).kwargs()
        return cond, null

    def network(self, x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
        """The UNet's output in fp32 under this model's autocast (differentiable when grad is enabled)."""
        with autocast(x.device, self.autocast_dtype):
            return self.unet(x, t, **kwargs).float()

    def model_fn(self, conditions: list[Condition], guidance: float = 1.0) -> ModelFn:
        """model_fn(x_t, t) for the samplers: the UNet under this model's autocast, with classifier-free
        guidance when some condition is given and guidance ≠ 1 (both branches in one batched pass)."""
        cond, null = self.branch_inputs(conditions)
        scale = 1.0 if all(c.empty for c in conditions) else guidance

        def unet(x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return self.network(x, t, **kwargs)

        return classifier_free_guidance(unet, cond, null, scale)

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
        seed: int = 0,
        label: int | str | None = None,
        prompt: str | None = None,
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
        """n images under one condition (none: unconditional); image k uses the generator of (seed, start + k).

        `trajectory` > 0 also records decoded x_t at that many evenly spaced steps (x_T … x_0) for the first
        `trajectory_rows` images. `sampler_options`: the sampler's own (eta=0.5 for ddim, variance="large" for
        ddpm; genvision.diffusion.samplers.SAMPLERS lists them)."""
        one = self.condition(label, prompt, label_map)
        return self.generate(
            [one] * check_count(n),
            seed=seed,
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
        seed: int = 0,
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
        """One image per condition (the one batching loop); `decode=False` returns scaled latents.
        `grounding` k: free-text prompts take their k nearest training captions (None: the bundle's k)."""
        if not conditions:
            raise GenvisionError("nothing to sample: no conditions given")
        check_int("trajectory", trajectory), check_int("trajectory_rows", trajectory_rows, 1)
        check_int("start", start)
        k = self.grounding_k(grounding)
        grounded: dict[str, list[str]] = {}
        far: dict[str, float] = {}
        if k and any(c.prompt is not None for c in conditions):
            conditions, grounded, far = ground(conditions, self.caption_index(), k)
        run = self.settings(
            sampler,
            steps,
            spacing=spacing,
            guidance=guidance,
            conditioned=not all(c.empty for c in conditions),
            **sampler_options,
        )
        n = len(conditions)
        frames = evenly_spaced(trajectory, run.steps)
        rows = min(trajectory_rows, n) if trajectory else 0
        kept: list[list[torch.Tensor]] = []  # per batch with rows to keep: one tensor per frame
        outputs = []
        done = 0
        for lo, hi in batch_ranges(n, batch_size):
            rng = PerImageRNG(seed, range(start + lo, start + hi), self.device)
            x_T = rng.randn(*self.latent_shape)
            want = max(0, rows - lo)
            snaps: list[torch.Tensor] = []
            if want and 0 in frames:
                snaps.append(self.decode(x_T[:want]).cpu())

            def callback(
                i: int,
                t_prev: torch.Tensor,
                x: torch.Tensor,
                want: int = want,
                snaps: list = snaps,
                count: int = hi - lo,
            ) -> None:
                nonlocal done
                if want and i + 1 in frames:
                    snaps.append(self.decode(x[:want]).cpu())
                done += count
                if progress is not None:
                    progress(done, n * run.steps)

            z = run_sampler(
                run.sampler,
                self.model_fn(conditions[lo:hi], run.guidance),
                self.schedule,
                x_T,
                prediction=self.prediction,
                steps=run.steps,
                spacing=run.spacing,
                noise=rng,
                clip_x0=self.clip_x0,
                callback=callback,
                **run.options,
            )
            outputs.append((self.decode(z) if decode else z.float()).cpu())
            if snaps:
                kept.append(snaps)
        traj = torch.cat([torch.stack(s, dim=1) for s in kept])[:rows] if kept else None
        info = {**run.info(), "precision": _dtype_name(self.autocast_dtype)}
        if not all(c.empty for c in conditions):
            info["guidance"] = run.guidance
        info.update(grounding_info(k, grounded, far))
        if self.autoencoder is not None:
            info["latent"] = "x".join(map(str, self.latent_shape))
        return Generated(torch.cat(outputs), traj, info)

    # --- inpainting -------------------------------------------------------------------------------------
    @torch.no_grad()
    def inpaint(
        self,
        images: torch.Tensor,
        fill: torch.Tensor,
        *,
        seed: int = 0,
        sampler: str | None = None,
        steps: int | None = None,
        resample: Resampling | None = None,
        feather: float = 0.0,
        label: int | str | None = None,
        prompt: str | None = None,
        guidance: float | None = None,
        batch_size: int = 64,
        trajectory: int = 0,
        start: int = 0,
        progress: Progress | None = None,
        **sampler_options: Any,
    ) -> Inpainting:
        """Fill images [N, C, H, W] in [-1, 1] where `fill` is 1 (fill: [H, W], [N, H, W] or [N|1, 1, H, W]);
        image k uses the generators of (seed, start + k). Samplers: those with an inpainting step (ddpm, ddim;
        RePaint with `resample`); `sampler_options` as in `sample`."""
        images = self.check_images(images)
        check_number("feather (pixels)", feather, minimum=0.0)
        fill = prepare_fill(fill, images)
        one = self.condition(label, prompt)
        default = self.spec.sampling.sampler
        chosen = inpainting_row(sampler or (default if default in inpainting_samplers() else "ddim")).name
        run = self.settings(
            chosen, steps, spacing=None, guidance=guidance, conditioned=not one.empty, **sampler_options
        )
        total = len(repaint_levels(run.steps, resample)) - 1
        wanted = evenly_spaced(trajectory, total - 1)
        parts, snaps_all, done = [], [], 0
        for lo, hi in batch_ranges(len(images), batch_size):
            x, keep_fill = images[lo:hi], fill[lo:hi]
            indices = range(start + lo, start + hi)
            if not keep_fill.any():  # nothing to paint: the input is the answer
                parts.append(x.cpu())
                snaps_all.append([x.cpu()] * max(len(wanted), 1))
                continue
            z0 = self.encode(x if self.autoencoder is None else show_hole(x, keep_fill))
            keep = 1 - latent_fill(keep_fill, tuple(z0.shape[-2:]))
            snaps: list[torch.Tensor] = []

            def callback(visit: int, z: torch.Tensor, snaps: list = snaps, count: int = hi - lo) -> None:
                nonlocal done
                if visit in wanted:
                    snaps.append(self.decode(z).cpu())
                done += count
                if progress is not None:
                    progress(done, len(images) * total)

            z = inpaint_sample(
                self.model_fn([one] * (hi - lo), run.guidance),
                self.schedule,
                z0,
                keep,
                sampler=run.sampler,
                steps=run.steps,
                spacing=run.spacing,
                prediction=self.prediction,
                clip_x0=self.clip_x0,
                noise=PerImageRNG(seed, indices, self.device),
                known_noise=PerImageRNG(image_seed(seed, _KNOWN_STREAM), indices, self.device),
                resample=resample,
                callback=callback,
                **run.options,
            )
            decoded = self.decode(z).cpu()
            parts.append(decoded)
            snaps_all.append(snaps or [decoded])
        inpainted = torch.cat(parts)
        original, fill_cpu = images.cpu(), fill.cpu()
        trajectory_out = None
        if trajectory:
            frames = min(len(s) for s in snaps_all)
            trajectory_out = torch.cat([torch.stack(s[:frames]) for s in snaps_all], dim=1)
        info = run.info() | (
            {"resample": f"{resample.jump_length},{resample.jump_count}"} if resample else {}
        )
        return Inpainting(
            original,
            fill_cpu,
            masked=show_hole(original, fill_cpu),
            inpainted=inpainted,
            composite=composite(original, inpainted, fill_cpu, feather),
            trajectory=trajectory_out,
            info=info,
        )


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


def text_cache_path(folder: str | Path) -> Path:
    """Where an LDM bundle keeps the embeddings of its training prompts."""
    return Path(folder) / TEXT_CACHE_NAME
