"""ONNX export: valid opset-17 graphs with a free batch axis that match torch per call (≤ 1e-4 at batch 1 and 5),
a manifest whose arrays equal the closed forms and the library's own values, and one-line errors."""

import json
import shutil

import numpy as np
import pytest
import torch

import genvision
from genvision.data.captions import caption_set
from genvision.diffusion.timesteps import timestep_pairs
from genvision.errors import GenvisionError
from genvision.export.manifest import MANIFEST_NAME, read_array, read_manifest
from genvision.export.runtime import OnnxAutoencoder, OnnxStyleGenerator, OnnxUNet
from genvision.export.writer import cache_folder, content_hash, export_bundle
from genvision.models.bundle import load_bundle

onnx = pytest.importorskip("onnx")
TOL = 1e-4


def gen(seed):
    return torch.Generator().manual_seed(seed)


def check_graph_files(folder, manifest):
    for name, entry in manifest["graphs"].items():
        model = onnx.load(str(folder / entry["file"]))
        onnx.checker.check_model(model, full_check=True)
        assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [17]
        assert [i.name for i in model.graph.input] == [i["name"] for i in entry["inputs"]], name
        for value in [*model.graph.input, *model.graph.output]:
            assert value.type.tensor_type.shape.dim[0].dim_param == "batch", (name, value.name)
        assert entry["max_abs_diff_vs_torch"] <= TOL and entry["checked_batches"] == [1, 5]


def unet_conditions(torch_unet, b, seed):
    g = gen(seed)
    mask = torch.rand(b, 16, generator=g) > 0.4
    mask[:, 0] = True
    return {
        "class_labels": torch.randint(0, 11, (b,), generator=g),  # 10: the null class
        "context": torch.randn(b, 16, 384, generator=g),
        "context_mask": mask,
        "pooled": torch.randn(b, 384, generator=g),
    }


def test_ddpm_export_per_call_parity_and_schedule(exported):
    folder = exported("fashion-ddpm")
    manifest = read_manifest(folder)
    check_graph_files(folder, manifest)
    assert manifest["kind"] == "ddpm" and manifest["opset"] == 17
    assert list(manifest["graphs"]) == ["unet"]
    assert [i["name"] for i in manifest["graphs"]["unet"]["inputs"]] == ["x", "t"]  # unconditional bundle
    d = manifest["diffusion"]
    # the linear schedule in closed form: β_t from 1e-4 to 0.02 over T = 1000, ᾱ_t = Π (1 − β_s)
    betas = np.linspace(1e-4, 0.02, 1000)
    np.testing.assert_allclose(read_array(folder, d["arrays"]["betas"]), betas, rtol=1e-12)
    np.testing.assert_allclose(
        read_array(folder, d["arrays"]["alphas_cumprod"]), np.cumprod(1 - betas), rtol=1e-10
    )
    assert d["sampling"]["timesteps"] == [list(p) for p in timestep_pairs(1000, 10, "trailing")]
    assert (d["prediction"], d["clip_x0"], d["latent"]["space"]) == ("v", 1.0, "pixel")  # v2 predicts v
    torch_unet = genvision.load("fashion-ddpm", device="cpu", precision="fp32").unet
    onnx_unet = OnnxUNet(folder, manifest)
    for b in (1, 5):
        x, t = torch.randn(b, 1, 28, 28, generator=gen(b)), torch.randint(0, 1000, (b,), generator=gen(b))
        with torch.no_grad():
            expected = torch_unet(x, t)
        assert (onnx_unet(x, t) - expected).abs().max() <= TOL


@pytest.mark.slow
def test_ldm_export_unet_encoder_decoder_and_captions(exported):
    folder = exported("fashion-ldm")
    manifest = read_manifest(folder)
    check_graph_files(folder, manifest)
    assert list(manifest["graphs"]) == ["unet", "encoder", "decoder"]
    names = [i["name"] for i in manifest["graphs"]["unet"]["inputs"]]
    assert names == ["x", "t", "class_labels", "context", "context_mask", "pooled"]
    model = genvision.load("fashion-ldm", device="cpu", precision="fp32")
    onnx_unet, onnx_ae = OnnxUNet(folder, manifest), OnnxAutoencoder(folder, manifest, "autoencoder")
    for b in (1, 5):
        x, t = torch.randn(b, 4, 7, 7, generator=gen(b)), torch.randint(0, 1000, (b,), generator=gen(b))
        cond = unet_conditions(model.unet, b, b)
        images = torch.rand(b, 1, 28, 28, generator=gen(b)) * 2 - 1
        with torch.no_grad():
            assert (onnx_unet(x, t, **cond) - model.unet(x, t, **cond)).abs().max() <= TOL
            assert (onnx_ae.encode(images) - model.autoencoder.encode(images)).abs().max() <= TOL
            z = model.autoencoder.encode(images)
            assert (onnx_ae.decode(z) - model.autoencoder.decode(z)).abs().max() <= TOL
    d = manifest["diffusion"]
    assert d["conditioning"]["null_class"] == 10 and d["latent"]["scale"] == model.latent_scale
    np.testing.assert_array_equal(
        read_array(folder, d["arrays"]["null_context"]),
        model.unet.null_context_like(1, 16)[0].detach().numpy(),
    )
    captions = d["captions"]
    names = model.class_names
    assert captions["prompts"] == caption_set("fashion-mnist", "train", names) + caption_set(
        "fashion-mnist", "held_out", names
    )
    picks = [0, 7, len(captions["prompts"]) - 1]
    emb = model.text_encoder().encode([captions["prompts"][i] for i in picks])
    tokens = read_array(folder, d["arrays"]["caption_tokens"])
    assert tokens.shape == (len(captions["prompts"]), 16, 384)
    np.testing.assert_allclose(tokens[picks], emb.tokens.numpy(), atol=1e-5)
    np.testing.assert_array_equal(
        read_array(folder, d["arrays"]["caption_mask"])[picks], emb.attention_mask.numpy()
    )
    assert captions["class_index"][7] == 7 and captions["split"][-1] == "held_out"


@pytest.mark.slow
def test_stylegan_export_mapping_synthesis_and_directions(exported):
    folder = exported("fashion-stylegan")
    manifest = read_manifest(folder)
    check_graph_files(folder, manifest)
    model = genvision.load("fashion-stylegan", device="cpu")
    g, og = model.generator, OnnxStyleGenerator(folder, manifest)
    for b in (1, 5):
        z, y = torch.randn(b, 128, generator=gen(b)), torch.arange(b) % 10
        ws = torch.randn(b, 6, 128, generator=gen(b + 1))
        with torch.no_grad():
            assert (og.mapping(z, y) - g.mapping(z, y)).abs().max() <= TOL
            assert (og.synthesis(ws) - g.synthesis(ws, noise_mode="const")).abs().max() <= TOL
            assert (og.map(z, 0.7, labels=y) - g.map(z, 0.7, labels=y)).abs().max() <= TOL  # truncation
    s = manifest["stylegan"]
    vectors = read_array(folder, s["arrays"]["directions"])
    row = s["directions"]["names"].index("class:trouser")
    np.testing.assert_allclose(vectors[row], model.direction("class:trouser").numpy(), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(read_array(folder, s["arrays"]["w_avg"]), g.w_avg.numpy())


@pytest.mark.parametrize("name", ["fashion-dcgan", "fashion-cgan", "fashion-vae", "fashion-vqvae"])
def test_small_kinds_export_valid_graphs(exported, name):
    folder = exported(name)
    manifest = read_manifest(folder)
    check_graph_files(folder, manifest)
    expected = {"fashion-dcgan": ["generator"], "fashion-cgan": ["generator"]}.get(
        name, ["encoder", "decoder"]
    )
    assert list(manifest["graphs"]) == expected


@pytest.mark.slow
def test_captions_per_class_keeps_the_first_k_per_class(tmp_path):
    folder = export_bundle("fashion-ldm", tmp_path / "web", captions_per_class=2)
    captions = read_manifest(folder)["diffusion"]["captions"]
    assert captions["split"].count("train") == 20 and captions["class_index"][:12] == list(range(10)) + [0, 1]
    assert (
        captions["prompts"][:20]
        == caption_set("fashion-mnist", "train", load_bundle("fashion-ldm").spec.data.class_names)[:20]
    )


def test_errors_for_a_classifier_and_for_a_folder_that_holds_an_export(exported, tmp_path):
    with pytest.raises(GenvisionError, match="generates nothing to export") as err:
        export_bundle("fashion-classifier", tmp_path / "c")
    assert "\n" not in str(err.value) and not (tmp_path / "c").exists()
    folder = exported("fashion-dcgan")
    before = (folder / MANIFEST_NAME).read_bytes()
    with pytest.raises(GenvisionError, match="holds another export"):
        export_bundle("fashion-cgan", folder)
    assert (folder / MANIFEST_NAME).read_bytes() == before
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep me")
    with pytest.raises(GenvisionError, match="not empty"):
        export_bundle("fashion-dcgan", tmp_path / "full")
    assert (tmp_path / "full" / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]  # no temporary folder left behind


def test_cache_key_follows_the_bundle_content(tmp_path):
    copy = tmp_path / "fashion-dcgan"
    shutil.copytree(load_bundle("fashion-dcgan").path, copy)
    before = cache_folder(load_bundle(copy))
    assert content_hash(copy) == content_hash(load_bundle("fashion-dcgan").path)
    config = json.loads((copy / "config.json").read_text())
    config["metrics"]["note"] = 1.0
    (copy / "config.json").write_text(json.dumps(config))
    assert cache_folder(load_bundle(copy)) != before
