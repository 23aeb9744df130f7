"""One request's conditions, and the UNet keyword inputs for a batch of them (missing ones at their null value).

    conditions = [Condition(class_label=7), Condition(prompt="a sandal"), Condition()]
    inputs = unet_inputs(spec, conditions, unet, text, latent_hw=(7, 7), device=device).kwargs()
    eps = unet(x_t, t, **inputs)

Null values (what classifier-free guidance contrasts with, and what training drops to): the UNet's extra
"null class" row, its learned null context (and null pooled vector), an all-zero part map.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.conditioning.mask import encode_label_map
from genvision.conditioning.text import TextEncoder
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


def unet_inputs(
    spec: ConditioningSpec,
    conditions: list[Condition],
    unet: nn.Module,
    text: TextEncoder | None,
    latent_hw: tuple[int, int],
    device: torch.device,
) -> UNetInputs:
    """UNet keyword inputs for a batch of conditions; `text` is needed only when some prompt is given."""
    n = len(conditions)
    inputs = UNetInputs()
    if spec.num_classes:
        labels = [spec.num_classes if c.class_label is None else c.class_label for c in conditions]
        inputs.class_labels = torch.tensor(labels, dtype=torch.int64, device=device)
    if spec.text_encoder:
        null = unet.null_context_like(1, spec.text_max_length)[0].detach()
        context = null.expand(n, -1, -1).clone()
        context_mask = torch.ones(n, spec.text_max_length, dtype=torch.bool, device=device)
        given = [i for i, c in enumerate(conditions) if c.prompt is not None]
        if given:
            emb = text.encode([conditions[i].prompt for i in given]).to(device)
            context[given] = emb.tokens.to(context.dtype)
            context_mask[given] = emb.attention_mask
        inputs.context, inputs.context_mask = context, context_mask
        if spec.text_pooled:
            pooled = unet.null_pooled_like(n).detach().clone()
            if given:
                pooled[given] = emb.pooled.to(pooled.dtype)
            inputs.pooled = pooled
    if spec.mask_parts:
        extra = torch.zeros(n, spec.mask_parts, *latent_hw, device=device)
        for i, c in enumerate(conditions):
            if c.label_map is not None:
                extra[i] = encode_label_map(c.label_map[None].to(device), spec.mask_parts, latent_hw)[0]
        inputs.extra = extra
    return inputs
