"""The ddpm family through the shared Trainer."""

import json

import pytest
import torch

import genvision
from genvision.errors import ConfigError
from genvision.models.bundle import load_bundle
from genvision.train.families import load_run_config
from tests.conftest import REPO
from tests.workflows.ddpm_fixtures import TINY_TRAIN, trained_ddpm_bundle


def test_presets_validate_and_the_shipped_size_fits():
    from genvision.models.unet import UNet

    cfg = load_run_config(REPO / "configs" / "ddpm_fashion.yaml")
    m = cfg.model
    unet = UNet(
        in_channels=1,
        image_size=28,
        model_channels=m.model_channels,
        channel_mult=m.channel_mult,
        num_res_blocks=m.num_res_blocks,
        attention_resolutions=m.attention_resolutions,
        head_dim=m.head_dim,
    )
    params = sum(p.numel() for p in unet.parameters())
    assert params * 2 <= 8.3e6  # fp16 bundle of about 8 MB
    large = load_run_config(REPO / "configs" / "ddpm_fashion_large.yaml").model
    unet = UNet(
        model_channels=large.model_channels,
        channel_mult=large.channel_mult,
        attention_resolutions=large.attention_resolutions,
    )
    assert sum(p.numel() for p in unet.parameters()) >= 6.47e6
    for name in ("ddpm_mnist", "ddpm_celebahq64"):
        load_run_config(REPO / "configs" / f"{name}.yaml")
    with pytest.raises(ConfigError, match="recipe.prediction"):
        load_run_config(REPO / "configs" / "ddpm_fashion.yaml", ["recipe.prediction=score"])
    with pytest.raises(ConfigError, match="recipe.schedule"):
        load_run_config(REPO / "configs" / "ddpm_fashion.yaml", ["recipe.schedule=sigmoid"])


@pytest.mark.slow
def test_training_lowers_the_loss_and_exports_fp16_ema_weights(tmp_path):
    bundle = trained_ddpm_bundle(tmp_path, 120, "train.log_every=20")
    logs = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    losses = [r["main/loss"] for r in logs if "main/loss" in r]
    assert losses[-1] < 0.8 * losses[0]
    cfg = json.loads((bundle / "config.json").read_text())
    assert cfg["schema_version"] == 2 and cfg["training"]["steps"] == 120 and "train" not in cfg
    assert cfg["sampling"]["sampler"] == "ddim" and cfg["training"]["parameters"] > 10_000
    from safetensors.torch import load_file

    weights = load_file(bundle / "unet" / "model.safetensors")
    assert all(v.dtype == torch.float16 for v in weights.values() if v.is_floating_point())
    assert (tmp_path / "samples").is_dir()


def test_v_prediction_min_snr_and_class_conditional_export(tmp_path):
    bundle = trained_ddpm_bundle(
        tmp_path,
        4,
        "recipe.prediction=v",
        "recipe.min_snr_gamma=5.0",
        "recipe.schedule=cosine",
        "model.class_conditional=true",
    )
    b = load_bundle(bundle, kinds=("ddpm",))
    assert b.config["prediction"] == "v" and b.config["schedule"]["name"] == "cosine"
    assert b.component("unet").num_classes == 3
    assert b.spec.conditioning.num_classes == 3
    r = genvision.load(b, device="cpu").sample(2, seed=0, steps=3, label="bar")
    assert r.info["guidance"] == 3.0 and r.images.shape == (2, 1, 16, 16)


def test_class_conditional_needs_labels():
    from genvision.data.base import DataInfo
    from genvision.train.recipes.ddpm import DDPMTraining

    cfg = load_run_config(
        REPO / "configs" / "ddpm_fashion.yaml", TINY_TRAIN + ["model.class_conditional=true"]
    )
    with pytest.raises(ConfigError, match="class_conditional needs labelled data"):
        DDPMTraining(cfg, DataInfo("folder", (1, 16, 16), num_classes=0), torch.device("cpu"))
