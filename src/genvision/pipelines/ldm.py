"""Latent diffusion at inference: conditions → UNet inputs, classifier-free guidance, sampling, decoding.

A `LatentDiffusion` holds a UNet, a schedule and (for "ldm" bundles) the frozen autoencoder; pixel-space
"ddpm" bundles load into the same class with no autoencoder, so sampling and inpainting treat both alike.

    z ~ sampler(ε̂_guided, z_T),   x = decode(z / latent_scale)
    ε̂_guided = ε̂(z_t, ∅) + s (ε̂(z_t, c) − ε̂(z_t, ∅))        (Ho & Salimans 2022; s = 1: no guidance)

Conditions (any combination): a class index, a prompt (frozen text encoder → cross-attention), a part
label map (one-hot at latent resolution, concatenated to the input). ∅ is every condition at its null value:
the UNet's null class, its learned null context, an all-zero mask.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from genvision.conditioning.classes import resolve_class
from genvision.conditioning.mask import encode_label_map
from genvision.conditioning.text import TextEmbedding, TextEncoder, encoder_or_cache
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.diffusion.samplers import sample as run_sampler
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import BundleError, GenvisionError
from genvision.models.bundle import Bundle, load_bundle
from genvision.runtime import autocast
from genvision.seeding import PerImageRNG

TEXT_CACHE_NAME = "text_cache.safetensors"


@dataclass
class ConditioningSpec:
    """Which conditions a model takes; stored as `conditioning` in an LDM bundle's config."""

    num_classes: int = 0
    text_encoder: str | None = None  # "minilm" / "clip"; None: no text
    text_max_length: int = 16
    text_dim: int = 0
    mask_parts: int = 0  # number of part channels; 0: no mask condition

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "ConditioningSpec":
        return cls(**(data or {}))


@dataclass
class Condition:
    """One request's conditions (all optional): class index, prompt, part label map [H, W]."""

    class_label: int | None = None
    prompt: str | None = None
    label_map: torch.Tensor | None = None

    @property
    def empty(self) -> bool:
        return self.class_label is None and self.prompt is None and self.label_map is None


@dataclass
class UNetInputs:
    """The conditioning keyword arguments of UNet.forward for a batch."""

    class_labels: torch.Tensor | None = None
    context: torch.Tensor | None = None
    context_mask: torch.Tensor | None = None
    extra: torch.Tensor | None = None

    def kwargs(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class LatentDiffusion:
    unet: nn.Module
    schedule: NoiseSchedule
    prediction: str = "eps"
    autoencoder: nn.Module | None = None  # None: pixel space
    latent_scale: float = 1.0
    latent_shape: tuple[int, int, int] = (1, 28, 28)
    image_shape: tuple[int, int, int] = (1, 28, 28)
    conditioning: ConditioningSpec = field(default_factory=ConditioningSpec)
    class_names: list[str] | None = None
    decode_quantize: bool = True
    clip_x0: float | None = None
    text_cache: Path | None = None
    text: TextEncoder | None = None
    autocast_dtype: torch.dtype | None = None  # e.g. bf16 on GPU for the UNet passes

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    # --- latent space ------------------------------------------------------------------------------------
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
            return latents.clamp(-1, 1)
        z = latents / self.latent_scale
        out = self.autoencoder.decode(z, quantize=self.decode_quantize) if self._vq else self.autoencoder.decode(z)
        return out.float().clamp(-1, 1)

    @property
    def _vq(self) -> bool:
        return getattr(self.autoencoder, "quantizer", None) is not None

    # --- conditions --------------------------------------------------------------------------------------
    def text_encoder(self) -> TextEncoder:
        if self.text is None:
            spec = self.conditioning
            self.text = encoder_or_cache(spec.text_encoder, spec.text_max_length, self.text_cache, self.device)
        return self.text

    def condition(self, class_label: int | str | None = None, prompt: str | None = None,
                  label_map: torch.Tensor | None = None) -> Condition:
        """Validate a request against what the model was trained with."""
        spec = self.conditioning
        if class_label is not None:
            if not spec.num_classes:
                raise GenvisionError("this model is not class-conditional; drop --class")
            class_label = resolve_class(class_label, self.class_names, spec.num_classes)
        if prompt is not None and not spec.text_encoder:
            raise GenvisionError("this model is not text-conditional; drop --prompt")
        if label_map is not None and not spec.mask_parts:
            raise GenvisionError("this model takes no mask condition; drop --mask / --mask-from")
        return Condition(class_label, prompt, label_map)

    def unet_inputs(self, conditions: list[Condition]) -> UNetInputs:
        """UNet keyword inputs for a batch of conditions; missing conditions take their null values."""
        spec, device, n = self.conditioning, self.device, len(conditions)
        inputs = UNetInputs()
        if spec.num_classes:
            labels = [spec.num_classes if c.class_label is None else c.class_label for c in conditions]
            inputs.class_labels = torch.tensor(labels, dtype=torch.int64, device=device)
        if spec.text_encoder:
            prompts = [c.prompt for c in conditions]
            null = self.unet.null_context_like(1, spec.text_max_length)[0].detach()
            context = null.expand(n, -1, -1).clone()
            context_mask = torch.ones(n, spec.text_max_length, dtype=torch.bool, device=device)
            given = [i for i, p in enumerate(prompts) if p is not None]
            if given:
                emb: TextEmbedding = self.text_encoder().encode([prompts[i] for i in given]).to(device)
                context[given] = emb.tokens.to(context.dtype)
                context_mask[given] = emb.attention_mask
            inputs.context, inputs.context_mask = context, context_mask
        if spec.mask_parts:
            extra = torch.zeros(n, spec.mask_parts, *self.latent_shape[1:], device=device)
            for i, c in enumerate(conditions):
                if c.label_map is not None:
                    extra[i] = encode_label_map(c.label_map[None].to(device), spec.mask_parts,
                                                tuple(self.latent_shape[1:]))[0]
            inputs.extra = extra
        return inputs

    def model_fn(self, conditions: list[Condition], guidance: float = 1.0):
        """model_fn(x_t, t) for the samplers; with guidance ≠ 1 and some condition, one batched forward pass
        evaluates the conditional and the null branch (genvision.diffusion.guidance)."""
        cond = self.unet_inputs(conditions).kwargs()
        null = self.unet_inputs([Condition() for _ in conditions]).kwargs()
        scale = 1.0 if all(c.empty for c in conditions) else guidance

        @torch.no_grad()
        def unet(x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
            with autocast(x.device, self.autocast_dtype):
                return self.unet(x, t, **kwargs).float()

        return classifier_free_guidance(unet, cond, null, scale)

    # --- sampling ----------------------------------------------------------------------------------------
    def initial_noise(self, n: int, seed: int = 0, start_index: int = 0) -> torch.Tensor:
        """x_T of images start_index … start_index+n-1 of a run seeded with `seed`."""
        return PerImageRNG(seed, range(start_index, start_index + n), self.device).randn(*self.latent_shape)

    @torch.no_grad()
    def sample(self, conditions: list[Condition], *, guidance: float = 1.0, sampler: str = "ddim",
               steps: int = 50, seed: int = 0, start_index: int = 0, batch_size: int = 256,
               return_latents: bool = False, **options: Any) -> torch.Tensor:
        """One image per condition; image k uses the generator of (seed, start_index + k)."""
        outputs = []
        for lo in range(0, len(conditions), batch_size):
            chunk = conditions[lo: lo + batch_size]
            rng = PerImageRNG(seed, range(start_index + lo, start_index + lo + len(chunk)), self.device)
            x_T = rng.randn(*self.latent_shape)  # = initial_noise(len(chunk), seed, start_index + lo)
            z = run_sampler(sampler, self.model_fn(chunk, guidance), self.schedule, x_T,
                            prediction=self.prediction, steps=steps, noise=rng, clip_x0=self.clip_x0, **options)
            outputs.append(z if return_latents else self.decode(z))
        return torch.cat(outputs)


def _component_module(bundle: Bundle, device: torch.device | str) -> nn.Module:
    names = bundle.config.get("components") or []
    if not names:
        raise BundleError(f"autoencoder bundle {bundle.path} lists no components")
    return bundle.component(names[0], device)


def load_diffusion(ref: str | Path | Bundle, device: torch.device | str = "cpu",
                   precision: str = "fp32") -> LatentDiffusion:
    """Open an "ldm" or a pixel-space "ddpm" bundle as a LatentDiffusion; `precision` "auto" runs the UNet
    in bf16 on CUDA and AMX CPUs (as `genvision sample` does)."""
    model = _load_diffusion(ref, device)
    if precision != "fp32":
        from genvision.pipelines.sample import sampling_dtype

        model.autocast_dtype = sampling_dtype(precision, torch.device(device))
    return model


def _load_diffusion(ref: str | Path | Bundle, device: torch.device | str) -> LatentDiffusion:
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref, kinds=("ldm", "ddpm"))
    cfg = bundle.config
    if bundle.kind == "ddpm":
        from genvision.pipelines.sample import load_pixel_diffusion

        pixel = load_pixel_diffusion(bundle, device)
        return LatentDiffusion(pixel.unet, pixel.schedule, pixel.prediction, None, 1.0, pixel.shape, pixel.shape,
                               ConditioningSpec(num_classes=pixel.num_classes), pixel.class_names,
                               clip_x0=pixel.clip_x0)
    schedule = NoiseSchedule.from_dict(cfg["schedule"], device=device)
    data = cfg.get("data", {})
    image_shape = tuple(data.get("shape", [1, 28, 28]))
    unet = bundle.component("unet", device)
    ae_bundle = bundle.sub_bundle("autoencoder")
    autoencoder = _component_module(ae_bundle, device)
    spec = ConditioningSpec.from_json(cfg.get("conditioning"))
    cache = bundle.path / TEXT_CACHE_NAME
    if not cache.is_file() and spec.text_encoder:  # caption sets of labelled data: the shipped cache
        from genvision.conditioning.captions import builtin_cache

        cache = builtin_cache(data.get("dataset", ""), spec.text_encoder, spec.text_max_length)
    return LatentDiffusion(
        unet, schedule, cfg.get("prediction", "eps"), autoencoder, float(cfg["latent_scale"]),
        tuple(cfg["latent_shape"]), image_shape, spec,
        data.get("class_names"), bool(cfg.get("decode_quantize", True)), cfg.get("clip_x0"),
        cache if cache.is_file() else None)


@torch.no_grad()
def conditional_accuracy(model: LatentDiffusion, classifier: nn.Module, dataset: str, n: int = 1000,
                         guidance: float = 3.0, steps: int = 50, captions=None, seed: int = 0,
                         batch_size: int = 500) -> dict[str, float]:
    """How often a classifier assigns guided samples to the requested class: n samples per condition type
    (class k % C for sample k), for class labels and for prompts from training and held-out templates."""
    import time

    from genvision.data.captions import random_captions

    num_classes = model.conditioning.num_classes or (captions.num_classes if captions is not None else 0)
    if not num_classes:
        raise GenvisionError("conditional accuracy needs a class- or caption-conditional model")
    labels = torch.arange(n) % num_classes
    requests: dict[str, list[Condition]] = {}
    if model.conditioning.num_classes:
        requests["class_accuracy"] = [Condition(class_label=int(k)) for k in labels]
    if model.conditioning.text_encoder and captions is not None:
        for split in ("train", "held_out"):
            prompts = random_captions(dataset, labels, split, seed, model.class_names)
            requests[f"text_accuracy_{split}_templates"] = [Condition(prompt=p) for p in prompts]
    results: dict[str, float] = {}
    for name, conditions in requests.items():
        start = time.perf_counter()
        images = model.sample(conditions, guidance=guidance, steps=steps, seed=seed, batch_size=batch_size)
        if name == "class_accuracy":
            if images.is_cuda:
                torch.cuda.synchronize()
            results["images_per_second"] = n / (time.perf_counter() - start)
        predicted = torch.cat([classifier(images[i: i + batch_size]).argmax(1).cpu()
                               for i in range(0, n, batch_size)])
        results[name] = float((predicted == labels).float().mean())
    return results


def load_label_map(path: str | Path, size: tuple[int, int]) -> torch.Tensor:
    """A part label map PNG (pixel value = CelebAMask-HQ label 0-18, as the merged maps the data layer
    caches), resized with nearest neighbours to `size` (H, W) → int64 [H, W]."""
    import numpy as np
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"label map {path} does not exist")
    with Image.open(path) as img:
        if img.mode not in ("L", "P", "I", "I;16"):
            raise GenvisionError(f"{path} is a {img.mode} image; a label map is single-channel with part indices "
                                 "as values (0 = background, 13 = hair, ...)")
        labels = img.convert("L").resize((size[1], size[0]), Image.NEAREST)
        return torch.from_numpy(np.asarray(labels).astype(np.int64))


def label_map_from_data(ref: str, size: tuple[int, int], data_dir: str | None = None) -> torch.Tensor:
    """The part label map of one dataset item, e.g. celebamask-hq:test:17 → int64 [H, W]."""
    from genvision.data import load_dataset

    ds = load_dataset(ref, split="test", data_dir=data_dir, image_size=size[0], with_masks=True)
    if len(ds) != 1:
        raise GenvisionError(f"--mask-from takes one item (e.g. celebamask-hq:test:17), {ref!r} selects {len(ds)}")
    item = ds[0]
    if "mask" not in item:
        raise GenvisionError(f"{ref} has no part label maps; use celebamask-hq")
    return item["mask"].long()


def conditions_from_request(model: LatentDiffusion, request: dict[str, Any], n: int) -> list[Condition]:
    """`n` copies of the condition a `genvision sample` request names: keys "class" (name or index),
    "prompt", "mask" (label-map PNG) or "mask_from" (data reference), "data_dir"; missing keys = null."""
    size = tuple(model.image_shape[1:])
    label_map = None
    if request.get("mask") is not None and request.get("mask_from") is not None:
        raise GenvisionError("give --mask FILE.png or --mask-from DATA, not both")
    if request.get("mask") is not None:
        label_map = load_label_map(request["mask"], size)
    elif request.get("mask_from") is not None:
        label_map = label_map_from_data(request["mask_from"], size, request.get("data_dir"))
    one = model.condition(class_label=request.get("class"), prompt=request.get("prompt"), label_map=label_map)
    return [one] * n


def sample_ldm_bundle(bundle: Bundle, n: int, seed: int, device: torch.device, options) -> "SampleResult":
    """`genvision sample` / `genvision eval MODEL` for "ldm" bundles (registered with pipelines.sample).

    options.conditions: "class", "prompt", "mask" (label-map PNG), "mask_from" (data ref), "data_dir",
    "guidance" (default: the bundle's sampling guidance when a condition is given, else 1)."""
    from genvision.diffusion.samplers import check_sampler
    from genvision.pipelines.sample import DEFAULT_STEPS, SampleResult

    model = load_diffusion(bundle, device, options.precision)
    defaults = bundle.config.get("sampling", {})
    request = {k: v for k, v in options.conditions.items() if v is not None}
    guidance = request.pop("guidance", None)
    unknown = sorted(set(request) - {"class", "prompt", "mask", "mask_from", "data_dir"})
    if unknown:
        raise GenvisionError(f"latent diffusion takes no {unknown[0]!r} condition")
    conditions = conditions_from_request(model, request, n)
    if guidance is None:
        guidance = 1.0 if conditions[0].empty else float(defaults.get("guidance", 3.0))
    sampler = check_sampler(options.sampler or defaults.get("sampler", "ddim"))
    T = model.schedule.num_timesteps
    steps = options.steps or (T if sampler == "ddpm" else DEFAULT_STEPS.get(sampler, 50))
    extra = {k: v for k, v in (("eta", options.eta), ("spacing", options.spacing)) if v is not None}
    images = model.sample(conditions, guidance=guidance, sampler=sampler, steps=steps, seed=seed,
                          batch_size=options.batch_size, **extra).float().cpu()
    trajectory = None
    if options.trajectory_frames:  # the first rows again, recording decoded x_t (image k is batch-independent)
        rows = min(options.trajectory_rows, n)
        frames = {round(i * steps / max(1, options.trajectory_frames - 1)) for i in range(options.trajectory_frames)}
        kept: list[torch.Tensor] = []

        def callback(i: int, t_prev: torch.Tensor, x: torch.Tensor) -> None:
            if i + 1 in frames:
                kept.append(model.decode(x).float().cpu())

        if 0 in frames:
            kept.append(model.decode(model.initial_noise(rows, seed)).float().cpu())
        model.sample(conditions[:rows], guidance=guidance, sampler=sampler, steps=steps, seed=seed,
                     batch_size=rows, return_latents=True, callback=callback, **extra)
        trajectory = torch.stack(kept, dim=1)
    info = {"sampler": sampler, "steps": steps, "latent": "x".join(map(str, model.latent_shape))}
    if not conditions[0].empty:
        info["guidance"] = guidance
    return SampleResult(images, trajectory, info)


def _register() -> None:
    from genvision.pipelines.sample import register_sampler_kind

    register_sampler_kind("ldm", sample_ldm_bundle)


_register()
