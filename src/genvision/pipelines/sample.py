"""Sample images from a model bundle, whatever its kind.

    result = sample_bundle("fashion-ddpm", n=64, seed=0, options=SampleOptions(sampler="ddim", steps=50))
    result.images      # float [N, C, H, W] in [-1, 1] (CPU)
    result.uint8       # uint8 [N, H, W] or [N, H, W, C] (the --npy layout)
    result.trajectory  # [rows, frames, C, H, W]: x_t at evenly spaced steps, when asked for

The command dispatches on the bundle's `kind` through a registry: each family adds itself with
`register_sampler_kind(kind, fn)`, where `fn(bundle, n, seed, device, options) -> SampleResult`. This module
serves "ddpm"; modules listed in KIND_MODULES are imported on demand so they can register theirs (the
latent-diffusion and GAN pipelines). Conditions (`--class`, `--prompt`, `--guidance`, `--mask`, ...) travel
in `options.conditions` for the kinds that understand them.

Image k is drawn from the generator of (seed, k), so it is the same whatever n or the batch size.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from genvision.conditioning.classes import resolve_class
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.diffusion.samplers import check_sampler, sample
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import SPACINGS, check_steps
from genvision.errors import BundleError, GenvisionError
from genvision.models.bundle import Bundle, load_bundle
from genvision.runtime import autocast, autocast_dtype, resolve_device
from genvision.seeding import PerImageRNG

DEFAULT_STEPS = {"ddim": 50, "dpmpp": 20}  # ddpm: every training timestep (Algorithm 2)
KIND_MODULES = ("genvision.pipelines.ldm", "genvision.pipelines.gan", "genvision.pipelines.stylegan")


@dataclass
class SampleOptions:
    """How to sample; None means the model's default."""

    sampler: str | None = None  # ddpm | ddim | dpmpp
    steps: int | None = None
    eta: float | None = None  # ddim only
    spacing: str | None = None  # leading | trailing | linspace
    conditions: dict[str, Any] = field(default_factory=dict)  # e.g. {"class": "Sneaker", "guidance": 3.0}
    batch_size: int = 256
    trajectory_frames: int = 0  # > 0: record x_t at this many evenly spaced steps (x_T … x_0)
    trajectory_rows: int = 8  # for the first this many images
    precision: str = "auto"  # auto: bf16 on CUDA and on CPUs with AMX, else fp32
    progress: bool = False

    def diffusion_options(self) -> dict[str, Any]:
        """The options that only make sense for diffusion samplers, where given."""
        names = {"sampler": self.sampler, "steps": self.steps, "eta": self.eta, "spacing": self.spacing}
        return {k: v for k, v in names.items() if v is not None}


@dataclass
class SampleResult:
    images: torch.Tensor  # [N, C, H, W] in [-1, 1], CPU float
    trajectory: torch.Tensor | None = None  # [rows, frames, C, H, W]
    info: dict[str, Any] = field(default_factory=dict)  # what was run, e.g. {"sampler": "ddim", "steps": 50}

    @property
    def uint8(self) -> np.ndarray:
        from genvision.viz.images import npy_layout

        return npy_layout(self.images)


SampleFn = Callable[[Bundle, int, int, torch.device, SampleOptions], SampleResult]
_KINDS: dict[str, SampleFn] = {}


def register_sampler_kind(kind: str, fn: SampleFn) -> None:
    """Make `genvision sample` (and `genvision eval MODEL`) able to sample bundles of `kind`."""
    _KINDS[kind] = fn


def _sampler_for(kind: str) -> SampleFn | None:
    if kind not in _KINDS:
        for module in KIND_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
    return _KINDS.get(kind)


def reject_diffusion_options(bundle: Bundle, options: SampleOptions) -> None:
    """For kinds without a sampling chain (GANs): fail clearly if diffusion options were given."""
    given = options.diffusion_options()
    if given:
        flags = ", ".join(f"--{k}" for k in given)
        raise GenvisionError(f"{flags} apply to diffusion models; {bundle.path.name} is a {bundle.kind!r} bundle "
                             "that generates in one pass: drop these options")


def sample_bundle(model: str | Path | Bundle, n: int, seed: int = 0, device: str | torch.device = "auto",
                  options: SampleOptions | None = None) -> SampleResult:
    """n images from a bundle folder or shipped name, through the sample function of its kind."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise GenvisionError(f"the number of images must be a positive integer, got {n!r}")
    options = options or SampleOptions()
    if options.batch_size <= 0:
        raise GenvisionError(f"--batch-size must be positive, got {options.batch_size}")
    if options.sampler is not None:
        check_sampler(options.sampler)
    if options.steps is not None and (isinstance(options.steps, bool) or options.steps < 1):
        raise GenvisionError(f"steps must be an integer >= 1, got {options.steps!r}")
    if options.spacing is not None and options.spacing not in SPACINGS:
        raise GenvisionError(f"unknown timestep spacing {options.spacing!r}: choose one of {', '.join(SPACINGS)}")
    bundle = model if isinstance(model, Bundle) else load_bundle(model)
    fn = _sampler_for(bundle.kind)
    if fn is None:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise BundleError(f"{bundle.path} is a {bundle.kind!r} bundle, which cannot be sampled; "
                          f"sample supports: {known}")
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    return fn(bundle, n, seed, dev, options)


def generate(model: str | Path, n: int, seed: int = 0, device: str = "auto", sampler: str | None = None,
             steps: int | None = None, batch_size: int | None = None, class_: str | int | None = None,
             guidance: float | None = None, **conditions: Any) -> torch.Tensor:
    """n images [-1, 1] (for `genvision eval MODEL`); keyword names follow the CLI options."""
    if class_ is not None:
        conditions["class"] = class_
    if guidance is not None:
        conditions["guidance"] = guidance
    options = SampleOptions(sampler=sampler, steps=steps, batch_size=batch_size or 256,
                            conditions={k: v for k, v in conditions.items() if v is not None})
    return sample_bundle(model, n, seed, device, options).images


# --- pixel-space DDPM bundles ------------------------------------------------------------------------------
def cpu_has_amx() -> bool:
    """Whether this CPU has AMX tiles (bf16 matrix units), where bf16 autocast is several times faster."""
    try:
        return bool(torch._C._cpu._init_amx())
    except (AttributeError, RuntimeError):
        return False


def sampling_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the denoiser: 'auto' is bf16 on CUDA and on AMX CPUs, else fp32."""
    if precision == "auto" and device.type == "cpu":
        return torch.bfloat16 if cpu_has_amx() else None
    return autocast_dtype(precision, device)


@dataclass
class PixelDiffusion:
    """A denoiser, its schedule and what it predicts: everything needed to sample a "ddpm" bundle."""

    unet: nn.Module
    schedule: NoiseSchedule
    prediction: str
    shape: tuple[int, int, int]
    clip_x0: float | None = 1.0
    class_names: list[str] | None = None

    @property
    def num_classes(self) -> int:
        return int(getattr(self.unet, "num_classes", None) or 0)

    def model_fn(self, labels: torch.Tensor | None, guidance: float, dtype: torch.dtype | None):
        device = self.schedule.device

        def unet(x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
            with autocast(device, dtype):
                return self.unet(x, t, **kwargs).float()

        if labels is None:
            return unet
        null = torch.full_like(labels, self.num_classes)
        return classifier_free_guidance(unet, {"class_labels": labels}, {"class_labels": null}, guidance)

    def resolve_class(self, value: str | int | None) -> int | None:
        if value is None:
            return None
        if not self.num_classes:
            raise GenvisionError("--class needs a class-conditional model; this DDPM is unconditional")
        return resolve_class(value, self.class_names, self.num_classes)

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, options: SampleOptions | None = None, start: int = 0
               ) -> SampleResult:
        """Images start … start+n-1 of the run seeded with `seed`."""
        o = options or SampleOptions()
        conditions = dict(o.conditions)
        class_index = self.resolve_class(conditions.pop("class", None))
        guidance = float(conditions.pop("guidance", 1.0 if class_index is None else 3.0))
        unknown = [k for k, v in conditions.items() if v is not None]
        if unknown:
            raise GenvisionError(f"a pixel-space DDPM takes no {unknown[0]!r} condition")
        name = check_sampler(o.sampler or "ddim")
        T = self.schedule.num_timesteps
        steps = check_steps(o.steps if o.steps is not None else DEFAULT_STEPS.get(name, T), T)
        device, dtype = self.schedule.device, sampling_dtype(o.precision, self.schedule.device)
        frames = sorted({round(i * steps / max(1, o.trajectory_frames - 1)) for i in range(o.trajectory_frames)})
        rows = min(o.trajectory_rows, n) if o.trajectory_frames else 0
        kept: list[torch.Tensor] = []
        images = []
        bar = _progress(o.progress, n * steps)
        for lo in range(0, n, o.batch_size):
            count = min(o.batch_size, n - lo)
            rng = PerImageRNG(seed, range(start + lo, start + lo + count), device)
            x_T = rng.randn(*self.shape)
            labels = None if class_index is None else torch.full((count,), class_index, device=device)
            want = rows - lo if lo < rows else 0

            def callback(i: int, t_prev: torch.Tensor, x: torch.Tensor, want: int = want) -> None:
                if want and i + 1 in frames:
                    kept.append(x[:want].float().cpu())
                bar.update(count)

            if want and 0 in frames:
                kept.append(x_T[:want].float().cpu())
            x0 = sample(name, self.model_fn(labels, guidance, dtype), self.schedule, x_T, prediction=self.prediction,
                        steps=steps, spacing=o.spacing, eta=o.eta, noise=rng, clip_x0=self.clip_x0,
                        callback=callback)
            images.append(x0.float().clamp(-1, 1).cpu())
        bar.close()
        trajectory = None
        if rows:  # kept holds, per batch, one tensor per frame: regroup to [rows, frames, C, H, W]
            per_frame = len(frames)
            chunks = [torch.stack(kept[i: i + per_frame], dim=1) for i in range(0, len(kept), per_frame)]
            trajectory = torch.cat(chunks)[:rows].clamp(-1, 1)
        info = {"sampler": name, "steps": steps, "spacing": o.spacing or "trailing", "prediction": self.prediction,
                "precision": str(dtype).replace("torch.", "") if dtype else "float32"}
        if o.eta is not None:
            info["eta"] = o.eta
        if class_index is not None:
            info |= {"class": class_index, "guidance": guidance}
        return SampleResult(torch.cat(images), trajectory, info)


def _progress(enabled: bool, total: int):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, unit="img-step", dynamic_ncols=True, leave=False)


def load_pixel_diffusion(bundle: str | Path | Bundle, device: torch.device | str = "cpu") -> PixelDiffusion:
    """Open a "ddpm" bundle: its UNet (EMA weights, fp32), schedule and prediction type."""
    bundle = bundle if isinstance(bundle, Bundle) else load_bundle(bundle, kinds=("ddpm",))
    cfg = bundle.config
    for key in ("schedule", "data"):
        if key not in cfg:
            raise BundleError(f"ddpm bundle {bundle.path} has no {key!r} in its config.json")
    device = torch.device(device)
    schedule = NoiseSchedule.from_dict(cfg["schedule"], device=device)
    unet = bundle.component("unet", device)
    return PixelDiffusion(unet, schedule, cfg.get("prediction", "eps"), tuple(cfg["data"]["shape"]),
                          cfg.get("clip_x0", 1.0), cfg["data"].get("class_names"))


def sample_ddpm_bundle(bundle: Bundle, n: int, seed: int, device: torch.device, options: SampleOptions
                       ) -> SampleResult:
    return load_pixel_diffusion(bundle, device).sample(n, seed, options)


register_sampler_kind("ddpm", sample_ddpm_bundle)
