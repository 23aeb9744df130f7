"""What a diffusion model is conditioned on: classes, prompts (text encoder, caption grounding), part label maps,
and the guided model function built from them.

    conds, negs = m.conditions_for(4, label=["bag", "coat", "bag", 3])              # one condition per image
    conds, negs = m.conditions_for(2, prompt="a sandal", negative_prompt="a boot")
    fn = m.model_fn(conds, guidance=3.0, negatives=negs)    # ε̃ = ε(z, ∅ or negative) + s (ε(z, c) − ε(z, ∅ or negative))

Classifier-free guidance (Ho & Salimans 2022) contrasts the condition with the null one; a negative prompt takes
the null condition's place, so the samples are pushed away from it. Free-text prompts (negative ones too) of a model
trained on a caption set are grounded in their nearest training captions (genvision.conditioning.grounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from genvision.conditioning.captions import builtin_cache
from genvision.conditioning.garment_lexicon import lexicon_for
from genvision.conditioning.grounding import CaptionIndex, pooled_captions
from genvision.conditioning.text import TextEncoder, encoder_or_cache
from genvision.conditioning.unet_inputs import Condition, unet_inputs
from genvision.data.captions import caption_set
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.diffusion.samplers import ModelFn
from genvision.errors import GenvisionError
from genvision.paths import genvision_home
from genvision.runtime import autocast

if TYPE_CHECKING:
    from genvision.diffusion.schedules import NoiseSchedule
    from genvision.generators.diffusion_settings import SamplerSettings
    from genvision.models.bundle import Bundle
    from genvision.models.bundle_config import ConditioningSpec, DiffusionConfig

TEXT_CACHE_NAME = "text_cache.safetensors"
Labels = int | str | Sequence[int | str] | None
Prompts = str | Sequence[str] | None


def text_cache_path(folder: str | Path) -> Path:
    """Where an LDM bundle keeps the embeddings of its training prompts."""
    return Path(folder) / TEXT_CACHE_NAME


def per_image(name: str, value: Any, n: int) -> list[Any]:
    """One value for all n images, or a list / tuple of exactly n (one per image)."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise GenvisionError(f"{len(value)} {name}s for {n} images: give one, or one per image")
        return list(value)
    return [value] * n


class DiffusionConditions:
    """Conditions and the guided model function for DiffusionModel (a mixin)."""

    spec: DiffusionConfig
    unet: Any  # a genvision.models.unet.UNet (its class_embed is used by editing)
    device: torch.device
    bundle: Bundle | None
    autocast_dtype: torch.dtype | None
    _text: TextEncoder | None
    _captions: CaptionIndex | None

    if TYPE_CHECKING:  # members of LoadedModel and DiffusionModel that the mixins (editing, inpainting) use
        schedule: NoiseSchedule
        autoencoder: Any

        @property
        def name(self) -> str: ...
        @property
        def latent_shape(self) -> tuple[int, int, int]: ...
        @property
        def image_shape(self) -> tuple[int, int, int]: ...
        @property
        def num_classes(self) -> int: ...
        @property
        def prediction(self) -> str: ...
        @property
        def clip_x0(self) -> float | None: ...
        def label_index(self, label: int | str | None) -> int | None: ...
        def check_images(self, images: torch.Tensor) -> torch.Tensor: ...
        def encode(self, images: torch.Tensor) -> torch.Tensor: ...
        def decode(self, latents: torch.Tensor) -> torch.Tensor: ...
        def settings(
            self,
            sampler: str | None = None,
            steps: int | None = None,
            spacing: str | None = None,
            guidance: float | None = None,
            conditioned: bool = False,
            **options: Any,
        ) -> SamplerSettings: ...

    @property
    def conditioning(self) -> ConditioningSpec:
        return self.spec.conditioning

    @property
    def takes_text(self) -> bool:
        return bool(self.conditioning.text_encoder)

    @property
    def takes_label_map(self) -> bool:
        return bool(self.conditioning.mask_parts)

    # --- text -------------------------------------------------------------------------------------------
    def text_encoder(self) -> TextEncoder:
        if self._text is None:
            spec = self.conditioning
            if not spec.text_encoder:
                raise GenvisionError(f"{self.name} is not text-conditional: drop the prompt")
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
            held_out = set(caption_set(dataset, "held_out", names))
            lexicon = lexicon_for(dataset, names)  # caption k is of class k mod C
            labels = torch.arange(len(train)) % len(names or []) if lexicon is not None else None
            self._captions = CaptionIndex(train, pooled, held_out, text, labels=labels, lexicon=lexicon)
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

    # --- conditions -------------------------------------------------------------------------------------
    def condition(
        self, label: int | str | None = None, prompt: str | None = None, label_map: torch.Tensor | None = None
    ) -> Condition:
        """One image's conditions, checked against what the model was trained with."""
        class_label = self.label_index(label)
        if prompt is not None and not self.takes_text:
            raise GenvisionError(f"{self.name} is not text-conditional: drop the prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise GenvisionError(f"a prompt is a string, got {type(prompt).__name__}")
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

    def conditions_for(
        self,
        n: int,
        label: Labels = None,
        prompt: Prompts = None,
        label_map: torch.Tensor | None = None,
        negative_prompt: Prompts = None,
    ) -> tuple[list[Condition], list[Condition] | None]:
        """(the condition of each of n images, the negative condition of each or None) from one label / prompt
        for all or a list of one per image."""
        labels, prompts = per_image("label", label, n), per_image("prompt", prompt, n)
        conditions = [self.condition(lab, p, label_map) for lab, p in zip(labels, prompts, strict=True)]
        if negative_prompt is None:
            return conditions, None
        negatives = [self.condition(prompt=p) for p in per_image("negative prompt", negative_prompt, n)]
        return conditions, negatives

    def branch_inputs(
        self, conditions: list[Condition], negatives: list[Condition] | None = None
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """The UNet keyword inputs of the conditional branch and of the null (or negative) branch."""
        hw = (self.latent_shape[1], self.latent_shape[2])

        def inputs(conds: list[Condition]) -> dict[str, torch.Tensor]:
            text = self.text_encoder() if any(c.prompt is not None for c in conds) else None
            built = unet_inputs(
                self.conditioning, conds, unet=self.unet, text=text, latent_hw=hw, device=self.device
            )
            return built.kwargs()

        return inputs(conditions), inputs(negatives or [Condition()] * len(conditions))

    def network(self, x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
        """The UNet's output in fp32 under this model's autocast (differentiable when grad is enabled)."""
        with autocast(x.device, self.autocast_dtype):
            return self.unet(x, t, **kwargs).float()

    def network_with(
        self,
        base: dict[str, torch.Tensor],
        x: torch.Tensor,
        t: torch.Tensor,
        extra: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The network on inputs `base` updated by `extra` (null-text's fitted null inputs)."""
        return self.network(x, t, **{**base, **(extra or {})})

    def model_fn(
        self, conditions: list[Condition], guidance: float = 1.0, negatives: list[Condition] | None = None
    ) -> ModelFn:
        """model_fn(x_t, t) for the samplers: the UNet under this model's autocast, with classifier-free
        guidance when some condition (or negative) is given and guidance ≠ 1 (both branches in one pass)."""
        cond, null = self.branch_inputs(conditions, negatives)
        guided = not all(c.empty for c in conditions) or negatives is not None
        scale = guidance if guided else 1.0

        def unet(x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return self.network(x, t, **kwargs)

        return classifier_free_guidance(unet, cond, null, scale)
