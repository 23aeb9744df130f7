"""The attention blocks rewritten for export with feature maps kept channels-first: the same function, about a
third fewer graph nodes and no token/head Transposes of the activations.

    unet = channels_first_attention(unet)     # a copy; the torch backend keeps SDPA on [B, heads, N, d] tokens

With q, v [B, h, d, N] read straight from the 1 × 1 projections of x [B, C, H, W] (C = h·d, N = H·W) and keys
as rows k̃ [B, h, N_k, d]:

    Sᵀ = k̃ (q / √d)            [B, h, N_k, N_q]      (scores, keys along axis −2)
    Pᵀ = softmax over axis −2;  masked keys get −∞ first and 0 after (a row with no key left gives 0, as SDPA)
    O  = v Pᵀ                   [B, h, d, N_q]   →  reshape [B, C, H, W]  →  1 × 1 output projection

Measured on the fashion-ldm UNet (onnxruntime, 1 thread, process CPU time, median of 21, 2-core Xeon shared
with other jobs): 1.17–1.20× faster per call at batch 1, 1.04–1.05× at batch 32.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.export.exact_layers import replaced
from genvision.models.autoencoder import SelfAttention as AutoencoderAttention
from genvision.nn.attention import CrossAttention, SelfAttention


def attend(
    q: torch.Tensor, keys: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """q [B, h, d, N_q], keys [B, h, N_k, d], v [B, h, d, N_k], mask [B, 1, N_k, 1] (True: attend) → [B, h, d, N_q]."""
    scores = torch.matmul(keys, q * q.shape[2] ** -0.5)
    if mask is None:
        return torch.matmul(v, scores.softmax(dim=-2))
    weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-2).masked_fill(~mask, 0.0)
    return torch.matmul(v, weights)


def conv1x1(x: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
    """`linear` over the channels of x [B, C, H, W]."""
    return F.conv2d(x, linear.weight[:, :, None, None], linear.bias)


class Rewritten(nn.Module):
    """A block's channels-first stand-in, holding the block (its weights)."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block


class ChannelsFirstSelfAttention(Rewritten):
    """genvision.nn.attention.SelfAttention (its weights), channels-first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = x.shape
        h = self.block.num_heads
        qkv = conv1x1(self.block.norm(x), self.block.qkv).reshape(b, 3, h, c // h, hh * ww)
        out = attend(qkv[:, 0], qkv[:, 1].transpose(-1, -2), qkv[:, 2])
        return x + conv1x1(out.reshape(b, c, hh, ww), self.block.proj)


class ChannelsFirstCrossAttention(Rewritten):
    """genvision.nn.attention.CrossAttention (its weights), channels-first; keys and values from the context
    rows [B, L, D] as the torch block computes them."""

    def forward(
        self, x: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        b, c, hh, ww = x.shape
        h = self.block.num_heads
        q = conv1x1(self.block.norm(x), self.block.q).reshape(b, h, c // h, hh * ww)
        kv = self.block.kv(context.to(q.dtype)).reshape(b, context.shape[1], 2, h, c // h)
        mask = None if context_mask is None else context_mask[:, None, :, None].to(torch.bool)
        out = attend(q, kv[:, :, 0].transpose(1, 2), kv[:, :, 1].permute(0, 2, 3, 1), mask)
        return x + conv1x1(out.reshape(b, c, hh, ww), self.block.proj)


class ChannelsFirstAutoencoderAttention(Rewritten):
    """genvision.models.autoencoder.SelfAttention (one head, 1 × 1 conv projections), channels-first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, hh, ww = x.shape
        qkv = self.block.qkv(self.block.norm(x)).reshape(b, 3, 1, c, hh * ww)
        out = attend(qkv[:, 0], qkv[:, 1].transpose(-1, -2), qkv[:, 2])
        return x + self.block.out(out.reshape(b, c, hh, ww))


REWRITES: dict[type, type[Rewritten]] = {
    SelfAttention: ChannelsFirstSelfAttention,
    CrossAttention: ChannelsFirstCrossAttention,
    AutoencoderAttention: ChannelsFirstAutoencoderAttention,
}


def channels_first_attention(module: nn.Module) -> nn.Module:
    """A copy of `module` with each attention block of REWRITES wrapped in its channels-first form."""

    def rule(child: nn.Module) -> nn.Module | None:
        rewrite = REWRITES.get(type(child))
        return None if rewrite is None else rewrite(child)

    return replaced(module, rule)
