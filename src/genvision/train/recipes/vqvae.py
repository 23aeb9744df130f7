"""The "vqvae" family (van den Oord et al., 2017):

    loss = ‖x − D(z_q)‖² (or L1) + ‖sg[z_e] − e‖² + β ‖z_e − sg[e]‖²     (codebook term dropped with an EMA codebook)

The quantiser's statistics (EMA codebook, counts, dead-code restarts) change in the forward pass, so the networks
get no weight-EMA copy: the bundle holds the trained weights with their own codebook. Logged: reconstruction loss,
VQ loss, codebook perplexity and the fraction of codes used per batch. The bundle records test-set PSNR/SSIM,
codebook usage/perplexity over the test images and latent_scale (1 / std of the pre-quantisation latents).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.errors import ConfigError
from genvision.generators import Autoencoder
from genvision.losses.vq import vq_loss
from genvision.models.bundle import BundleParts
from genvision.models.bundle_config import AutoencodingConfig, DataSpec
from genvision.models.vqvae import VQVAE
from genvision.nn.modes import evaluating
from genvision.train.evaluation import autoencoding_metrics, export_images
from genvision.train.recipe import Recipe
from genvision.viz.reconstructions import paired_rows, save_reconstructions

PREVIEW_IMAGES = 32


@dataclass
class VQVAEModelConfig:
    downsample: int = 4  # f: 28x28 → 7x7 codes
    hidden: int = 128
    res_blocks: int = 2
    res_hidden: int = 32
    code_dim: int = 16
    num_codes: int = 256
    ema: bool = True  # EMA codebook updates instead of the codebook loss
    decay: float = 0.99
    dead_threshold: float = 1.0  # restart codes whose EMA count per batch falls below this (0: never)
    restart_every: int = 50


@dataclass
class VQVAERecipeConfig:
    beta: float = 0.25  # commitment weight
    rec_loss: Literal["mse", "l1"] = "mse"
    eval_split: str = "test"
    eval_n: int = 2000
    figures: bool = True


def reconstruction_loss(kind: str, x: torch.Tensor, recon: torch.Tensor) -> torch.Tensor:
    return (
        F.mse_loss(recon.float(), x.float()) if kind in ("mse", "l2") else F.l1_loss(recon.float(), x.float())
    )


class PreviewMixin:
    """Keeps the first training batch's images and previews their reconstructions (originals above)."""

    _preview_images: torch.Tensor | None = None

    def remember(self, x: torch.Tensor) -> None:
        if self._preview_images is None:
            self._preview_images = x[:PREVIEW_IMAGES].detach().clone()

    def reconstruction_preview(self, net: nn.Module, n: int) -> torch.Tensor | None:
        if self._preview_images is None:
            return None
        x = self._preview_images[: max(1, n // 2)]
        with evaluating(net):
            recon = Autoencoder.wrap(net, "vqvae", tuple(x.shape[1:])).reconstruct(x).images
        return paired_rows(x.float().cpu(), recon, per_row=min(8, len(x)))[0].to(x.device)


def autoencoding_bundle(kind: str, net: nn.Module, recipe: Recipe, folder: Path, extra: dict) -> BundleParts:
    """Measure on the eval split, then the bundle parts (latent_scale, latent_shape, data, metrics); with
    recipe.figures, also write reconstructions.png beside the bundle."""
    r = recipe.cfg.recipe
    net.eval()
    images, labels, ref = export_images(recipe.cfg.data, r.eval_split, r.eval_n)
    model = Autoencoder.wrap(net, kind, tuple(recipe.info.shape), class_names=recipe.info.class_names)
    metrics = autoencoding_metrics(model, images, quality=ref is not None)
    latent_scale = metrics.pop("latent_scale")
    config = AutoencodingConfig(
        kind=kind,
        data=DataSpec.from_json(recipe.info.to_json()),
        latent_shape=list(net.latent_shape),
        latent_scale=latent_scale,
        metrics=metrics,
        extra={"metrics_data": ref, **extra},
    )
    if r.figures:
        n = min(32, len(images))
        save_reconstructions(
            folder.parent / "figures" / "reconstructions.png",
            images[:n],
            model.reconstruct(images[:n]).images,
            per_row=16,
        )
    return BundleParts(config, {kind: net}, dtype=torch.float16)


class VQVAETraining(PreviewMixin, Recipe):
    ema_modules = ()  # see the module docstring

    def build(self) -> dict[str, nn.Module]:
        m, (c, size, _) = self.cfg.model, self.info.shape
        try:
            net = VQVAE(
                in_channels=c,
                image_size=size,
                downsample=m.downsample,
                hidden=m.hidden,
                res_blocks=m.res_blocks,
                res_hidden=m.res_hidden,
                code_dim=m.code_dim,
                num_codes=m.num_codes,
                ema=m.ema,
                decay=m.decay,
                dead_threshold=m.dead_threshold,
                restart_every=m.restart_every,
            )
        except ValueError as exc:
            raise ConfigError(f"model: {exc}") from exc
        return {"vqvae": net}

    def loss(self, phase, batch, nets, gen, step):
        r = self.cfg.recipe
        x = batch["image"]
        self.remember(x)
        out = nets["vqvae"](x, gen)
        rec_loss = reconstruction_loss(r.rec_loss, x, out.recon)
        vq = vq_loss(out.z_e, out.quantized.codes, r.beta, ema_codebook=self.cfg.model.ema)
        return rec_loss + vq, {
            "rec_loss": float(rec_loss.detach()),
            "vq_loss": float(vq.detach()),
            "perplexity": float(out.quantized.perplexity),
            "code_usage": float(out.quantized.usage),
        }

    def preview(self, nets, n, seed):
        return self.reconstruction_preview(nets["vqvae"], n)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        return autoencoding_bundle(
            "vqvae", nets["vqvae"], recipe=self, folder=folder, extra={"beta": self.cfg.recipe.beta}
        )
