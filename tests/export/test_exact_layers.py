"""The exact stand-ins of genvision.export.exact_layers: the same numbers as the layers they replace (the
closed form: y = z · W.reshape(K, C·kh·kw) + b), and the exported GAN generator uses them."""

import pytest
import torch
import torch.nn as nn

from genvision.export.exact_layers import DenseTransposedConv, dense_first_layers, is_dense
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


def test_the_exported_dcgan_generator_starts_with_a_matmul(tmp_path):
    torch.manual_seed(0)
    generator = DCGANGenerator(z_dim=8, image_size=28, channels=1, base_channels=4).eval()
    copy = dense_first_layers(generator)
    assert isinstance(copy.net[0], DenseTransposedConv) and isinstance(generator.net[0], nn.ConvTranspose2d)
    (graph,) = gan_graphs(generator, "dcgan", 8)
    export_graph(graph, tmp_path / "generator.onnx")  # refuses a graph > 1e-4 from its module at batch 1, 5
    ops = [node.op_type for node in onnx.load(str(tmp_path / "generator.onnx")).graph.node]
    assert "MatMul" in ops and ops.count("ConvTranspose") == 2  # 7 → 14 → 28 stay transposed
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.allclose(graph.module(z), generator(z), atol=1e-5)
