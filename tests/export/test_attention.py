"""The channels-first attention of exported graphs (genvision.export.attention) is the torch blocks' function:
against a closed-form softmax(QKᵀ/√d)V per head, against the blocks themselves (masks included, a fully masked
row giving 0 as SDPA), and it leaves no token/head Transpose of the activations in an exported graph."""

import pytest
import torch

from genvision.export.attention import (
    ChannelsFirstAutoencoderAttention,
    ChannelsFirstCrossAttention,
    ChannelsFirstSelfAttention,
    attend,
    channels_first_attention,
)
from genvision.export.graphs import Graph
from genvision.export.writer import export_graph
from genvision.models.autoencoder import SelfAttention as AutoencoderAttention
from genvision.nn.attention import AttentionBlock, CrossAttention, SelfAttention

onnx = pytest.importorskip("onnx")


def randomise(module):
    torch.manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return module.eval()


def test_attend_is_softmax_of_scaled_scores():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 6), torch.randn(2, 3, 4, 6)  # [B, h, d, N]
    mask = torch.rand(2, 1, 6, 1) > 0.3
    mask[:, :, 0] = True
    for m in (None, mask):
        scores = torch.einsum("bhdi,bhdj->bhij", q, k) / 2.0  # √d = 2
        if m is not None:
            scores = scores.masked_fill(~m[:, :, :, 0][:, :, None, :], float("-inf"))
        expected = torch.einsum("bhij,bhdj->bhdi", scores.softmax(-1), v)
        assert torch.allclose(attend(q, k.transpose(-1, -2), v, m), expected, atol=1e-6)


def test_blocks_compute_what_the_torch_blocks_compute():
    x, context = torch.randn(3, 64, 5, 4), torch.randn(3, 7, 24)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, 3:] = False
    mask[1] = False  # no key at all: 0, as scaled_dot_product_attention
    with torch.no_grad():
        block = randomise(SelfAttention(64))
        assert torch.allclose(ChannelsFirstSelfAttention(block)(x), block(x), atol=1e-5)
        cross = randomise(CrossAttention(64, 24))
        for m in (None, mask):
            assert torch.allclose(
                ChannelsFirstCrossAttention(cross)(x, context, m), cross(x, context, m), atol=1e-5
            )
        single = randomise(AutoencoderAttention(64))
        assert torch.allclose(ChannelsFirstAutoencoderAttention(single)(x), single(x), atol=1e-5)


def test_an_exported_attention_block_has_no_activation_transposes(tmp_path):
    block = randomise(AttentionBlock(64, head_dim=32, context_dim=24))
    copy = channels_first_attention(block)
    assert isinstance(copy.self_attn, ChannelsFirstSelfAttention) and isinstance(
        block.self_attn, SelfAttention
    )
    inputs = {
        "x": torch.randn(2, 64, 5, 4),
        "context": torch.randn(2, 7, 24),
        "mask": torch.ones(2, 7).bool(),
    }
    export_graph(Graph("attn", copy, inputs, "y"), tmp_path / "attn.onnx")  # refuses > 1e-4 from `copy`
    transposes = [n for n in onnx.load(str(tmp_path / "attn.onnx")).graph.node if n.op_type == "Transpose"]
    assert len(transposes) == 3  # the keys of each block and the context values: no token/head layouts
    with torch.no_grad():
        assert torch.allclose(copy(*inputs.values()), block(*inputs.values()), atol=1e-5)
