"""Graph variants the shipped bundles do not cover (label-map inputs, a KL autoencoder, a conditional VAE, an
unconditional StyleGAN), exported from tiny random networks: export_graph itself refuses a graph that differs
from torch by more than 1e-4 at batch 1 or 5, and the files are checked here with onnx.checker."""

import pytest
import torch

from genvision.export.graphs import autoencoder_graphs, stylegan_graphs, unet_graph
from genvision.export.writer import export_graph
from genvision.models.stylegan import StyleGANGenerator
from genvision.models.vae import VAE
from tests.generators.fixtures import tiny_ldm

onnx = pytest.importorskip("onnx")


def export_all(graphs, folder):
    entries = {}
    for graph in graphs:
        entries[graph.name] = export_graph(graph, folder / f"{graph.name}.onnx")
        onnx.checker.check_model(onnx.load(str(folder / f"{graph.name}.onnx")), full_check=True)
    return entries


def input_names(entry):
    return [i["name"] for i in entry["inputs"]]


def test_label_map_unet_and_kl_autoencoder(tmp_path):
    model = tiny_ldm(classes=True, text=True, mask_parts=3, variant="kl")
    entries = export_all(
        [
            unet_graph(model.unet, model.spec),
            *autoencoder_graphs(model.autoencoder, "autoencoder", (1, 16, 16)),
        ],
        tmp_path,
    )
    assert input_names(entries["unet"]) == ["x", "t", "class_labels", "context", "context_mask", "extra"]
    assert entries["unet"]["inputs"][-1]["shape"] == ["batch", 3, 4, 4]
    assert entries["decoder"]["inputs"][0]["shape"] == ["batch", 2, 4, 4]
    assert all(e["max_abs_diff_vs_torch"] <= 1e-4 for e in entries.values())


def test_conditional_vae_takes_class_labels(tmp_path):
    torch.manual_seed(0)
    vae = VAE(in_channels=1, image_size=8, latent_dim=4, channels=[8, 8], hidden=16, num_classes=3).eval()
    entries = export_all(autoencoder_graphs(vae, "vae", (1, 8, 8)), tmp_path)
    assert input_names(entries["encoder"]) == ["images", "class_labels"]
    assert input_names(entries["decoder"]) == ["latents", "class_labels"]
    assert entries["encoder"]["outputs"][0]["shape"] == ["batch", 4]


def test_unconditional_stylegan_mapping_takes_z_only(tmp_path):
    torch.manual_seed(0)
    generator = StyleGANGenerator(
        resolution=8, channels=1, z_dim=8, w_dim=8, mapping_layers=2, channel_base=64, channel_max=16
    ).eval()
    entries = export_all(stylegan_graphs(generator), tmp_path)
    assert input_names(entries["mapping"]) == ["z"]
    assert entries["synthesis"]["inputs"][0]["shape"] == ["batch", generator.num_ws, 8]
