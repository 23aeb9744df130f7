import math

import pytest
import torch
import torch.nn.functional as F

from genvision.nn import (
    AttentionBlock,
    CrossAttention,
    Downsample,
    ResBlock,
    SelfAttention,
    TimestepEmbedding,
    Upsample,
    group_norm,
    timestep_embedding,
)


def test_timestep_embedding_closed_form():
    t = torch.tensor([0, 1, 500])
    emb = timestep_embedding(t, 8)
    assert emb.shape == (3, 8)
    freqs = [10000 ** (-k / 4) for k in range(4)]
    expected = [[math.cos(tt * f) for f in freqs] + [math.sin(tt * f) for f in freqs] for tt in (0, 1, 500)]
    torch.testing.assert_close(emb, torch.tensor(expected), rtol=1e-5, atol=1e-5)
    assert timestep_embedding(t, 7).shape == (3, 7) and timestep_embedding(t, 7)[:, -1].abs().max() == 0
    assert TimestepEmbedding(16, 64)(t).shape == (3, 64)


def test_group_norm_picks_a_divisor():
    assert (
        group_norm(64).num_groups == 32 and group_norm(48).num_groups == 16 and group_norm(3).num_groups == 1
    )


def test_resblock_starts_as_identity_and_uses_time_embedding():
    block = ResBlock(16, 16, emb_dim=8, dropout=0.1)
    x, emb = torch.randn(2, 16, 5, 5), torch.randn(2, 8)
    block.eval()
    torch.testing.assert_close(block(x, emb), x)  # zero-initialised last conv
    torch.nn.init.normal_(block.conv2.weight)
    a, b = block(x, emb), block(x, emb + 1)
    assert not torch.allclose(a, b)
    wider = ResBlock(16, 32, emb_dim=8, scale_shift=False)
    assert wider(x, emb).shape == (2, 32, 5, 5)


def test_self_attention_matches_manual_softmax():
    attn = SelfAttention(8, head_dim=4)
    torch.nn.init.normal_(attn.proj.weight)
    x = torch.randn(2, 8, 3, 5)
    tokens = attn.norm(x).flatten(2).transpose(1, 2)  # [B, 15, 8]
    q, k, v = attn.qkv(tokens).chunk(3, -1)
    out = []
    for h in range(2):
        sl = slice(4 * h, 4 * h + 4)
        w = torch.softmax(q[..., sl] @ k[..., sl].transpose(1, 2) / 2.0, -1)
        out.append(w @ v[..., sl])
    expected = x + attn.proj(torch.cat(out, -1)).transpose(1, 2).reshape(2, 8, 3, 5)
    torch.testing.assert_close(attn(x), expected, rtol=1e-4, atol=1e-5)
    # channels_last input gives the same result
    torch.testing.assert_close(attn(x.to(memory_format=torch.channels_last)), expected, rtol=1e-4, atol=1e-5)


def test_cross_attention_respects_context_and_mask():
    cross = CrossAttention(8, context_dim=6, head_dim=8)
    torch.nn.init.normal_(cross.proj.weight)
    x, ctx = torch.randn(1, 8, 2, 2), torch.randn(1, 3, 6)
    full = cross(x, ctx)
    # masking out tokens 1, 2 equals attending to token 0 alone
    masked = cross(x, ctx, torch.tensor([[True, False, False]]))
    torch.testing.assert_close(masked, cross(x, ctx[:, :1]))
    assert not torch.allclose(full, masked)
    block = AttentionBlock(8, 8, context_dim=6)
    with pytest.raises(ValueError, match="pass a context"):
        block(x)
    assert block(x, ctx).shape == x.shape


def test_resampling_odd_sizes():
    x = torch.randn(1, 4, 7, 7)
    down = Downsample(4)(x)
    assert down.shape[-2:] == (4, 4)
    assert Upsample(4)(down, size=(7, 7)).shape[-2:] == (7, 7)
    assert Upsample(4)(down).shape[-2:] == (8, 8)
    up = F.interpolate(torch.arange(4.0).view(1, 1, 2, 2), size=(4, 4), mode="nearest")
    assert up[0, 0, 0].tolist() == [0, 0, 1, 1]
