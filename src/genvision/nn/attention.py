"""Multi-head attention over the pixels of a feature map, with F.scaled_dot_product_attention.

    SelfAttention:  x + Proj(softmax(Q Kᵀ/√d) V),  Q, K, V = Linear(GN(x))            over the H·W tokens
    CrossAttention: x + Proj(softmax(Q Kᵀ/√d) V),  Q = Linear(GN(x)), K, V = Linear(context [B, L, D])

Tokens are read as x.permute(0, 2, 3, 1), a free view for channels_last tensors. Output projections start
at zero, so each block starts as the identity.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.nn.norm import group_norm, zero_


def _heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """[B, N, C] → [B, heads, N, C/heads]."""
    b, n, c = x.shape
    return x.view(b, n, num_heads, c // num_heads).transpose(1, 2)


def _merge(x: torch.Tensor) -> torch.Tensor:
    """[B, heads, N, d] → [B, N, heads·d]."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


def _tokens(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(b, h * w, c)


def _image(tokens: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    b, c, h, w = like.shape
    return tokens.reshape(b, h, w, c).permute(0, 3, 1, 2)


def num_heads_for(channels: int, head_dim: int) -> int:
    if channels % head_dim and head_dim < channels:
        raise ValueError(f"{channels} channels do not split into heads of {head_dim}")
    return max(1, channels // head_dim)


class SelfAttention(nn.Module):
    def __init__(self, channels: int, head_dim: int = 32):
        super().__init__()
        self.num_heads = num_heads_for(channels, head_dim)
        self.norm = group_norm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = zero_(nn.Linear(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(_tokens(self.norm(x))).chunk(3, dim=-1)
        h = F.scaled_dot_product_attention(*(_heads(z, self.num_heads) for z in (q, k, v)))
        return x + _image(self.proj(_merge(h)), x)


class CrossAttention(nn.Module):
    def __init__(self, channels: int, context_dim: int, head_dim: int = 32):
        super().__init__()
        self.num_heads = num_heads_for(channels, head_dim)
        self.norm = group_norm(channels)
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(context_dim, 2 * channels)
        self.proj = zero_(nn.Linear(channels, channels))

    def forward(
        self, x: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`context` [B, L, D]; `context_mask` [B, L] bool, True where a token may be attended to."""
        q = _heads(self.q(_tokens(self.norm(x))), self.num_heads)
        k, v = (_heads(z, self.num_heads) for z in self.kv(context.to(q.dtype)).chunk(2, dim=-1))
        mask = None if context_mask is None else context_mask[:, None, None, :].to(torch.bool)
        h = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return x + _image(self.proj(_merge(h)), x)


class AttentionBlock(nn.Module):
    """Self-attention, then cross-attention to a context when `context_dim` is set."""

    def __init__(self, channels: int, head_dim: int = 32, context_dim: int | None = None):
        super().__init__()
        self.self_attn = SelfAttention(channels, head_dim)
        self.cross_attn = CrossAttention(channels, context_dim, head_dim) if context_dim else None

    def forward(
        self, x: torch.Tensor, context: torch.Tensor | None = None, context_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        x = self.self_attn(x)
        if self.cross_attn is not None:
            if context is None:
                raise ValueError("this attention block cross-attends: pass a context [B, L, context_dim]")
            x = self.cross_attn(x, context, context_mask)
        return x
