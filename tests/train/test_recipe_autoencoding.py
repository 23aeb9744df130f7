"""Real Trainer runs of the vae, vqvae and autoencoder families on tiny synthetic data: the loss goes down and the
exported bundle holds latent_scale, latent_shape, data and metrics, and loads back through the pipeline."""

import json

import pytest
import torch

import genvision
from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from tests.conftest import REPO

COMMON = [
    "data.name=synthetic",
    "train.tensorboard=false",
    "train.log_every=1",
    "train.warmup_steps=0",
    "recipe.eval_n=32",
    "train.checkpoint_every=1000",
    "train.max_seconds=null",
]


def run(tmp_path, config, *extra):
    cfg = load_run_config(REPO / "configs" / config, COMMON + list(extra))
    bundle = Trainer(cfg, tmp_path / "run", quiet=True).run()
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [
        r[k] for r in records for k in r if k.endswith("/loss") and k.startswith(("main", "autoencoder"))
    ]
    return bundle, json.loads((bundle / "config.json").read_text()), losses


def first_last(losses, k=3):
    return sum(losses[:k]) / k, sum(losses[-k:]) / k


def test_vae_family(tmp_path):
    bundle, config, losses = run(
        tmp_path,
        "vae_fashion.yaml",
        "train.steps=30",
        "train.batch_size=32",
        "train.lr=3e-3",
        "model.channels=[8,16]",
        "model.hidden=32",
        "model.latent_dim=2",
        "recipe.kl_warmup_steps=0",
    )
    first, last = first_last(losses)
    assert last < first
    assert (
        config["kind"] == "vae" and config["latent_shape"] == [2] and config["data"]["shape"] == [1, 16, 16]
    )
    assert config["latent_scale"] > 0 and {"elbo", "bits_per_dim", "psnr", "ssim"} <= set(config["metrics"])
    figures = tmp_path / "run" / "figures"
    assert {p.name for p in figures.iterdir()} == {
        "reconstructions.png",
        "interpolation.png",
        "latent_scatter.png",
        "manifold.png",
    }
    model = genvision.load(bundle, device="cpu")
    assert model.encode(torch.zeros(2, 1, 16, 16)).shape == (2, 2)


def test_conditional_vae_needs_labels_and_uses_them(tmp_path):
    bundle, config, _ = run(
        tmp_path,
        "vae_fashion.yaml",
        "train.steps=3",
        "train.batch_size=8",
        "model.channels=[8,16]",
        "model.hidden=32",
        "model.conditional=true",
        "recipe.figures=false",
    )
    assert config["conditional"] is True
    model = genvision.load(bundle, device="cpu")
    out = model.reconstruct(torch.zeros(2, 1, 16, 16), torch.tensor([0, 2])).images
    assert out.shape == (2, 1, 16, 16)


def test_vqvae_family(tmp_path):
    bundle, config, losses = run(
        tmp_path,
        "vqvae_fashion.yaml",
        "train.steps=30",
        "train.batch_size=32",
        "train.lr=3e-3",
        "model.hidden=16",
        "model.res_hidden=8",
        "model.res_blocks=1",
        "model.num_codes=32",
        "model.code_dim=4",
        "model.restart_every=5",
    )
    first, last = first_last(losses)
    assert last < first
    assert config["kind"] == "vqvae" and config["latent_shape"] == [4, 4, 4]
    m = config["metrics"]
    assert 0 < m["codebook_usage"] <= 1 and 1 <= m["codebook_perplexity"] <= 32 and m["codebook_size"] == 32
    model = genvision.load(bundle, device="cpu")
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    assert model.reconstruct(x).images.shape == x.shape


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["vq", "kl"])
def test_autoencoder_family_with_classifier_perceptual_and_gan(tmp_path, variant):
    clf = ClassifierNet(channels=(8, 16), groups=4)
    save_bundle(tmp_path / "clf", "classifier", {"classifier": clf}, {"data": {"shape": [1, 16, 16]}})
    bundle, config, losses = run(
        tmp_path,
        "autoencoder_fashion.yaml",
        "train.steps=12",
        "train.batch_size=8",
        "train.lr=2e-3",
        "model.channels=[8,16,16]",
        "model.disc_channels=8",
        "model.num_codes=32",
        f"model.variant={variant}",
        "recipe.disc_start=6",
        f"recipe.perceptual_classifier={tmp_path / 'clf'}",
        "recipe.figures=false",
    )
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert all("discriminator/loss" not in r for r in records[:6])  # nothing adversarial before disc_start
    late = [r for r in records[6:] if "adaptive_weight" in r]
    assert late and all(r["adaptive_weight"] > 0 and "discriminator/loss" in r for r in late)
    assert all("perceptual" in r for r in records if "rec_loss" in r)
    assert (
        config["kind"] == "autoencoder"
        and config["latent_shape"] == [4, 4, 4]
        and config["variant"] == variant
    )
    assert config["components"] == ["autoencoder"]  # the discriminator is not exported
    model = genvision.load(bundle, device="cpu")
    assert model.encode(torch.zeros(1, 1, 16, 16)).shape == (1, 4, 4, 4)


def test_autoencoder_refuses_a_classifier_of_another_shape(tmp_path):
    from genvision.errors import ConfigError

    clf = ClassifierNet(channels=(8, 16), groups=4)
    save_bundle(tmp_path / "clf", "classifier", {"classifier": clf}, {"data": {"shape": [1, 28, 28]}})
    cfg = load_run_config(
        REPO / "configs" / "autoencoder_fashion.yaml",
        COMMON + [f"recipe.perceptual_classifier={tmp_path / 'clf'}", "train.steps=1"],
    )
    with pytest.raises(ConfigError, match="shape"):
        Trainer(cfg, tmp_path / "run", quiet=True).run()


@pytest.mark.parametrize(
    "config",
    [
        "vae_mnist.yaml",
        "vae_fashion.yaml",
        "vqvae_fashion.yaml",
        "autoencoder_fashion.yaml",
        "autoencoder_celebahq256.yaml",
    ],
)
def test_presets_validate(config):
    cfg = load_run_config(REPO / "configs" / config)
    assert cfg.family in ("vae", "vqvae", "autoencoder") and cfg.train.steps > 0


def test_autoencoder_256_with_eval_n_zero_exports_a_bundle_without_metrics(tmp_path):
    """recipe.eval_n=0 skips the export metrics (it once crashed at export on an empty torch.cat): the bundle is
    written, with a latent scale from training images and no metrics."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    cfg = load_run_config(
        REPO / "configs" / "autoencoder_celebahq256.yaml",
        [
            f"data.name=folder:{folder}",
            "data.num_workers=0",
            "train.tensorboard=false",
            "train.steps=1",
            "train.batch_size=2",
            "train.checkpoint_every=1000",
            "train.preview_every=1000",
            "model.channels=[4,4,4]",
            "model.num_res_blocks=1",
            "model.mid_attention=false",
            "model.num_codes=16",
            "model.disc_channels=4",
            "recipe.perceptual=none",
            "recipe.eval_n=0",
        ],
    )
    bundle = Trainer(cfg, tmp_path / "run", quiet=True).run()
    config = json.loads((bundle / "config.json").read_text())
    assert config["metrics"] == {} and config["metrics_data"] is None
    assert config["latent_scale"] > 0 and config["data"]["shape"] == [3, 256, 256]
    model = genvision.load(bundle, device="cpu")
    assert model.reconstruct(torch.zeros(1, 3, 256, 256)).images.shape == (1, 3, 256, 256)
