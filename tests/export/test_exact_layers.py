"""The exact stand-ins of genvision.export.exact_layers: the same numbers as the layers they replace (the
closed forms: y = z · W.reshape(K, C·kh·kw) + b; a stride-2 transposed convolution in phase form), and the
exported GAN generators use them."""

import pytest
import torch
import torch.nn as nn

from genvision.export.exact_layers import (
    DenseTransposedConv,
    PhasePixels,
    PhaseUpsample,
    dense_first_layers,
    is_dense,
    phase_pairs,
)
from genvision.export.graphs import gan_graphs
from genvision.export.writer import export_graph
from genvision.models.dcgan import DCGANGenerator

onnx = pytest.importorskip("onnx")


@pytest.mark.parametrize("bias", [False, True])
def test_dense_transposed_conv_is_the_convolution_of_a_1x1_input(bias):
    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(5, 3, (7, 4), bias=bias)
    z = torch.randn(6, 5, 1, 1)
    dense = DenseTransposedConv(conv)
    expected = torch.einsum("bk,kcij->bcij", z[:, :, 0, 0], conv.weight)
    if bias:
        expected = expected + conv.bias[:, None, None]
    with torch.no_grad():
        assert torch.allclose(dense(z), expected, atol=1e-6)
        assert torch.allclose(dense(z), conv(z), atol=1e-6)
        wide = torch.randn(2, 5, 3, 2)  # not 1 × 1: the convolution itself
        assert torch.equal(dense(wide), conv(wide))


def test_only_unpadded_ungrouped_layers_are_dense():
    assert is_dense(nn.ConvTranspose2d(4, 4, 4, 1, 0))
    assert not is_dense(nn.ConvTranspose2d(4, 4, 4, 2, 1))  # padding crops the output
    assert not is_dense(nn.ConvTranspose2d(4, 4, 4, groups=2))
    assert not is_dense(nn.ConvTranspose2d(4, 4, 4, dilation=2))


def upsampling_pair(c_in: int, hidden: int, c_out: int, norm: bool, bias: bool) -> nn.Sequential:
    """[ConvT(4, 2, 1), BatchNorm with trained-looking statistics?, ReLU, ConvT(4, 2, 1)] in eval mode."""
    layers = [nn.ConvTranspose2d(c_in, hidden, 4, 2, 1, bias=bias)]
    if norm:
        bn = nn.BatchNorm2d(hidden)
        bn.running_mean.uniform_(-0.5, 0.5), bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5), bn.bias.data.uniform_(-0.3, 0.3)
        layers.append(bn)
    layers += [nn.ReLU(), nn.ConvTranspose2d(hidden, c_out, 4, 2, 1, bias=bias)]
    return nn.Sequential(*layers).eval()


@pytest.mark.parametrize(
    ("norm", "bias", "hw"), [(True, False, (7, 7)), (False, True, (3, 5)), (True, True, (1, 2))]
)
def test_a_pair_of_stride2_upsamplings_in_phase_form_is_the_pair(norm, bias, hw):
    torch.manual_seed(0)
    pair = upsampling_pair(6, 5, 3, norm, bias)
    x = torch.randn(4, 6, *hw)
    fast = phase_pairs(pair, lambda m: m(x))
    assert [type(m) for m in fast] == [PhaseUpsample, PhasePixels]
    assert isinstance(pair[0], nn.ConvTranspose2d)  # the original is untouched
    with torch.no_grad():
        expected = pair(x)
        phases = fast[0](x)
        got = fast[1](phases)
    assert got.shape == expected.shape == (4, 3, 4 * hw[0], 4 * hw[1])
    assert (got - expected).abs().max() <= 1e-5
    # the phase form: channel (a, b, c) at window (r, u) holds hidden pixel (2r + a − 1, 2u + b − 1), 0 outside
    with torch.no_grad():
        hidden = pair[:-1](x)
    grid = phases.reshape(4, 2, 2, 5, hw[0] + 1, hw[1] + 1).permute(0, 3, 4, 1, 5, 2)
    grid = grid.reshape(4, 5, 2 * hw[0] + 2, 2 * hw[1] + 2)
    assert (grid[:, :, 1:-1, 1:-1] - hidden).abs().max() <= 1e-5
    border = torch.ones_like(grid, dtype=torch.bool)
    border[:, :, 1:-1, 1:-1] = False
    assert grid[border].abs().max() == 0


def test_only_a_relu_run_of_two_plain_stride2_upsamplings_is_rewritten():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 3)
    leaky = nn.Sequential(
        nn.ConvTranspose2d(4, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.ConvTranspose2d(4, 2, 4, 2, 1)
    )
    other = nn.Sequential(nn.ConvTranspose2d(4, 4, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(4, 2, 3, 2, 1))
    alone = nn.Sequential(nn.ConvTranspose2d(4, 4, 4, 2, 1), nn.ReLU())
    for net in (leaky, other, alone):
        assert [type(m) for m in phase_pairs(net, lambda m: m(x))] == [type(m) for m in net]


@pytest.mark.parametrize("image_size", [28, 64])
def test_the_exported_dcgan_generator_is_a_matmul_and_convolutions(tmp_path, image_size):
    torch.manual_seed(0)
    generator = DCGANGenerator(z_dim=8, image_size=image_size, channels=3, base_channels=4).eval()
    copy = dense_first_layers(generator)
    assert isinstance(copy.net[0], DenseTransposedConv) and isinstance(generator.net[0], nn.ConvTranspose2d)
    (graph,) = gan_graphs(generator, "dcgan", 8)
    export_graph(graph, tmp_path / "generator.onnx")  # refuses a graph > 1e-4 from its module at batch 1, 5
    ops = [node.op_type for node in onnx.load(str(tmp_path / "generator.onnx")).graph.node]
    upsamplings = 2 if image_size == 28 else 4  # 7 → 14 → 28; 4 → 8 → 16 → 32 → 64
    assert "MatMul" in ops and "ConvTranspose" not in ops
    assert ops.count("Conv") == upsamplings and ops.count("DepthToSpace") == upsamplings // 2
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert (graph.module(z) - generator(z)).abs().max() <= 1e-5
