"""The "ldm" family: a UNet trained in the latent space of a frozen autoencoder bundle (Rombach et al. 2022),
with class, text and mask conditions, each dropped independently for classifier-free guidance.

    z_0 = s · E(x)   (s = the autoencoder bundle's latent_scale)
    L = E ‖ε − ε_θ(√ᾱ_t z_0 + √(1−ᾱ_t) ε, t, c̃)‖²,   c̃ = each condition replaced by its null value w.p. p_type

Text: captions of labelled datasets come from templates (genvision.data.captions), with held-out templates
never seen in training; their embeddings are computed once (live MiniLM, else the shipped cache), so the
training machine needs no text encoder. The bundle holds `autoencoder/` (the nested bundle), `unet/`, the
schedule, the conditioning spec and the caption-set embeddings (`text_cache.safetensors`); not the encoder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn as nn

from genvision.conditioning.captions import builtin_cache, caption_table
from genvision.conditioning.classes import draw_dropped
from genvision.conditioning.item_captions import ItemCaptions, load_or_build
from genvision.conditioning.mask import encode_label_map
from genvision.conditioning.text import (
    CachedTextEncoder,
    TextEmbeddingCache,
    minilm_available,
    save_embedding_cache,
)
from genvision.conditioning.unet_inputs import ConditionValues, NullRows, build_unet_inputs
from genvision.data import load_dataset
from genvision.data.captions import caption_indices, templates
from genvision.diffusion.losses import diffusion_loss, sample_timesteps
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import ConfigError, GenvisionError
from genvision.generators import Classifier, DiffusionModel
from genvision.generators.diffusion import TEXT_CACHE_NAME, Condition
from genvision.models.bundle import BundleParts
from genvision.models.bundle_config import ConditioningSpec, DataSpec, DiffusionConfig, SamplingDefaults
from genvision.models.unet import UNet
from genvision.nn.modes import evaluating
from genvision.seeding import draw_normal
from genvision.train.evaluation import conditional_accuracy, export_classifier, feature_fid
from genvision.train.recipe import Recipe
from genvision.train.recipes.ddpm import DiffusionObjective
from genvision.train.recipes.first_stage import FirstStage


@dataclass
class LDMModel:
    autoencoder: str = "fashion-autoencoder"  # a trained autoencoder bundle (folder or shipped name), frozen
    model_channels: int = 64
    channel_mult: tuple[int, ...] = (1, 2)
    num_res_blocks: int = 2
    attention_resolutions: tuple[int, ...] = (7, 4)  # latent sizes with (self + cross) attention
    head_dim: int = 32
    dropout: float = 0.0
    class_conditional: bool = False
    text_conditional: bool = False
    mask_conditional: bool = False
    text_encoder: Literal["minilm", "clip"] = "minilm"
    text_max_length: int = 16
    text_pooled: bool = True  # also condition on the pooled sentence embedding (added to the time embedding)


@dataclass
class LDMRecipe(DiffusionObjective):
    class_dropout: float = 0.1  # per condition type: probability of replacing it by its null value
    text_dropout: float = 0.1
    mask_dropout: float = 0.1
    joint_dropout: float = 0.1  # with several condition types: probability of dropping all of them at once,
    # the combination that guided sampling contrasts with (independent drops alone rarely produce it)
    text_cache: str | None = None  # embeddings file; default: the shipped caption cache of the dataset
    ship_caption_cache: bool = True  # write the caption set's embeddings into the bundle (prompts of the set
    # then need no text encoder); false for large caption sets, whose bundle then needs the encoder
    latent_scale: float | None = None  # None: the autoencoder bundle's latent_scale (else estimated as 1/std)
    decode_quantize: bool = True  # VQ autoencoders: snap sampled latents to the codebook before decoding
    preview_guidance: float = 3.0
    eval_classifier: str | None = None  # at export: classify guided samples with this classifier bundle
    eval_n: int = 1000
    eval_guidance: float = 3.0
    grounding: int = 0  # the bundle's default k: free-text prompts take their k nearest training captions


class LDMTraining(Recipe):
    ema_modules = ("unet",)
    per_sample_draws = True  # t, ε, caption choice and condition dropouts of sample i: (seed, step, i)

    def __init__(self, cfg, info, device):
        super().__init__(cfg, info, device)
        m, r = cfg.model, cfg.recipe
        if not any((m.class_conditional, m.text_conditional, m.mask_conditional)) and r.eval_classifier:
            raise ConfigError(
                "recipe.eval_classifier measures conditional samples; the model has no condition"
            )
        if r.grounding < 0:
            raise ConfigError(f"recipe.grounding must be >= 0 (0: off), got {r.grounding}")
        self.schedule = NoiseSchedule(r.schedule_config(), device=device)
        stage = FirstStage.load(cfg, info, device)
        self.ae_bundle, self.autoencoder = stage.bundle, stage.autoencoder
        self.latent_shape, self.latent_scale = stage.latent_shape, stage.latent_scale
        self.spec = ConditioningSpec(
            num_classes=info.num_classes if m.class_conditional else 0,
            text_encoder=m.text_encoder if m.text_conditional else None,
            text_max_length=m.text_max_length,
            text_pooled=bool(m.text_conditional and m.text_pooled),
            mask_parts=info.num_mask_classes if m.mask_conditional else 0,
        )
        if m.class_conditional and not info.num_classes:
            raise ConfigError(f"model.class_conditional needs labelled data; {info.dataset} has no classes")
        if m.mask_conditional and not (info.num_mask_classes and cfg.data.with_masks):
            raise ConfigError(
                "model.mask_conditional needs part label maps: use celebamask-hq with data.with_masks: true"
            )
        self.captions = None
        self.per_image_text: ItemCaptions | None = None
        if m.text_conditional:
            self._setup_text()

    # --- set-up helpers ----------------------------------------------------------------------------------
    def _setup_text(self) -> None:
        m, r = self.cfg.model, self.cfg.recipe
        if self.info.num_classes:  # captions from label templates
            self.captions = caption_table(
                self.info.dataset,
                self.info.class_names,
                encoder=m.text_encoder,
                max_length=m.text_max_length,
                cache=r.text_cache,
                device=self.device,
            )
            self.spec.text_dim = self.captions.train_embeddings.tokens.shape[-1]
            return
        if r.text_cache is None:  # per-image captions (CelebAMask-HQ): prompt i is the caption of item i
            raise ConfigError(
                "text conditioning on unlabelled data needs recipe.text_cache: a cache whose "
                "prompt i is the caption of dataset item i (see genvision.conditioning.captions)"
            )
        d = self.cfg.data
        dataset = load_dataset(d.name, d.split, d.data_dir, d.image_size, d.channels, limit=d.limit)
        cache = load_or_build(r.text_cache, dataset, m.text_encoder, m.text_max_length)
        self.per_image_text = cache.to(self.device)
        self.spec.text_dim = self.per_image_text.dim

    def build(self) -> dict[str, nn.Module]:
        m, spec = self.cfg.model, self.spec
        unet = UNet(
            in_channels=self.latent_shape[0],
            image_size=self.latent_shape[1],
            model_channels=m.model_channels,
            channel_mult=m.channel_mult,
            num_res_blocks=m.num_res_blocks,
            attention_resolutions=m.attention_resolutions,
            head_dim=m.head_dim,
            dropout=m.dropout,
            num_classes=spec.num_classes or None,
            context_dim=spec.text_dim or None,
            extra_in_channels=spec.mask_parts,
            pooled_dim=spec.text_dim if spec.text_pooled else None,
        )
        return {"unet": unet}

    # --- training ----------------------------------------------------------------------------------------
    def conditioning_inputs(
        self, batch: dict[str, torch.Tensor], gen: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """UNet keyword inputs for a training batch (built by conditioning.unet_inputs, as at sampling): each
        condition type is dropped with its own probability and, with several types, all of them together with
        probability `joint_dropout`."""
        r, spec, n = self.cfg.recipe, self.spec, batch["image"].shape[0]
        values, null = ConditionValues(), NullRows()
        kinds = sum(bool(v) for v in (spec.num_classes, spec.text_encoder, spec.mask_parts))
        joint = (
            draw_dropped(n, r.joint_dropout, gen, self.device)
            if kinds > 1
            else torch.zeros(n, dtype=torch.bool, device=self.device)
        )
        if spec.num_classes:
            values.labels = batch["label"]
            null.labels = draw_dropped(n, r.class_dropout, gen, self.device) | joint
        if spec.text_encoder:
            if self.captions is not None:
                table = self.captions.train_embeddings
                idx = caption_indices(batch["label"], self.captions.per_class, self.captions.num_classes, gen)
            else:
                if "index" not in batch:
                    raise GenvisionError(
                        "per-image captions need the dataset index of each item in the batch (batch['index'])"
                    )
                table, idx = self.per_image_text.table, self.per_image_text.rows(batch["index"], gen)
            values.text = table.index(idx)
            null.text = draw_dropped(n, r.text_dropout, gen, self.device) | joint
        if spec.mask_parts:
            values.parts = encode_label_map(batch["mask"], spec.mask_parts, tuple(self.latent_shape[1:]))
            null.parts = draw_dropped(n, r.mask_dropout, gen, self.device) | joint
        hw = tuple(self.latent_shape[1:])
        return build_unet_inputs(spec, self.nets["unet"], values, null, n, hw, self.device).kwargs()

    def loss(self, phase, batch, nets, gen, step):
        r = self.cfg.recipe
        with torch.no_grad():
            z0 = self.autoencoder.encode(batch["image"]).float() * self.latent_scale
        cond = self.conditioning_inputs(batch, gen)
        t = sample_timesteps(self.schedule, z0.shape[0], gen, self.device)
        noise = draw_normal(z0.shape, gen, z0.device)
        per_sample = diffusion_loss(
            lambda x, tt: nets["unet"](x, tt, **cond),
            self.schedule,
            x0=z0,
            t=t,
            noise=noise,
            prediction=r.prediction,
            min_snr_gamma=r.min_snr_gamma,
        )
        return per_sample.mean(), {"latent_std": float(z0.std())}

    # --- inference ---------------------------------------------------------------------------------------
    def bundle_config(self, metrics: dict[str, float] | None = None) -> DiffusionConfig:
        r, m = self.cfg.recipe, self.cfg.model
        captions = None
        if self.captions is not None:
            captions = {
                "dataset": self.info.dataset,
                "train_templates": len(templates(self.info.dataset, "train")),
                "train_captions_per_class": self.captions.per_class,
                "held_out_templates": len(self.captions.held_out) // self.captions.num_classes,
            }
        return DiffusionConfig(
            kind="ldm",
            components=["autoencoder", "unet"],
            data=DataSpec.from_json(self.info.to_json()),
            schedule=self.schedule.to_dict(),
            prediction=r.prediction,
            clip_x0=None,
            sampling=SamplingDefaults(
                sampler=r.preview_sampler,
                steps=r.preview_steps,
                guidance=r.eval_guidance,
                grounding=r.grounding if self.captions is not None else 0,
            ),
            conditioning=self.spec,
            latent_scale=self.latent_scale,
            latent_shape=list(self.latent_shape),
            decode_quantize=r.decode_quantize,
            metrics=metrics or {},
            extra={"captions": captions, "autoencoder_source": str(m.autoencoder)},
        )

    def inference_model(self, unet: nn.Module) -> DiffusionModel:
        """The training UNet and frozen autoencoder behind the public DiffusionModel (fp32)."""
        text = None
        if self.captions is not None:  # the caption set from memory, other prompts (paraphrases) live
            text = CachedTextEncoder(
                self.captions.as_encoder(), self.spec.text_encoder, self.device, live=self.captions.encoder
            )
        return DiffusionModel(
            self.bundle_config(), unet, self.schedule, self.autoencoder, precision="fp32", text=text
        )

    def preview_conditions(self, n: int) -> list[Condition]:
        """Class k % C per image when class-conditional, else a caption of class k % C, else nothing."""
        spec = self.spec
        if spec.num_classes:
            return [Condition(class_label=k % spec.num_classes) for k in range(n)]
        if self.captions is not None:
            prompts = self.captions.train
            return [Condition(prompt=prompts[k % len(prompts)]) for k in range(n)]
        return [Condition() for _ in range(n)]

    def preview(self, nets, n, seed):
        r = self.cfg.recipe
        model = self.inference_model(nets["unet"])
        with evaluating(nets["unet"]):
            return model.generate(
                self.preview_conditions(n),
                guidance=r.preview_guidance,
                sampler=r.preview_sampler,
                steps=r.preview_steps,
                seed=seed,
            ).images.to(self.device)

    def bundle(self, nets, folder: Path) -> BundleParts:
        r = self.cfg.recipe
        unet = nets["unet"]
        files = {}
        if self.captions is not None and r.ship_caption_cache and not self._builtin_cache_covers():
            table = self.captions.as_encoder()
            files[TEXT_CACHE_NAME] = lambda path: save_embedding_cache(
                path,
                table.prompts,
                embedding=table.table.to("cpu"),
                encoder_name=self.spec.text_encoder,
                max_length=self.spec.text_max_length,
            )
        config = self.bundle_config(self.evaluate(unet) if r.eval_classifier else {})
        return BundleParts(
            config, {"autoencoder": self.ae_bundle, "unet": unet}, dtype=torch.float16, files=files
        )

    def _builtin_cache_covers(self) -> bool:
        """Whether the package's shipped caption cache already holds this model's caption embeddings."""
        m = self.cfg.model
        path = builtin_cache(self.info.dataset, m.text_encoder, m.text_max_length)
        if not path.is_file() or self.cfg.recipe.text_cache not in (None, str(path)):
            return False
        return set(self.captions.train + self.captions.held_out) <= set(TextEmbeddingCache(path).prompts)

    @torch.no_grad()
    def evaluate(self, unet: nn.Module) -> dict[str, float]:
        """Fraction of guided samples that the classifier assigns to the requested class (by class label,
        and by prompts from training and from held-out templates), and the sampling speed."""
        r = self.cfg.recipe
        classifier = export_classifier(r.eval_classifier, self.device)
        if classifier is None:
            return {}
        with evaluating(unet):
            model = self.inference_model(unet)
            start = time.perf_counter()
            results = conditional_accuracy(
                model,
                classifier,
                dataset=self.info.dataset,
                n=r.eval_n,
                guidance=r.eval_guidance,
                steps=r.preview_steps,
                sampler=r.preview_sampler,
                captions=self.captions,
                paraphrases=self.spec.text_encoder != "minilm" or minilm_available(),
            )
            results.update(self.classifier_fid(model, classifier))
            results["eval_seconds"] = time.perf_counter() - start
        return results

    def classifier_fid(self, model: DiffusionModel, classifier: Classifier) -> dict[str, float]:
        """FID in the eval classifier's feature space against eval_n test images: unconditional samples
        (guidance 1, every condition null) and, for class-conditional models, guided class samples."""
        r, d = self.cfg.recipe, self.cfg.data
        test = load_dataset(
            d.name, "test", data_dir=d.data_dir, image_size=d.image_size, channels=d.channels, limit=r.eval_n
        )
        reference = torch.stack([test[i]["image"] for i in range(len(test))])
        real = classifier.features(reference).double().numpy()
        n = len(reference)
        fids = {
            "fid_unconditional": model.generate(
                [Condition()] * n, sampler=r.preview_sampler, steps=r.preview_steps, seed=1
            )
        }
        if self.spec.num_classes:
            fids["fid_class_guided"] = model.generate(
                self.preview_conditions(n),
                guidance=r.eval_guidance,
                sampler=r.preview_sampler,
                steps=r.preview_steps,
                seed=1,
            )
        return {name: feature_fid(classifier, real, out.images) for name, out in fids.items()}
