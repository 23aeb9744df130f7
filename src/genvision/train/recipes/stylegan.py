"""The "stylegan" family: a StyleGAN2 generator trained through the shared Trainer, then its in-domain encoder.

Stage 1 (steps < recipe.gan_steps), phases "discriminator", "generator" (Karras et al. 2020):
    L_D = softplus(D(G(z))) + softplus(−D(x))  [+ every k_R1 steps: k_R1 · γ/2 · ‖∇_x D(x)‖²   (lazy R1)]
    L_G = softplus(−D(G(z)))                   [+ every k_pl steps: k_pl · λ_pl (‖J_wᵀ y‖ − a)²  (path length)]
  with style mixing (two z, a random crossover layer) with probability p_mix, and the generator's own EMA
  G_ema ← β G_ema + (1 − β) G, β = 0.5^(batch / half-life-in-images) (ramped up early, as in StyleGAN2).
  y ~ N(0, I)/sqrt(HW); a is the running mean of the path lengths.
  model.conditional: G(z, y) and a projection D(x, y) (StyleGAN2-ADA); fakes take the classes of the real batch.
Stage 2 (steps ≥ gan_steps), phases "encoder_discriminator", "encoder" (In-Domain GAN Inversion): the encoder
  E: x → W+ learns to reconstruct real images through the frozen G_ema (see genvision.inversion.encoder); its
  discriminator starts as a copy of the stage-1 D.
`recipe.init_from` starts from a trained "stylegan" bundle (e.g. gan_steps: 0 trains only the encoder).
The bundle (kind "stylegan") holds generator (G_ema), discriminator (optional) and encoder (when trained).
"""

from __future__ import annotations

import copy
import logging
import math
from pathlib import Path

import torch
import torch.nn as nn

from genvision.data import load_images_from_ref
from genvision.errors import ConfigError, GenvisionError
from genvision.generators import StyleGAN
from genvision.inversion.encoder import EncoderLossWeights, encoder_discriminator_loss, encoder_loss
from genvision.inversion.perceptual import build_perceptual
from genvision.losses.adversarial import discriminator_loss, generator_loss, r1_penalty
from genvision.metrics.image_quality import psnr, ssim
from genvision.models.bundle import BundleParts, load_bundle
from genvision.models.bundle_config import DataSpec, StyleGANConfig
from genvision.models.stylegan import StyleEncoder, StyleGANDiscriminator, StyleGANGenerator, level_sizes
from genvision.train.recipe import OptimGroup, Recipe, square_size
from genvision.train.recipes.stylegan_config import StyleGANModelConfig, StyleGANRecipeConfig

log = logging.getLogger(__name__)
__all__ = ["StyleGANModelConfig", "StyleGANRecipeConfig", "StyleGANTraining"]


GAN_PHASES = ["discriminator", "generator"]
ENCODER_PHASES = ["encoder_discriminator", "encoder"]


class StyleGANTraining(Recipe):
    ema_modules = ("encoder",)  # the generator keeps its own EMA (`generator_ema`) with StyleGAN's half-life

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        square_size(info, "StyleGAN", level_sizes)
        r = cfg.recipe
        self.gan_steps = cfg.train.steps if r.gan_steps is None else r.gan_steps
        if not 0 <= self.gan_steps <= cfg.train.steps:
            raise ConfigError(
                f"recipe.gan_steps must lie in [0, train.steps={cfg.train.steps}], got {r.gan_steps}"
            )
        if self.gan_steps == 0 and not r.init_from:
            raise ConfigError(
                "recipe.gan_steps: 0 trains only the encoder; set recipe.init_from to a stylegan bundle"
            )
        if cfg.model.conditional and info.num_classes < 2:
            raise ConfigError(
                f"model.conditional needs labelled data; {info.dataset} has no classes (set it to false)"
            )
        self.num_classes = info.num_classes if cfg.model.conditional else 0  # 0: unconditional
        self.trains_encoder = self.gan_steps < cfg.train.steps
        self.ema_modules = ("encoder",) if self.trains_encoder else ()
        self.pl_mean = 0.0
        self._init_config: dict = {}  # config.json of recipe.init_from, read once in build()
        self._perceptual: nn.Module | None = None
        self._perceptual_ready = False

    def state_dict(self) -> dict[str, float]:
        return {"pl_mean": self.pl_mean}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.pl_mean = float(state.get("pl_mean", 0.0))

    # ---- networks and optimizers --------------------------------------------------------------------------
    def build(self) -> dict[str, nn.Module]:
        m, (c, size, _) = self.cfg.model, self.info.shape
        chans = dict(channel_base=m.channel_base, channel_max=m.channel_max)
        g = StyleGANGenerator(
            resolution=size,
            channels=c,
            z_dim=m.z_dim,
            w_dim=m.w_dim,
            mapping_layers=m.mapping_layers,
            mapping_lr_mul=m.mapping_lr_mul,
            num_classes=self.num_classes,
            **chans,
        )
        d = StyleGANDiscriminator(
            resolution=size, channels=c, mbstd_group=m.mbstd_group, num_classes=self.num_classes, **chans
        )
        if self.cfg.recipe.init_from:
            self._load_pretrained(g, d)
        nets = {
            "generator": g,
            "discriminator": d,
            "generator_ema": copy.deepcopy(g).eval().requires_grad_(False),
        }
        if self.trains_encoder:
            nets["encoder"] = StyleEncoder(
                resolution=size, channels=c, num_ws=g.num_ws, w_dim=m.w_dim, hidden=m.encoder_hidden, **chans
            )
            nets["encoder_discriminator"] = StyleGANDiscriminator(
                resolution=size, channels=c, mbstd_group=m.mbstd_group, num_classes=self.num_classes, **chans
            )
            if self.gan_steps == 0:
                self._start_encoder_stage(nets)
        return nets

    def _load_pretrained(self, g: nn.Module, d: nn.Module) -> None:
        bundle = load_bundle(self.cfg.recipe.init_from, kinds=("stylegan",))
        self._init_config = bundle.config
        source = bundle.component("generator")
        if int(getattr(source, "num_classes", 0) or 0) != self.num_classes:
            conditional = bool(getattr(source, "num_classes", 0))
            raise ConfigError(
                f"{self.cfg.recipe.init_from} has a {'class-conditional' if conditional else 'unconditional'} "
                f"generator: set model.conditional={str(conditional).lower()}"
            )
        g.load_state_dict(source.state_dict())
        if "discriminator" in bundle.config.get("components", []):
            d.load_state_dict(bundle.component("discriminator").state_dict())
        elif self.gan_steps > 0 or self.cfg.recipe.perceptual == "discriminator":
            raise ConfigError(
                f"{self.cfg.recipe.init_from} ships no discriminator; GAN training and the "
                "'discriminator' perceptual loss need one"
            )

    @torch.no_grad()
    def _start_encoder_stage(self, nets: dict[str, nn.Module]) -> None:
        """E starts around G_ema's w̄; E's discriminator starts as the stage-1 discriminator."""
        nets["encoder"].w_avg.copy_(nets["generator_ema"].w_avg)
        nets["encoder_discriminator"].load_state_dict(nets["discriminator"].state_dict())

    def optim_groups(self) -> dict[str, OptimGroup]:
        r = self.cfg.recipe
        groups = {
            "discriminator": OptimGroup(["discriminator"], lr=r.lr_d, betas=r.betas, weight_decay=0.0),
            "generator": OptimGroup(["generator"], lr=r.lr_g, betas=r.betas, weight_decay=0.0),
        }
        if self.trains_encoder:
            groups["encoder_discriminator"] = OptimGroup(
                ["encoder_discriminator"], lr=r.lr_ed, betas=r.betas, weight_decay=0.0
            )
            groups["encoder"] = OptimGroup(["encoder"], lr=r.lr_e, betas=(0.9, 0.99), weight_decay=0.0)
        return groups

    def phases(self, step: int) -> list[str]:
        return GAN_PHASES if step < self.gan_steps else ENCODER_PHASES

    # ---- losses -------------------------------------------------------------------------------------------
    def _latents(self, n: int, gen: torch.Generator, device: torch.device):
        """z, and for style mixing a second z and a crossover layer per sample (num_ws = no mixing)."""
        g = self.nets["generator"]
        z = torch.randn(n, g.z_dim, generator=gen, device=gen.device).to(device)
        if self.cfg.recipe.style_mixing <= 0:
            return z, None, None
        z2 = torch.randn(n, g.z_dim, generator=gen, device=gen.device).to(device)
        crossover = torch.randint(1, g.num_ws, (n,), generator=gen, device=gen.device).to(device)
        mixing = torch.rand(n, generator=gen, device=gen.device).to(device) < self.cfg.recipe.style_mixing
        return z, z2, torch.where(mixing, crossover, torch.full_like(crossover, g.num_ws))

    def loss(self, phase, batch, nets, gen, step):
        real = batch["image"]
        labels = batch["label"].to(real.device) if self.num_classes else None
        if phase == "discriminator":
            return self._discriminator_loss(real, labels, nets, gen, step)
        if phase == "generator":
            return self._generator_loss(real.shape[0], real.device, labels, nets=nets, gen=gen, step=step)
        if phase == "encoder_discriminator":
            return encoder_discriminator_loss(
                nets["encoder_discriminator"],
                nets["encoder"],
                generator=self.nets["generator_ema"],
                images=real,
                r1_gamma=self.cfg.recipe.enc_r1_gamma,
                labels=labels,
            )
        if phase == "encoder":
            r = self.cfg.recipe
            weights = EncoderLossWeights(r.enc_pixel, r.enc_perceptual, r.enc_adversarial, r.enc_latent)
            sampled = None
            if r.enc_latent > 0:
                z = torch.randn(real.shape[0], self.cfg.model.z_dim, generator=gen, device=gen.device)
                with torch.no_grad():
                    sampled = self.nets["generator_ema"].map(
                        z.to(real.device), track_w_avg=False, labels=labels
                    )
            return encoder_loss(
                nets["encoder"],
                self.nets["generator_ema"],
                images=real,
                weights=weights,
                perceptual=self.perceptual(),
                discriminator=nets["encoder_discriminator"],
                sampled_ws=sampled,
                labels=labels,
            )
        raise GenvisionError(f"unknown StyleGAN phase {phase!r}")

    def _discriminator_loss(self, real, labels, nets, gen, step):
        r = self.cfg.recipe
        z, z2, crossover = self._latents(real.shape[0], gen, real.device)
        with torch.no_grad():
            fake = nets["generator"](z, mix_z=z2, mix_crossover=crossover, labels=labels)
        lazy_r1 = r.r1_gamma > 0 and step % r.r1_interval == 0
        real = real.detach().requires_grad_(lazy_r1)
        real_logits = nets["discriminator"](real, labels)
        fake_logits = nets["discriminator"](fake, labels)
        loss = discriminator_loss("non_saturating", real_logits, fake_logits)
        values = {
            "D(x)": float(torch.sigmoid(real_logits.detach().float()).mean()),
            "D(G(z))": float(torch.sigmoid(fake_logits.detach().float()).mean()),
        }
        if lazy_r1:
            penalty = r1_penalty(real_logits, real)
            loss = loss + r.r1_interval * 0.5 * r.r1_gamma * penalty
            values["discriminator/r1"] = float(penalty.detach())
        return loss, values

    def _generator_loss(self, n, device, labels, nets, gen, step):
        r = self.cfg.recipe
        z, z2, crossover = self._latents(n, gen, device)
        fake, ws = nets["generator"](z, mix_z=z2, mix_crossover=crossover, return_ws=True, labels=labels)
        loss = generator_loss("non_saturating", nets["discriminator"](fake, labels))
        values: dict[str, float] = {}
        if r.pl_weight > 0 and step % r.pl_interval == 0:
            k = max(1, n // r.pl_batch_shrink)
            penalty, lengths = self._path_length_penalty(fake[:k], ws, gen)
            loss = loss + r.pl_interval * r.pl_weight * penalty
            values.update(
                {"generator/pl_penalty": float(penalty.detach()), "generator/pl_mean": self.pl_mean}
            )
        return loss, values

    def _path_length_penalty(self, fake: torch.Tensor, ws: torch.Tensor, gen: torch.Generator):
        """(‖J_wᵀ y‖ − a)², y ~ N(0, I)/sqrt(HW), on the first len(fake) samples; a ← lerp(a, mean length, decay)."""
        h, w = fake.shape[2:]
        y = torch.randn(fake.shape, generator=gen, device=gen.device).to(fake) / math.sqrt(h * w)
        (grad,) = torch.autograd.grad((fake * y).sum(), ws, create_graph=True)
        lengths = grad[: fake.shape[0]].float().pow(2).sum(dim=2).mean(dim=1).sqrt()
        batch_mean = lengths.detach().mean()
        if (
            torch.distributed.is_available() and torch.distributed.is_initialized()
        ):  # one running mean on all ranks
            torch.distributed.all_reduce(batch_mean)
            batch_mean /= torch.distributed.get_world_size()
        self.pl_mean += self.cfg.recipe.pl_decay * (float(batch_mean) - self.pl_mean)
        return (lengths - self.pl_mean).pow(2).mean(), lengths

    def perceptual(self) -> nn.Module | None:
        """The encoder's perceptual distance, built once (a frozen copy of the stage-1 D for "discriminator")."""
        if not self._perceptual_ready:
            self._perceptual = build_perceptual(
                self.cfg.recipe.perceptual,
                self.device,
                discriminator=lambda: copy.deepcopy(self.nets["discriminator"]),
            )
            self._perceptual_ready = True
        return self._perceptual

    # ---- bookkeeping --------------------------------------------------------------------------------------
    @torch.no_grad()
    def on_step_end(self, step: int) -> dict[str, float]:
        if step < self.gan_steps:
            self._update_generator_ema(step)
        if self.trains_encoder and step == self.gan_steps - 1:
            self._start_encoder_stage(self.nets)
        return {}

    def _update_generator_ema(self, step: int) -> None:
        r, batch = self.cfg.recipe, self.cfg.train.batch_size
        half_life = r.ema_half_life
        if r.ema_rampup is not None:
            half_life = min(half_life, (step + 1) * batch * r.ema_rampup)
        beta = 0.5 ** (batch / max(half_life, 1e-8))
        g, g_ema = self.nets["generator"], self.nets["generator_ema"]
        torch._foreach_lerp_(list(g_ema.parameters()), [p.detach() for p in g.parameters()], 1.0 - beta)
        for b_ema, b in zip(g_ema.buffers(), g.buffers()):
            b_ema.copy_(b)

    # ---- previews and export --------------------------------------------------------------------------------
    @torch.no_grad()
    def preview(self, nets, n, seed):
        m = self.cfg.model
        spec = StyleGANConfig(
            kind="stylegan", z_dim=m.z_dim, w_dim=m.w_dim, data=DataSpec.from_json(self.info.to_json())
        )
        return StyleGAN(spec, nets["generator_ema"]).sample(n, seed=seed).images.to(self.device)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        r, m = self.cfg.recipe, self.cfg.model
        g = nets["generator_ema"]
        components = {"generator": g}
        if r.export_discriminator or r.perceptual == "discriminator":
            components["discriminator"] = nets["discriminator"]
        metrics: dict[str, float] = {}
        if self.trains_encoder:
            components["encoder"] = nets["encoder"]
            metrics = self._encoder_metrics(g, nets["encoder"])
        config = StyleGANConfig(
            kind="stylegan",
            z_dim=m.z_dim,
            w_dim=m.w_dim,
            num_ws=g.num_ws,
            data=DataSpec.from_json(self.info.to_json()),
            metrics=metrics,
            inversion={"perceptual": r.perceptual, "encoder": self.trains_encoder},
            training={"gan_steps": self.gan_steps},
            extra=self._init_record(),
        )
        return BundleParts(config, components, dtype=torch.float16)

    def _init_record(self) -> dict:
        """With recipe.init_from: what trained the starting bundle (its own `training` record), kept as `init`."""
        if not self.cfg.recipe.init_from:
            return {}
        source = self._init_config
        return {
            "init": {
                "from": str(self.cfg.recipe.init_from),
                "training": source.get("training"),
                "init": source.get("init"),
            }
        }

    @torch.no_grad()
    def _encoder_metrics(self, g: nn.Module, encoder: nn.Module) -> dict[str, float]:
        """PSNR / SSIM of G(E(x)) on the first eval_n held-out test images (nothing if there is no test split)."""
        d = self.cfg.data
        if self.cfg.recipe.eval_n <= 0:
            return {}
        try:
            real, _, _ = load_images_from_ref(
                f"{d.name}:test:0-{self.cfg.recipe.eval_n}", d.data_dir, d.image_size, d.channels
            )
        except GenvisionError as exc:
            log.warning("no encoder metrics: %s", exc)
            return {}
        recon = torch.cat(
            [
                g.synthesis(encoder(x.to(self.device)), noise_mode="const").float().clamp(-1, 1).cpu()
                for x in real.split(256)
            ]
        )
        return {
            "encoder_psnr": float(psnr(recon, real).mean()),
            "encoder_ssim": float(ssim(recon, real).mean()),
            "encoder_eval_n": float(len(real)),
        }
