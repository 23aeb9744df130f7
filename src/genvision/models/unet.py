"""The denoising UNet of DDPM / ADM: ResBlocks with time injection, self-attention at chosen resolutions,
skip connections between mirrored levels.

    x ─conv_in─► [ResBlock (+Attn)] × n ─Down─► … ─► mid: ResBlock, Attn, ResBlock ─► … [ResBlock (+Attn)] × (n+1) ─Up─► out
                        └──────────────── skip (concatenated) ─────────────────────────────┘

Level i works at ⌈size/2^i⌉ pixels (28 → 14 → 7) with model_channels · channel_mult[i] channels; attention
runs at the levels whose size is in `attention_resolutions`. Conditioning, all optional:
  * num_classes: a class embedding added to the time embedding; label `num_classes` (or any negative
    label) is the null class used for classifier-free guidance.
  * context_dim: cross-attention to a context [B, L, context_dim] at attention levels; `context=None`
    uses a learned null context (one token).
  * pooled_dim: a pooled sentence embedding [B, pooled_dim], projected and added to the time embedding
    (emb = e(t) + W·p); `pooled=None` uses a learned null vector. Tokens drive the spatial cross-attention,
    the pooled vector the global style of every ResBlock (as SDXL does with its pooled text embedding).
  * extra_in_channels: extra input planes (e.g. a mask one-hot) concatenated to x.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from genvision.models.registry import register_model
from genvision.nn import AttentionBlock, Downsample, ResBlock, TimestepEmbedding, Upsample, group_norm
from genvision.nn.norm import zero_


class UNetLayer(nn.Module):
    """A ResBlock, followed by an attention block at attention levels."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        emb_dim: int,
        dropout: float,
        scale_shift: bool,
        attention: bool,
        head_dim: int,
        context_dim: int | None,
    ):
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, emb_dim, dropout, scale_shift)
        self.attn = AttentionBlock(out_ch, head_dim, context_dim) if attention else None

    def forward(self, x, emb, context=None, context_mask=None):
        x = self.res(x, emb)
        return x if self.attn is None else self.attn(x, context, context_mask)


@register_model
class UNet(nn.Module):
    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int | None = None,
        image_size: int = 28,
        model_channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 2),
        num_res_blocks: int = 2,
        attention_resolutions: Sequence[int] = (7,),
        head_dim: int = 32,
        dropout: float = 0.0,
        scale_shift: bool = True,
        mid_attention: bool = True,
        num_classes: int | None = None,
        context_dim: int | None = None,
        extra_in_channels: int = 0,
        pooled_dim: int | None = None,
    ):
        super().__init__()
        self.in_channels, self.extra_in_channels = in_channels, extra_in_channels
        self.num_classes, self.context_dim = num_classes, context_dim
        emb_dim = 4 * model_channels
        self.time_embed = TimestepEmbedding(model_channels, emb_dim)
        self.class_embed = nn.Embedding(num_classes + 1, emb_dim) if num_classes else None
        self.null_context = nn.Parameter(0.02 * torch.randn(1, 1, context_dim)) if context_dim else None
        self.pooled_dim = pooled_dim
        self.pooled_embed = zero_(nn.Linear(pooled_dim, emb_dim)) if pooled_dim else None  # starts as a no-op
        self.null_pooled = nn.Parameter(torch.zeros(1, pooled_dim)) if pooled_dim else None

        def layer(i: int, o: int, attention: bool) -> UNetLayer:
            return UNetLayer(
                i,
                o,
                emb_dim=emb_dim,
                dropout=dropout,
                scale_shift=scale_shift,
                attention=attention,
                head_dim=head_dim,
                context_dim=context_dim,
            )

        self.conv_in = nn.Conv2d(in_channels + extra_in_channels, model_channels, 3, padding=1)
        self.down = nn.ModuleList()
        skip_channels, ch, size = [model_channels], model_channels, image_size
        level_sizes = []
        for level, mult in enumerate(channel_mult):
            level_sizes.append(size)
            for _ in range(num_res_blocks):
                self.down.append(layer(ch, model_channels * mult, size in attention_resolutions))
                ch = model_channels * mult
                skip_channels.append(ch)
            if level < len(channel_mult) - 1:
                self.down.append(Downsample(ch))
                skip_channels.append(ch)
                size = (size + 1) // 2
        self.mid = nn.ModuleList([layer(ch, ch, mid_attention), layer(ch, ch, False)])
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for _ in range(num_res_blocks + 1):
                self.up.append(
                    layer(
                        ch + skip_channels.pop(),
                        model_channels * mult,
                        level_sizes[level] in attention_resolutions,
                    )
                )
                ch = model_channels * mult
            if level > 0:
                self.up.append(Upsample(ch))
        self.out = nn.Sequential(
            group_norm(ch), nn.SiLU(), zero_(nn.Conv2d(ch, out_channels or in_channels, 3, padding=1))
        )

    def null_context_like(self, batch: int, length: int = 1) -> torch.Tensor:
        """The learned null context repeated to [batch, length, context_dim] (for classifier-free guidance)."""
        if self.null_context is None:
            raise ValueError("this UNet has no context_dim")
        return self.null_context.expand(batch, length, -1)

    def null_pooled_like(self, batch: int) -> torch.Tensor:
        """The learned null pooled embedding repeated to [batch, pooled_dim]."""
        if self.null_pooled is None:
            raise ValueError("this UNet has no pooled_dim")
        return self.null_pooled.expand(batch, -1)

    def embed(
        self,
        t: torch.Tensor,
        class_labels: torch.Tensor | None,
        pooled: torch.Tensor | None = None,
        class_embedding: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """e(t) (+ W·pooled) + the class row; `class_embedding` [B, emb_dim] replaces the row (null-text
        inversion optimises the null class's)."""
        emb = self.time_embed(t)
        if self.pooled_embed is not None:
            pooled = self.null_pooled_like(t.shape[0]) if pooled is None else pooled
            emb = emb + self.pooled_embed(pooled.to(emb.dtype))
        if class_embedding is not None:
            emb = emb + class_embedding.to(emb.dtype)
        elif self.class_embed is not None:
            if class_labels is None:
                class_labels = torch.full_like(t, self.num_classes)
            null = torch.full_like(class_labels, self.num_classes)
            emb = emb + self.class_embed(torch.where(class_labels < 0, null, class_labels))
        return emb

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        class_labels: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
        context_mask: torch.Tensor | None = None,
        extra: torch.Tensor | None = None,
        pooled: torch.Tensor | None = None,
        class_embedding: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x [B, C, H, W], t int64 [B] → prediction [B, out_channels, H, W]."""
        if self.extra_in_channels:
            if extra is None or extra.shape[1] != self.extra_in_channels:
                raise ValueError(f"this UNet needs `extra` [B, {self.extra_in_channels}, H, W] inputs")
            x = torch.cat([x, extra.to(x.dtype)], dim=1)
        if self.null_context is not None and context is None:
            context, context_mask = self.null_context_like(x.shape[0]), None
        emb = self.embed(t, class_labels, pooled, class_embedding)
        h = self.conv_in(x)
        skips = [h]
        for module in self.down:
            h = module(h, emb, context, context_mask) if isinstance(module, UNetLayer) else module(h)
            skips.append(h)
        for module in self.mid:
            h = module(h, emb, context, context_mask)
        for module in self.up:
            if isinstance(module, UNetLayer):
                h = module(torch.cat([h, skips.pop()], dim=1), emb, context, context_mask)
            else:
                h = module(h, size=skips[-1].shape[-2:])
        return self.out(h)
