"""The ONE builder of UNet conditioning inputs, for training and sampling alike (missing ones at their null value).

    conditions = [Condition(class_label=7), Condition(prompt="a sandal"), Condition()]
    inputs = unet_inputs(spec, conditions, unet, text, latent_hw=(7, 7), device=device).kwargs()   # sampling
    values = ConditionValues(labels=batch_labels, text=caption_rows)                              # training:
    null = NullRows(labels=dropped_labels, text=dropped_text)                                     # CFG drops
    inputs = build_unet_inputs(spec, unet, values, null, n, latent_hw=(7, 7), device=device).kwargs()
    eps = unet(x_t, t, **inputs)

Null values (what classifier-free guidance contrasts with, and what training drops to) are defined only in
`build_unet_inputs`, from the conditioning spec: the UNet's extra "null class" row (index num_classes), its
learned null context repeated to the spec's `text_max_length` tokens (all attended), its null pooled vector,
an all-zero part map. Text embeddings of another length are refused there, whichever path made them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.conditioning.mask import encode_label_map
from genvision.conditioning.text import TextEmbedding, TextEncoder
from genvision.errors import GenvisionError
from genvision.models.bundle_config import ConditioningSpec


@dataclass(frozen=True)
class Condition:
    """One image's conditions (all optional): a class index, a prompt, a part label map [H, W]."""

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
    pooled: torch.Tensor | None = None

    def kwargs(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ConditionValues:
    """A batch's condition values (any may be None: all null); rows marked in `null` are replaced."""

    labels: torch.Tensor | None = None  # [n] int64 class indices
    text: TextEmbedding | None = None  # tokens [n, L, D], attention mask [n, L], pooled [n, D]
    parts: torch.Tensor | None = None  # [n, parts, h, w] part fractions at latent size


@dataclass
class NullRows:
    """Per condition type, which rows take the null value ([n] bool, True = null); None: no row is null."""

    labels: torch.Tensor | None = None
    text: torch.Tensor | None = None
    parts: torch.Tensor | None = None


def build_unet_inputs(
    spec: ConditioningSpec,
    unet: nn.Module,
    values: ConditionValues,
    null: NullRows,
    n: int,
    latent_hw: tuple[int, int],
    device: torch.device,
) -> UNetInputs:
    """UNet keyword inputs for n rows: each condition type the spec has, at its value or, where `null` says
    so (or no value is given), at its null value. Gradients reach the learned null embeddings (training)."""
    inputs = UNetInputs()

    def nulls(rows: torch.Tensor | None, given: object) -> torch.Tensor:
        if given is None:
            return torch.ones(n, dtype=torch.bool, device=device)
        return torch.zeros(n, dtype=torch.bool, device=device) if rows is None else rows.to(device)

    if spec.num_classes:
        labels = values.labels if values.labels is not None else torch.zeros(n, dtype=torch.int64)
        null_label = torch.full((n,), spec.num_classes, dtype=torch.int64, device=device)
        inputs.class_labels = torch.where(nulls(null.labels, values.labels), null_label, labels.to(device))
    if spec.text_encoder:
        length, drop = spec.text_max_length, nulls(null.text, values.text)
        context = unet.null_context_like(n, length)
        inputs.context_mask = torch.ones(n, length, dtype=torch.bool, device=device)
        pooled = unet.null_pooled_like(n) if spec.text_pooled else None
        if values.text is not None:
            text = values.text
            if text.tokens.shape[1] != length:
                raise GenvisionError(
                    f"text embeddings have {text.tokens.shape[1]} tokens but the model takes text_max_length "
                    f"{length}: rebuild the caption cache at {length} tokens (or train with that length)"
                )
            tokens = text.tokens.to(device)
            context = torch.where(drop[:, None, None], context.to(tokens.dtype), tokens)
            inputs.context_mask = text.attention_mask.to(device) | drop[:, None]
            if pooled is not None:
                pooled = torch.where(drop[:, None], pooled.to(text.pooled.dtype), text.pooled.to(device))
        inputs.context, inputs.pooled = context, pooled
    if spec.mask_parts:
        parts = values.parts
        if parts is None:
            parts = torch.zeros(n, spec.mask_parts, *latent_hw, device=device)
        inputs.extra = parts.to(device) * (~nulls(null.parts, values.parts)).to(parts.dtype).view(-1, 1, 1, 1)
    return inputs


def unet_inputs(
    spec: ConditioningSpec,
    conditions: list[Condition],
    unet: nn.Module,
    text: TextEncoder | None,
    latent_hw: tuple[int, int],
    device: torch.device,
) -> UNetInputs:
    """UNet keyword inputs for a batch of conditions at sampling (detached); `text` is needed only when some
    prompt is given."""
    n = len(conditions)
    values, null = ConditionValues(), NullRows()
    if spec.num_classes and any(c.class_label is not None for c in conditions):
        values.labels = torch.tensor([c.class_label or 0 for c in conditions], dtype=torch.int64)
        null.labels = torch.tensor([c.class_label is None for c in conditions])
    given = [i for i, c in enumerate(conditions) if c.prompt is not None]
    if spec.text_encoder and given:
        emb = text.encode([conditions[i].prompt for i in given]).to(device)
        rows = torch.zeros(n, dtype=torch.int64, device=device)
        rows[given] = torch.arange(len(given), device=device)
        values.text = emb.index(rows)
        null.text = torch.tensor([c.prompt is None for c in conditions])
    maps = [i for i, c in enumerate(conditions) if c.label_map is not None]
    if spec.mask_parts and maps:
        values.parts = torch.zeros(n, spec.mask_parts, *latent_hw, device=device)
        for i in maps:
            label_map = conditions[i].label_map[None].to(device)
            values.parts[i] = encode_label_map(label_map, spec.mask_parts, latent_hw)[0]
        null.parts = torch.tensor([c.label_map is None for c in conditions])
    inputs = build_unet_inputs(spec, unet, values, null, n, latent_hw, device)
    return UNetInputs(**{key: value.detach() for key, value in inputs.kwargs().items()})
