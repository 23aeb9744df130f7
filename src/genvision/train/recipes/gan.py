"""The GAN families "dcgan" and "cgan": two optimizers stepped in turn by the shared Trainer.

Each step: phase "discriminator" minimises L_D(D(T(x)), D(T(G(z).detach()))) (+ γ/2 · R1), then phase
"generator" minimises L_G(D(T(G(z)))) — the objective is chosen by `recipe.loss` (see
genvision.losses.adversarial; the non-saturating generator loss is the default) and T is the optional
differentiable augmentation `recipe.diffaugment` (identity by default). With an auxiliary-classifier D
(cGAN, `model.conditioning=auxiliary`, AC-GAN) D's loss adds λ·CE(c(T(x)), y) and G's λ·CE(c(T(G(z, y))), y),
λ = `recipe.class_weight`. A DCGAN with InfoGAN's categorical code (`model.info_code` = K; Chen et al. 2016)
draws c = argmax(z_{1:K}) ~ Cat(K) inside G, and D's head Q learns to recover it from the fake: both phases add
λ_I·CE(Q(T(G(z))), c), the categorical case of InfoGAN's mutual-information bound, λ_I = `recipe.info_weight`.
`recipe.info_labels=true` ties the code to the data's classes (semi-supervised InfoGAN, Spurr et al. 2017): D's
phase adds λ_I·CE(Q(T(x)), y) on the labelled real images, so c = k comes to mean class k; sampling still draws
plain z ~ N(0, I), and the class is the argmax of z's first K entries.
Adam with lr 2e-4 and β = (0.5, 0.999) after Radford et al.

Logged: each phase's loss, D(x) and D(G(z)) (mean sigmoid of the logits) and, every `diagnostics_every`
steps when the project's classifier fits the data, the class histogram of generated samples (its normalised
entropy and the number of classes covered: a collapsing generator drops classes) and, for cGANs, how often the
classifier agrees with the requested class. `train.fid_every` adds classifier-feature FID through the Trainer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.data import load_images_from_ref
from genvision.errors import ConfigError, GenvisionError
from genvision.generators import GAN, load_classifier
from genvision.losses.adversarial import GanLoss, discriminator_loss, generator_loss, r1_penalty
from genvision.metrics.class_histogram import class_histogram
from genvision.models.bundle import BundleParts, load_bundle
from genvision.models.bundle_config import DataSpec, GanConfig
from genvision.models.cgan import ConditionalDiscriminator, ConditionalGenerator
from genvision.models.dcgan import DCGANDiscriminator, DCGANGenerator, categorical_code, stage_plan
from genvision.nn.diffaugment import diff_augment, parse_policy
from genvision.nn.modes import evaluating
from genvision.train.evaluation import gan_metrics
from genvision.train.recipe import OptimGroup, Recipe, square_size

log = logging.getLogger(__name__)

SHIPPED_CLASSIFIERS = {
    "fashion-mnist": "fashion-classifier",
    "mnist": "mnist-classifier",
}  # dataset → classifier bundle used by "auto"


@dataclass
class GanModelConfig:
    z_dim: int = 100
    g_channels: int = 64  # G's channels at full resolution; doubled per stage towards the start grid
    d_channels: int = 64  # D's channels after its first stride-2 conv
    max_channels: int = 512
    embed_dim: int = 50  # cgan: size of the label embedding concatenated to z
    conditioning: Literal["concat", "projection", "auxiliary"] = "concat"  # cgan: how D sees the label
    d_batch_norm: bool = True
    d_spectral_norm: bool = False
    d_minibatch_std: int = (
        0  # dcgan: > 0 appends the minibatch std over groups of this size to D's last features
    )
    g_spectral_norm: bool = False
    info_code: int = 0  # dcgan: K > 0 gives G an InfoGAN categorical code of K classes read from z (0: off)


@dataclass
class GanRecipeConfig:
    loss: GanLoss = "non_saturating"
    real_label: float = 1.0  # < 1: one-sided label smoothing (e.g. 0.9)
    r1_gamma: float = 0.0  # > 0: add γ/2 · E‖∇D(x)‖² on real images to D's loss
    class_weight: float = (
        1.0  # cgan with model.conditioning=auxiliary: weight λ of the AC-GAN cross-entropies
    )
    info_weight: float = 1.0  # dcgan with model.info_code: weight λ_I of the code's cross-entropy
    info_labels: bool = False  # dcgan with model.info_code = the number of classes: Q also learns real labels
    diffaugment: str = ""  # e.g. "translation,cutout": what D sees of real and fake images (nn.diffaugment)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    classifier: str | None = (
        "auto"  # bundle for diagnostics; "auto": the shipped one for the dataset; null: off
    )
    diagnostics_every: int = 0  # 0: every train.log_every steps
    diagnostics_n: int = 500
    eval_n: int = 2000  # samples for the metrics recorded in the bundle
    export_discriminator: bool = False
    d_warmup_steps: int = 0  # the first N steps train D alone (a fresh D against a G from train.init_from)


class GanTraining(Recipe):
    conditional = False
    kind = "dcgan"
    ema_modules = ("generator",)

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        square_size(info, "GANs here", stage_plan)
        if self.conditional and info.num_classes < 2:
            raise ConfigError(
                f"family cgan needs labelled data; {info.dataset} has no classes (use family dcgan)"
            )
        if cfg.model.d_minibatch_std < 0 or (self.conditional and cfg.model.d_minibatch_std):
            raise ConfigError(
                f"model.d_minibatch_std is a group size for family dcgan (0: off), got "
                f"{cfg.model.d_minibatch_std} for family {cfg.family}"
            )
        code = cfg.model.info_code
        if code and (self.conditional or not 2 <= code < cfg.model.z_dim):
            raise ConfigError(
                f"model.info_code is InfoGAN's number of code classes for family dcgan, 0 or in "
                f"[2, model.z_dim={cfg.model.z_dim}); got {code} for family {cfg.family}"
            )
        if cfg.recipe.info_labels and (info.num_classes < 2 or code != info.num_classes):
            raise ConfigError(
                f"recipe.info_labels ties the code to labelled data's classes: {info.dataset} has "
                f"{info.num_classes} and model.info_code is {code} (set it to the number of classes)"
            )
        if cfg.recipe.info_weight < 0:
            raise ConfigError(f"recipe.info_weight must be >= 0, got {cfg.recipe.info_weight}")
        if cfg.recipe.d_warmup_steps < 0:
            raise ConfigError(f"recipe.d_warmup_steps must be >= 0, got {cfg.recipe.d_warmup_steps}")
        if not 0.0 < cfg.recipe.real_label <= 1.0:
            raise ConfigError(f"recipe.real_label must lie in (0, 1], got {cfg.recipe.real_label}")
        try:
            self.augment_policy = parse_policy(cfg.recipe.diffaugment)
        except ValueError as exc:
            raise ConfigError(f"recipe.diffaugment: {exc}") from exc
        self.auxiliary = self.conditional and cfg.model.conditioning == "auxiliary"
        self._classifier: nn.Module | None = None
        self._classifier_checked = False

    # ---- networks and optimizers --------------------------------------------------------------------------
    def build(self) -> dict[str, nn.Module]:
        m, (c, size, _) = self.cfg.model, self.info.shape
        common = dict(image_size=size, channels=c, max_channels=m.max_channels)
        if self.conditional:
            k = self.info.num_classes
            g = ConditionalGenerator(
                num_classes=k,
                z_dim=m.z_dim,
                embed_dim=m.embed_dim,
                base_channels=m.g_channels,
                spectral_norm=m.g_spectral_norm,
                **common,
            )
            d = ConditionalDiscriminator(
                num_classes=k,
                base_channels=m.d_channels,
                conditioning=m.conditioning,
                batch_norm=m.d_batch_norm,
                spectral_norm=m.d_spectral_norm,
                **common,
            )
        else:
            g = DCGANGenerator(
                z_dim=m.z_dim,
                base_channels=m.g_channels,
                spectral_norm=m.g_spectral_norm,
                categorical_code=m.info_code,
                **common,
            )
            d = DCGANDiscriminator(
                base_channels=m.d_channels,
                batch_norm=m.d_batch_norm,
                spectral_norm=m.d_spectral_norm,
                minibatch_std=m.d_minibatch_std,
                code_classes=m.info_code,
                **common,
            )
        return {"generator": g, "discriminator": d}

    def optim_groups(self) -> dict[str, OptimGroup]:
        r = self.cfg.recipe
        return {
            "discriminator": OptimGroup(["discriminator"], lr=r.lr_d, betas=r.betas, weight_decay=0.0),
            "generator": OptimGroup(["generator"], lr=r.lr_g, betas=r.betas, weight_decay=0.0),
        }

    def phases(self, step: int) -> list[str]:
        """D then G; D alone during `recipe.d_warmup_steps`, so a fresh D learns the data before G follows it."""
        return ["discriminator"] if step < self.cfg.recipe.d_warmup_steps else ["discriminator", "generator"]

    # ---- losses -------------------------------------------------------------------------------------------
    def _generate(self, g: nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return g(z, labels) if self.conditional else g(z)

    def _discriminate(
        self,
        d: nn.Module,
        x: torch.Tensor,
        labels: torch.Tensor | None,
        gen: torch.Generator,
        code: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(D(T(x)) with the label for cGANs, the auxiliary loss): λ·CE(c(T(x)), y) with an auxiliary-classifier
        D's class head c; λ_I·CE(Q(T(x)), code) with D's code head Q, given a code (G's for fakes, the label
        for real images under recipe.info_labels); else 0. T = the DiffAugment policy (identity when empty)."""
        x = diff_augment(x, self.augment_policy, gen)
        if not self.conditional:
            if code is None:
                return d(x), x.new_zeros(())
            logits, code_logits = d.forward_with_code(x)
            return logits, self.cfg.recipe.info_weight * F.cross_entropy(code_logits.float(), code)
        logits, class_logits = d.forward_with_classes(x, labels)
        if class_logits is None:
            return logits, x.new_zeros(())
        return logits, self.cfg.recipe.class_weight * F.cross_entropy(class_logits.float(), labels)

    def loss(self, phase, batch, nets, gen, step):
        r = self.cfg.recipe
        real = batch["image"]
        labels = batch["label"] if self.conditional else None  # G is asked for the classes of the real batch
        real_code = batch["label"] if r.info_labels else None  # semi-supervised code: Q learns real labels
        z = torch.randn(real.shape[0], self.cfg.model.z_dim, generator=gen, device=gen.device).to(real.device)
        d_net, g_net = nets["discriminator"], nets["generator"]
        k = self.cfg.model.info_code
        code = categorical_code(z, k) if k else None
        if phase == "discriminator":
            with torch.no_grad():
                fake = self._generate(g_net, z, labels)
            real = real.detach().requires_grad_(r.r1_gamma > 0)
            real_logits, class_loss = self._discriminate(d_net, real, labels, gen, real_code)
            fake_logits, code_loss = self._discriminate(d_net, fake, labels, gen, code)
            loss = discriminator_loss(r.loss, real_logits, fake_logits, r.real_label) + class_loss + code_loss
            values = {
                "D(x)": float(torch.sigmoid(real_logits.detach().float()).mean()),
                "D(G(z))": float(torch.sigmoid(fake_logits.detach().float()).mean()),
            }
            if self.auxiliary:
                values["discriminator/class_ce"] = float(class_loss.detach())
            if k:
                values["discriminator/code_ce"] = float(code_loss.detach())
            if real_code is not None:
                values["discriminator/real_code_ce"] = float(class_loss.detach())
            if r.r1_gamma > 0:
                penalty = r1_penalty(real_logits, real)
                loss = loss + 0.5 * r.r1_gamma * penalty
                values["discriminator/r1"] = float(penalty.detach())
            return loss, values
        if phase == "generator":
            fake = self._generate(g_net, z, labels)
            fake_logits, class_loss = self._discriminate(d_net, fake, labels, gen, code)
            values = {}
            if self.auxiliary or k:
                values["generator/code_ce" if k else "generator/class_ce"] = float(class_loss.detach())
            return generator_loss(r.loss, fake_logits) + class_loss, values
        raise GenvisionError(f"unknown GAN phase {phase!r}")

    # ---- diagnostics ---------------------------------------------------------------------------------------
    def classifier(self) -> nn.Module | None:
        """The diagnostics classifier, loaded once; None (with a logged note) when there is none for this data."""
        if self._classifier_checked:
            return self._classifier
        self._classifier_checked = True
        ref = self.cfg.recipe.classifier
        if ref == "auto":
            ref = SHIPPED_CLASSIFIERS.get(self.info.dataset)
            if ref is None:
                log.warning(
                    "no shipped classifier for %s: class-histogram diagnostics are off", self.info.dataset
                )
                return None
        if ref is None:
            return None
        try:
            self._classifier = load_classifier(load_bundle(ref, kinds=("classifier",)), self.device)
            if tuple(self._classifier.image_shape) != tuple(self.info.shape):
                raise GenvisionError(
                    f"classifier {ref} takes images {list(self._classifier.image_shape)}, the "
                    f"data is {list(self.info.shape)}"
                )
        except GenvisionError as exc:
            log.warning("class-histogram diagnostics are off: %s", exc)
        return self._classifier

    def _model(self, generator: nn.Module) -> GAN:
        return GAN.wrap(
            generator, self.kind, self.cfg.model.z_dim, tuple(self.info.shape), self.info.class_names
        )

    def on_step_end(self, step: int) -> dict[str, float]:
        r, t = self.cfg.recipe, self.cfg.train
        every = r.diagnostics_every or t.log_every
        if (step + 1) % every != 0 or self.classifier() is None:
            return {}
        g = self.nets["generator"]
        model = self._model(g)
        with evaluating(g):
            images = model.sample(r.diagnostics_n, seed=t.seed + step).images
        predicted = self._classifier.predict(images)
        hist = class_histogram(predicted, self._classifier.num_outputs)
        out = {
            "diag/class_entropy": hist["entropy"],
            "diag/classes_covered": float(hist["covered"]),
            "diag/largest_class_fraction": max(hist["fractions"]),
        }
        if self.conditional:
            requested = model.labels_for(range(r.diagnostics_n), None)
            out["diag/label_accuracy"] = float((predicted == requested).float().mean())
        return out

    # ---- previews and export --------------------------------------------------------------------------------
    def preview(self, nets, n, seed):
        g = nets["generator"]
        with evaluating(g):
            return self._model(g).sample(n, seed=seed).images.to(self.device)

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        r, d = self.cfg.recipe, self.cfg.data
        metrics: dict[str, float] = {}
        classifier = self.classifier()
        if classifier is not None and r.eval_n > 0:
            real, _, _ = load_images_from_ref(f"{d.name}:test", d.data_dir, d.image_size, d.channels)
            metrics = gan_metrics(
                self._model(nets["generator"]),
                classifier,
                real[: r.eval_n],
                n=r.eval_n,
                seed=self.cfg.train.seed,
            )
        components = {"generator": nets["generator"]}
        if r.export_discriminator:
            components["discriminator"] = nets["discriminator"]
        config = GanConfig(
            kind=self.kind,
            z_dim=self.cfg.model.z_dim,
            data=DataSpec.from_json(self.info.to_json()),
            metrics=metrics,
            extra={"loss": r.loss},
        )
        return BundleParts(config, components, dtype=torch.float16)


class DCGANTraining(GanTraining):
    conditional = False
    kind = "dcgan"


class CGANTraining(GanTraining):
    conditional = True
    kind = "cgan"
