"""Tiny DDPM bundles for pipeline and CLI tests: one built from random weights (instant), one trained."""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.diffusion.schedules import ScheduleConfig
from genvision.models.bundle import save_bundle
from genvision.models.unet import UNet
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from tests.conftest import REPO

TINY_UNET = dict(
    model_channels=16, channel_mult=(1, 2), num_res_blocks=1, attention_resolutions=(8,), head_dim=16
)
TINY_TRAIN = [
    "data.name=synthetic",
    "train.tensorboard=false",
    "train.batch_size=32",
    "train.checkpoint_every=100000",
    "train.channels_last=false",
    "train.max_seconds=null",
    "train.warmup_steps=0",
    "train.lr=2e-3",
    "model.model_channels=16",
    "model.channel_mult=[1,2]",
    "model.num_res_blocks=1",
    "model.attention_resolutions=[8]",
    "model.head_dim=16",
    "model.dropout=0.0",
    "recipe.eval_n=0",
    "recipe.num_timesteps=100",
    "recipe.preview_steps=5",
    "train.preview_n=4",
]


def random_ddpm_bundle(folder: Path, num_classes: int | None = None, prediction: str = "eps") -> Path:
    """A "ddpm" bundle for 1x16x16 images with random (non-zero) weights and a 100-step schedule."""
    torch.manual_seed(0)
    unet = UNet(in_channels=1, image_size=16, num_classes=num_classes, **TINY_UNET)
    for p in unet.parameters():
        torch.nn.init.normal_(p, std=0.05)
    names = ["disc", "square", "bar"][: num_classes or 0] or None
    return save_bundle(
        folder,
        "ddpm",
        {"unet": unet},
        {
            "data": {
                "dataset": "synthetic",
                "shape": [1, 16, 16],
                "num_classes": num_classes or 0,
                "class_names": names,
            },
            "schedule": ScheduleConfig(num_timesteps=100).to_dict(),
            "prediction": prediction,
            "clip_x0": 1.0,
        },
    )


def trained_ddpm_bundle(run_dir: Path, steps: int = 20, *extra: str) -> Path:
    cfg = load_run_config(
        REPO / "configs" / "ddpm_fashion.yaml", TINY_TRAIN + [f"train.steps={steps}", *extra]
    )
    return Trainer(cfg, run_dir, quiet=True).run()
