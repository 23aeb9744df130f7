"""The ldm family end to end on a tiny autoencoder bundle: train a few steps, export, load, sample, inpaint."""

import json
import subprocess

import numpy as np
import pytest
import torch

import genvision
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import save_bundle
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from genvision.workflows.inputs import build_fills, load_reference
from genvision.workflows.sample import SampleRequest, sample
from tests.conftest import GENVISION, REPO, fashion_available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST not installed"),
]


@pytest.fixture(scope="module")
def ldm_bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("ldm")
    torch.manual_seed(0)
    ae = AutoencoderNet(
        in_channels=1,
        image_size=28,
        variant="kl",
        downsample=4,
        channels=[8, 8, 8],
        latent_channels=4,
        mid_attention=False,
    )
    save_bundle(
        root / "ae",
        "autoencoder",
        {"autoencoder": ae},
        {"data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]}, "latent_scale": 0.8},
    )
    from genvision.models.classifier import ClassifierNet

    save_bundle(
        root / "cls",
        "classifier",
        {"classifier": ClassifierNet(channels=(8, 16))},
        {"data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]}},
    )
    overrides = [
        f"model.autoencoder={root / 'ae'}",
        "train.steps=3",
        "train.batch_size=8",
        "data.limit=64",
        "model.model_channels=32",
        "model.num_res_blocks=1",
        "train.preview_n=2",
        "recipe.preview_steps=2",
        f"recipe.eval_classifier={root / 'cls'}",
        "recipe.eval_n=20",
        "train.tensorboard=false",
        "train.device=cpu",
    ]
    cfg = load_run_config(REPO / "configs" / "ldm_fashion.yaml", overrides)
    bundle = Trainer(cfg, root / "run", quiet=True).run()
    return bundle


def test_bundle_layout(ldm_bundle):
    config = json.loads((ldm_bundle / "config.json").read_text())
    assert config["kind"] == "ldm" and config["components"] == ["autoencoder", "unet"]
    assert config["latent_scale"] == 0.8 and config["latent_shape"] == [4, 7, 7]
    assert config["conditioning"] == {
        "num_classes": 10,
        "text_encoder": "minilm",
        "text_max_length": 16,
        "text_dim": 384,
        "text_pooled": True,
        "mask_parts": 0,
    }
    assert config["captions"] == {
        "dataset": "fashion-mnist",
        "train_templates": 36,
        "train_captions_per_class": 108,
        "held_out_templates": 3,
    }
    assert (ldm_bundle / "autoencoder" / "config.json").is_file() and (
        ldm_bundle / "unet" / "model.safetensors"
    ).is_file()
    metrics = config[
        "metrics"
    ]  # measured at export with the eval classifier (random here: values only bounded)
    for key in (
        "class_accuracy",
        "text_accuracy_train_templates",
        "text_accuracy_held_out_templates",
        "text_accuracy_paraphrases",
        "text_accuracy_paraphrases_worst_class",
    ):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["text_accuracy_paraphrases_worst_class"] <= metrics["text_accuracy_paraphrases"]
    assert (
        metrics["images_per_second"] > 0
        and metrics["fid_unconditional"] >= 0
        and metrics["fid_class_guided"] >= 0
    )


def test_load_and_sample_with_held_out_prompt(ldm_bundle):
    model = genvision.load(ldm_bundle, device="cpu")
    conds = [
        model.condition(label="sneaker"),
        model.condition(prompt="here is an ankle boot"),
        model.condition(),
    ]
    images = model.generate(conds, guidance=3.0, steps=2, seed=0).images
    assert images.shape == (3, 1, 28, 28) and torch.isfinite(images).all()


def test_inpaint_cli(ldm_bundle, tmp_path):
    out = subprocess.run(
        GENVISION
        + [
            "inpaint",
            str(ldm_bundle),
            "--data",
            "fashion-mnist:test:0-3",
            "--mask-shape",
            "center",
            "--out",
            str(tmp_path / "panel.png"),
            "--npy",
            str(tmp_path / "r.npy"),
            "--steps",
            "2",
            "--resample",
            "2,2",
            "--trajectory",
            str(tmp_path / "t.png"),
            "--precision",
            "auto",
            "--device",
            "cpu",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "inpainted 3 image(s)" in out.stdout
    results = np.load(tmp_path / "r.npy")
    assert results.shape == (3, 28, 28) and results.dtype == np.uint8
    from genvision.data import load_images_from_ref
    from genvision.viz.images import npy_layout

    original = npy_layout(load_images_from_ref("fashion-mnist:test:0-3")[0])
    assert np.array_equal(results[:, :7], original[:, :7])  # outside the centre box: the original pixels
    assert (tmp_path / "panel.png").is_file() and (tmp_path / "t.png").is_file()


def test_inpaint_cli_errors(ldm_bundle, tmp_path):
    out = subprocess.run(
        GENVISION
        + [
            "inpaint",
            str(ldm_bundle),
            "--data",
            "fashion-mnist:test:0-2",
            "--mask-shape",
            "part:hair",
            "--out",
            str(tmp_path / "p.png"),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2 and "part label maps" in out.stderr


@pytest.fixture(scope="module")
def celeba_mask_ldm(tmp_path_factory):
    from genvision.data.synthetic import make_mini_celebamask_tree

    root = tmp_path_factory.mktemp("celeba_ldm")
    tree = make_mini_celebamask_tree(root / "data", n=20, size=32, mask_size=32)
    torch.manual_seed(0)
    ae = AutoencoderNet(
        in_channels=3,
        image_size=16,
        variant="vq",
        downsample=4,
        channels=[8, 8, 8],
        latent_channels=3,
        mid_attention=False,
        num_codes=16,
    )
    save_bundle(
        root / "ae",
        "autoencoder",
        {"autoencoder": ae},
        {"data": {"dataset": "celebamask-hq", "shape": [3, 16, 16]}, "latent_scale": 1.0},
    )
    overrides = [
        f"model.autoencoder={root / 'ae'}",
        f"data.data_dir={tree}",
        "data.image_size=16",
        "data.num_workers=0",
        "train.steps=2",
        "train.batch_size=4",
        "model.model_channels=32",
        "model.channel_mult=[1]",
        "model.attention_resolutions=[4]",
        "model.num_res_blocks=1",
        "model.text_conditional=false",
        "train.preview_n=2",
        "recipe.preview_steps=2",
        "recipe.text_cache=null",
        "train.tensorboard=false",
        "train.device=cpu",
    ]
    cfg = load_run_config(REPO / "configs" / "ldm_celebahq256.yaml", overrides)
    return Trainer(cfg, root / "run", quiet=True).run(), tree


def test_mask_conditional_celeba_ldm_and_part_inpainting(celeba_mask_ldm):
    bundle, tree = celeba_mask_ldm
    model = genvision.load(bundle, device="cpu", precision="fp32")
    assert model.conditioning.mask_parts == 19 and model.latent_shape == (3, 4, 4)
    images, _, label_maps = load_reference(
        "celebamask-hq:test:0-2", model.image_shape, str(tree), with_label_maps=True
    )
    fills = build_fills(images, mask_shape="part:hair", label_maps=label_maps)
    assert torch.equal(fills[:, 0].bool(), label_maps == 13)
    result = model.inpaint(images, fills, steps=2, guidance=2.0)
    keep = fills.expand_as(images) == 0
    assert torch.equal(result.composite[keep], images[keep])
    conds = [model.condition(label_map=m) for m in label_maps]
    masked = model.generate(
        conds, guidance=2.0, steps=2, seed=0
    ).images  # (that masks matter: tests/generators)
    assert masked.shape == (2, 3, 16, 16) and torch.isfinite(masked).all()


def test_sample_cli_with_conditions(ldm_bundle, tmp_path):
    out = subprocess.run(
        GENVISION
        + [
            "sample",
            str(ldm_bundle),
            "-n",
            "3",
            "--class",
            "sneaker",
            "--prompt",
            "a catalogue picture showing a bag",
            "--guidance",
            "2.5",
            "--steps",
            "2",
            "--out",
            str(tmp_path / "g.png"),
            "--npy",
            str(tmp_path / "s.npy"),
            "--trajectory",
            str(tmp_path / "t.png"),
            "--trajectory-frames",
            "3",
            "--precision",
            "fp32",
            "--device",
            "cpu",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "guidance 2.5" in out.stdout and np.load(tmp_path / "s.npy").shape == (3, 28, 28)
    # the registered kind gives the same images as the pipeline (image k depends on (seed, k) only)
    model = genvision.load(ldm_bundle, device="cpu", precision="fp32")
    result = sample(
        model,
        SampleRequest(
            n=3, steps=2, label="sneaker", prompt="a catalogue picture showing a bag", guidance=2.5
        ),
    )
    # the same images up to one grey level (float rounding differs between processes with other thread counts)
    assert np.abs(result.uint8.astype(int) - np.load(tmp_path / "s.npy")).max() <= 1
    bad = subprocess.run(
        GENVISION
        + [
            "sample",
            str(ldm_bundle),
            "-n",
            "1",
            "--class",
            "hat",
            "--out",
            str(tmp_path / "b.png"),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown class 'hat'" in bad.stderr


def test_condition_dropout_rates_per_type(tmp_path):
    """Each condition type is dropped with its own probability, independently; dropped text is the null context."""
    from genvision.data import load_dataset
    from genvision.train.families import get_family

    torch.manual_seed(0)
    ae = AutoencoderNet(
        in_channels=1,
        image_size=28,
        variant="kl",
        downsample=4,
        channels=[8, 8, 8],
        latent_channels=4,
        mid_attention=False,
    )
    save_bundle(
        tmp_path / "ae",
        "autoencoder",
        {"autoencoder": ae},
        {"data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]}, "latent_scale": 1.0},
    )
    cfg = load_run_config(
        REPO / "configs" / "ldm_fashion.yaml",
        [
            f"model.autoencoder={tmp_path / 'ae'}",
            "recipe.class_dropout=0.3",
            "recipe.text_dropout=0.6",
            "model.model_channels=32",
            "recipe.eval_classifier=null",
            "recipe.joint_dropout=0.0",
        ],
    )
    info = load_dataset("fashion-mnist", "test", limit=8).info
    recipe = get_family("ldm").recipe(cfg, info, torch.device("cpu"))
    recipe.nets = recipe.build()
    n = 8000
    labels = torch.arange(n) % 10
    batch = {"image": torch.zeros(n, 1, 28, 28), "label": labels}
    inputs = recipe.conditioning_inputs(batch, torch.Generator().manual_seed(0))
    class_dropped = inputs["class_labels"] == 10
    null = recipe.nets["unet"].null_context_like(1, 16)[0]
    text_dropped = (inputs["context"] == null).all(-1).all(-1)
    assert abs(class_dropped.float().mean() - 0.3) < 0.02 and abs(text_dropped.float().mean() - 0.6) < 0.02
    assert abs((class_dropped & text_dropped).float().mean() - 0.18) < 0.02  # independent draws
    assert torch.equal(inputs["class_labels"][~class_dropped], labels[~class_dropped])
    assert inputs["context_mask"][text_dropped].all()
    # kept captions are the training templates' embeddings of the sample's own class
    kept = (~text_dropped).nonzero()[:50, 0]
    table = recipe.captions.train_embeddings.tokens
    for i in kept.tolist():
        matches = (table == inputs["context"][i]).flatten(1).all(1).nonzero()[:, 0]
        assert len(matches) >= 1 and (matches % 10 == labels[i]).all()
    # a joint drop removes every condition at once, on top of the independent drops
    recipe.cfg.recipe.joint_dropout = 0.5
    inputs = recipe.conditioning_inputs(batch, torch.Generator().manual_seed(1))
    both = (inputs["class_labels"] == 10) & (inputs["context"] == null).all(-1).all(-1)
    assert abs(both.float().mean() - (0.5 + 0.5 * 0.18)) < 0.02


def test_grounding_is_the_recipes_default_and_a_sample_flag(ldm_bundle, tmp_path):
    assert json.loads((ldm_bundle / "config.json").read_text())["sampling"]["grounding"] == 5

    def run(*flags: str) -> subprocess.CompletedProcess:
        args = ["sample", str(ldm_bundle), "-n", "2", "--steps", "2", "--device", "cpu", "--quiet"]
        return subprocess.run(GENVISION + args + list(flags), capture_output=True, text=True, cwd=tmp_path)

    prompt = ["--prompt", "a pair of sandals for the beach"]
    good = run(*prompt, "--grounding", "2", "--out", str(tmp_path / "g.png"))
    assert good.returncode == 0, good.stderr
    assert "grounding 2" in good.stdout and "rewritten to '" in good.stdout
    assert "placed by the word 'sandal' (Sandal)" in good.stdout  # the garment lexicon chose the class
    off = run(*prompt, "--grounding", "0", "--out", str(tmp_path / "o.png"))
    assert off.returncode == 0 and "rewritten" not in off.stdout
    bad = run(*prompt, "--grounding", "-1", "--out", str(tmp_path / "b.png"))
    assert bad.returncode == 2 and "grounding must be an integer >= 0" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "b.png").exists()
