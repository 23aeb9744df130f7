"""The "ddpm" family: a pixel-space denoising diffusion model (Ho et al. 2020).

    t ~ U{0, …, T-1},  ε ~ N(0, I),  x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε
    L = E w(t) ‖target − f_θ(x_t, t)‖²,   target = ε (L_simple), x_0 or v;  w = 1 or min-SNR-γ

With `model.class_conditional`, labels are replaced by the null class with probability `recipe.class_dropout`
so the model also learns the unconditional score (classifier-free guidance at sampling time).

The exported bundle (kind "ddpm") holds `unet/` (EMA weights, fp16 by default) and in its config: "schedule"
(every setting), "prediction", "clip_x0", "data", "sampling" defaults, a training summary ("train") and,
with `recipe.eval_n > 0`, the FID of DDIM-50 samples measured at export ("metrics").
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn

from genvision.conditioning.classes import draw_dropped
from genvision.conditioning.unet_inputs import ConditionValues, NullRows, build_unet_inputs
from genvision.diffusion.losses import diffusion_loss, sample_timesteps
from genvision.diffusion.samplers import SAMPLERS
from genvision.diffusion.schedules import NoiseSchedule, ScheduleConfig
from genvision.errors import ConfigError, GenvisionError
from genvision.generators import DiffusionModel
from genvision.metrics.evaluation import fid_during_training
from genvision.models.bundle import BundleParts
from genvision.models.bundle_config import ConditioningSpec, DataSpec, DiffusionConfig, SamplingDefaults
from genvision.models.unet import UNet
from genvision.nn.modes import evaluating
from genvision.seeding import draw_normal
from genvision.train.recipe import Recipe

log = logging.getLogger(__name__)


@dataclass
class DDPMModel:
    model_channels: int = 64
    channel_mult: tuple[int, ...] = (1, 2, 2)
    num_res_blocks: int = 2
    attention_resolutions: tuple[int, ...] = (7,)  # feature-map sizes (pixels) with self-attention
    head_dim: int = 32
    dropout: float = 0.1
    scale_shift: bool = True
    class_conditional: bool = False


@dataclass
class DiffusionObjective:
    """Noise schedule and training target, shared by every diffusion recipe (pixel and latent)."""

    schedule: Literal["linear", "scaled_linear", "cosine"] = "linear"
    num_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    cosine_s: float = 0.008
    prediction: Literal["eps", "x0", "v"] = "eps"
    min_snr_gamma: float | None = None  # e.g. 5.0 (Hang et al. 2023); None: uniform weights
    preview_sampler: str = (
        "ddim"  # a row of the sampler table: previews, export metrics, the bundle's default
    )
    preview_steps: int = 50

    def __post_init__(self) -> None:
        if self.preview_sampler not in SAMPLERS:
            raise ConfigError(
                f"recipe.preview_sampler: {self.preview_sampler!r} is not one of {', '.join(SAMPLERS)}"
            )

    def schedule_config(self) -> ScheduleConfig:
        return ScheduleConfig(
            self.schedule,
            self.num_timesteps,
            beta_start=self.beta_start,
            beta_end=self.beta_end,
            cosine_s=self.cosine_s,
        )


@dataclass
class DDPMRecipe(DiffusionObjective):
    class_dropout: float = 0.1  # class_conditional: probability of training on the null class
    clip_x0: float | None = 1.0  # samplers clamp x̂_0 to [-clip, clip] (images live in [-1, 1])
    export_dtype: Literal["fp16", "fp32"] = "fp16"
    eval_n: int = 0  # > 0: FID (classifier features where available) of this many DDIM-50 samples at export
    eval_batch: int = 1000


class DDPMTraining(Recipe):
    ema_modules = ("unet",)
    per_sample_draws = True  # t, ε and class dropout of sample i: (seed, step, global position of i)

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        r = cfg.recipe
        self.schedule_config = r.schedule_config()
        self.schedule = NoiseSchedule(self.schedule_config, device=device)
        if cfg.model.class_conditional and info.num_classes < 2:
            raise ConfigError(f"model.class_conditional needs labelled data; {info.dataset} has no classes")
        if not 1 <= r.preview_steps <= r.num_timesteps:
            raise ConfigError(
                f"recipe.preview_steps must lie in [1, {r.num_timesteps}], got {r.preview_steps}"
            )
        self.last_step, self.recent_losses = 0, []

    def build(self) -> dict[str, nn.Module]:
        m, (c, h, _) = self.cfg.model, self.info.shape
        unet = UNet(
            in_channels=c,
            image_size=h,
            model_channels=m.model_channels,
            channel_mult=m.channel_mult,
            num_res_blocks=m.num_res_blocks,
            attention_resolutions=m.attention_resolutions,
            head_dim=m.head_dim,
            dropout=m.dropout,
            scale_shift=m.scale_shift,
            num_classes=self.info.num_classes if m.class_conditional else None,
        )
        log.info("ddpm UNet: %.2fM parameters", sum(p.numel() for p in unet.parameters()) / 1e6)
        return {"unet": unet}

    def loss(self, phase, batch, nets, gen, step):
        x0, r = batch["image"], self.cfg.recipe
        b = x0.shape[0]
        t = sample_timesteps(self.schedule, b, gen, x0.device)
        noise = draw_normal(x0.shape, gen, x0.device)
        values, null = ConditionValues(), NullRows()
        if self.cfg.model.class_conditional:
            values.labels = batch["label"]
            null.labels = draw_dropped(b, r.class_dropout, gen, x0.device)
        hw = tuple(x0.shape[-2:])  # the null class where dropped, as at sampling (conditioning.unet_inputs)
        kwargs = build_unet_inputs(self.conditioning(), nets["unet"], values, null, b, hw, x0.device).kwargs()
        per_sample = diffusion_loss(
            lambda x, tt: nets["unet"](x, tt, **kwargs),
            self.schedule,
            x0=x0,
            t=t,
            noise=noise,
            prediction=r.prediction,
            min_snr_gamma=r.min_snr_gamma,
        )
        loss = per_sample.mean()
        self.last_step = step + 1
        self.recent_losses = (self.recent_losses + [loss.detach()])[-100:]
        return loss, {}

    # ---- previews and export ------------------------------------------------------------------------------
    def inference_model(self, unet: nn.Module) -> DiffusionModel:
        """The training UNet behind the public DiffusionModel (fp32), with this run's bundle config."""
        return DiffusionModel(self.bundle_config(), unet, self.schedule, precision="fp32")

    def conditioning(self) -> ConditioningSpec:
        return ConditioningSpec(num_classes=self.info.num_classes if self.cfg.model.class_conditional else 0)

    def bundle_config(self, metrics: dict[str, float] | None = None) -> DiffusionConfig:
        r = self.cfg.recipe
        spec = self.conditioning()
        return DiffusionConfig(
            kind="ddpm",
            components=["unet"],
            data=DataSpec.from_json(self.info.to_json()),
            schedule=self.schedule_config.to_dict(),
            prediction=r.prediction,
            clip_x0=r.clip_x0,
            sampling=SamplingDefaults(sampler=r.preview_sampler, steps=r.preview_steps),
            conditioning=spec,
            metrics=metrics or {},
        )

    @torch.no_grad()
    def samples(self, unet: nn.Module, n: int, seed: int, batch: int = 1000) -> torch.Tensor:
        """n unconditional (null-class) samples in [-1, 1] with the preview sampler; image k from (seed, k)."""
        with evaluating(unet):
            return self.inference_model(unet).sample(n, seed=seed, batch_size=batch).images.to(self.device)

    def preview(self, nets, n, seed):
        return self.samples(nets["unet"], n, seed)

    def _fid(self, unet: nn.Module) -> dict[str, float]:
        r = self.cfg.recipe
        try:
            images = self.samples(unet, r.eval_n, seed=12345, batch=r.eval_batch)
            fid = fid_during_training(images.float(), f"{self.info.dataset}:test", r.eval_n)
        except GenvisionError as exc:
            warnings.warn(f"skipping the export FID: {exc}", stacklevel=2)
            return {}
        return {f"fid_{r.preview_sampler}{r.preview_steps}_n{r.eval_n}": round(float(fid), 4)}

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        r, t = self.cfg.recipe, self.cfg.train
        unet = nets["unet"]
        losses = [float(v) for v in self.recent_losses]
        config = self.bundle_config(self._fid(unet) if r.eval_n > 0 else {})
        # the mean loss of this session's last steps; none when it ran none (a re-export of a finished run)
        config.training = {"final_loss": round(sum(losses) / len(losses), 5)} if losses else {}
        config.training |= {"parameters": sum(p.numel() for p in unet.parameters()), "precision": t.precision}
        return BundleParts(
            config,
            {"unet": unet.to(memory_format=torch.contiguous_format)},
            dtype=torch.float16 if r.export_dtype == "fp16" else None,
        )
