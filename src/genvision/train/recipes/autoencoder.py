"""The "autoencoder" family: the first stage of latent diffusion, VQ or KL (Esser et al. 2021; Rombach et al. 2022).

Phase "autoencoder" (every step):
    L_rec = |x − x̂| or (x − x̂)²  (per pixel)  +  w_p · d_perceptual(x̂, x)
    L_G   = generator_loss(D(x̂))                                  (hinge: −mean D(x̂); or least squares)
    λ     = w_d · ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_G‖ + 1e-4)        (0 before disc_start; losses.adaptive_weight)
    loss  = L_rec + λ L_G + { VQ: L_codebook + β L_commitment  |  KL: w_kl · KL(q(z|x) ‖ N(0, I)) / D }
Phase "discriminator" (from `disc_start` on): discriminator_loss(D(x), D(x̂)) on fresh reconstructions
decode(encode(x)) made without gradients (KL: from the posterior mean; VQ: without touching quantiser statistics).

The KL weight is per pixel (KL summed over the latent, divided by the number of pixels D), i.e. the scale of the
LDM paper's 1e-6 with its summed reconstruction loss. The perceptual term is chosen in the config:
"classifier" (features of the project's `fashion-classifier`, for 28x28 grayscale), "lpips" (LPIPS-VGG, needs
its local weights) or "none". No weight EMA (as for the VQ-VAE; the quantiser has its own statistics).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn

from genvision.errors import ConfigError, GenvisionError
from genvision.losses.adaptive_weight import adaptive_generator_weight
from genvision.losses.adversarial import discriminator_loss, generator_loss
from genvision.losses.perceptual import build_perceptual_loss
from genvision.losses.vq import vq_loss
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import BundleParts
from genvision.models.patchgan import PatchGAN
from genvision.train.recipe import OptimGroup, Recipe
from genvision.train.recipes.vqvae import PreviewMixin, autoencoding_bundle, reconstruction_loss


@dataclass
class AutoencoderModelConfig:
    variant: Literal["vq", "kl"] = "vq"
    downsample: int = 4  # f; `channels` needs log2(f) + 1 entries
    channels: tuple[int, ...] = (64, 128, 128)
    num_res_blocks: int = 1
    latent_channels: int = 4
    mid_attention: bool = True
    num_codes: int = 256  # VQ only
    ema: bool = True
    decay: float = 0.99
    dead_threshold: float = 1.0
    restart_every: int = 50
    disc_channels: int = 64
    disc_layers: int = 2  # 2 for 28x28 (5x5 patch logits), 3 for 256x256
    disc_norm: Literal["group", "batch", "none"] = "group"


@dataclass
class AutoencoderRecipeConfig:
    rec_loss: Literal["l1", "l2"] = "l2"
    perceptual: Literal["none", "lpips", "classifier"] = "classifier"
    perceptual_weight: float = 1.0
    perceptual_classifier: str = "fashion-classifier"  # classifier bundle (folder or shipped name)
    lpips_net: str = "vgg"
    gan_loss: Literal["hinge", "least_squares"] = "hinge"
    disc_start: int = 1000  # steps of reconstruction-only training before the adversarial phase
    disc_weight: float = 0.5  # w_d
    adaptive_weight: bool = True  # False: λ = w_d
    max_adaptive_weight: float = 1.0e4
    lr_disc: float | None = None  # None: train.lr
    betas: tuple[float, float] = (0.5, 0.9)
    beta: float = 0.25  # VQ commitment weight
    kl_weight: float = 1.0e-6
    eval_split: str = "test"
    eval_n: int = 2000
    figures: bool = True


class AutoencoderTraining(PreviewMixin, Recipe):
    ema_modules = ()

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        self.perceptual = build_perceptual_loss(
            cfg.recipe.perceptual, device, cfg.recipe.perceptual_classifier, cfg.recipe.lpips_net
        )
        shape = getattr(self.perceptual, "image_shape", None)
        if shape is not None and list(shape) != list(info.shape):
            raise ConfigError(
                f"recipe.perceptual=classifier: {cfg.recipe.perceptual_classifier} takes images of "
                f"shape {list(shape)}, the data is {list(info.shape)}; use lpips or none"
            )

    def build(self) -> dict[str, nn.Module]:
        m, (c, size, _) = self.cfg.model, self.info.shape
        try:
            ae = AutoencoderNet(
                in_channels=c,
                image_size=size,
                variant=m.variant,
                downsample=m.downsample,
                channels=list(m.channels),
                num_res_blocks=m.num_res_blocks,
                latent_channels=m.latent_channels,
                mid_attention=m.mid_attention,
                num_codes=m.num_codes,
                ema=m.ema,
                decay=m.decay,
                dead_threshold=m.dead_threshold,
                restart_every=m.restart_every,
            )
            disc = PatchGAN(in_channels=c, channels=m.disc_channels, n_layers=m.disc_layers, norm=m.disc_norm)
        except ValueError as exc:
            raise ConfigError(f"model: {exc}") from exc
        return {"autoencoder": ae, "discriminator": disc}

    def optim_groups(self) -> dict[str, OptimGroup]:
        r = self.cfg.recipe
        return {
            "autoencoder": OptimGroup(["autoencoder"], betas=r.betas),
            "discriminator": OptimGroup(["discriminator"], lr=r.lr_disc, betas=r.betas, weight_decay=0.0),
        }

    def phases(self, step: int) -> list[str]:
        return ["autoencoder", "discriminator"] if step >= self.cfg.recipe.disc_start else ["autoencoder"]

    def loss(self, phase, batch, nets, gen, step):
        if phase == "autoencoder":
            return self._autoencoder_loss(batch["image"], nets, gen, step)
        if phase == "discriminator":
            return self._discriminator_loss(batch["image"], nets)
        raise GenvisionError(f"unknown autoencoder phase {phase!r}")

    def _autoencoder_loss(self, x, nets, gen, step):
        r, m = self.cfg.recipe, self.cfg.model
        self.remember(x)
        out = nets["autoencoder"](x, gen)
        rec_loss = reconstruction_loss(r.rec_loss, x, out.recon)
        values = {"rec_loss": float(rec_loss.detach())}
        nll = rec_loss
        if self.perceptual is not None and r.perceptual_weight > 0:
            p = self.perceptual(out.recon.float(), x.float()).mean()
            nll = nll + r.perceptual_weight * p
            values["perceptual"] = float(p.detach())
        loss = nll
        if step >= r.disc_start:
            g_loss = generator_loss(r.gan_loss, nets["discriminator"](out.recon))
            if r.adaptive_weight:
                weight = r.disc_weight * adaptive_generator_weight(
                    nll, g_loss, self.nets["autoencoder"].last_layer, r.max_adaptive_weight
                )
            else:
                weight = torch.tensor(r.disc_weight)
            loss = loss + weight * g_loss
            values.update({"g_loss": float(g_loss.detach()), "adaptive_weight": float(weight)})
        if m.variant == "vq":
            q = out.quantized
            vq = vq_loss(out.latent, q.codes, r.beta, ema_codebook=m.ema)
            loss = loss + vq
            values.update(
                {
                    "vq_loss": float(vq.detach()),
                    "perplexity": float(q.perplexity),
                    "code_usage": float(q.usage),
                }
            )
        else:
            kl = out.posterior.kl().mean()
            loss = loss + r.kl_weight * kl / x[0].numel()
            values["kl"] = float(kl.detach())
        return loss, values

    def _discriminator_loss(self, x, nets):
        ae = self.nets["autoencoder"]
        with (
            torch.no_grad()
        ):  # deterministic (posterior mean / snapped codes), quantiser statistics untouched
            recon = ae.decode(ae.encode(x))
        real, fake = nets["discriminator"](x), nets["discriminator"](recon.detach())
        loss = discriminator_loss(self.cfg.recipe.gan_loss, real, fake)
        return loss, {
            "D(x)": float(real.detach().float().mean()),
            "D(x_rec)": float(fake.detach().float().mean()),
        }

    def preview(self, nets, n, seed):
        return self.reconstruction_preview(nets["autoencoder"], n)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        m = self.cfg.model
        return autoencoding_bundle(
            "autoencoder",
            nets["autoencoder"],
            recipe=self,
            folder=folder,
            extra={
                "variant": m.variant,
                "downsample": m.downsample,
                "losses": {
                    "rec": self.cfg.recipe.rec_loss,
                    "perceptual": self.cfg.recipe.perceptual,
                    "gan": self.cfg.recipe.gan_loss,
                },
            },
        )
