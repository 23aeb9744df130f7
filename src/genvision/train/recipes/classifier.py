"""The classifier family: cross-entropy on labelled images; the bundle records its test accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from genvision.data import load_dataset
from genvision.models.bundle import BundleParts
from genvision.models.bundle_config import ClassifierConfig, DataSpec
from genvision.models.classifier import ClassifierNet
from genvision.seeding import Draws, draw_integers
from genvision.train.recipe import Recipe


@dataclass
class ClassifierModel:
    channels: tuple[int, ...] = (32, 64, 128)
    dropout: float = 0.3
    groups: int = 8


@dataclass
class ClassifierRecipe:
    label_smoothing: float = 0.0
    shift: int = 2  # random translation by up to this many pixels (per-sample draws of (seed, step, i))
    eval_split: str = "test"  # split whose accuracy is recorded in the bundle


def accuracy(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            correct += (net(images[i : i + batch]).argmax(1) == labels[i : i + batch]).sum().item()
    return correct / max(1, len(images))


def random_shift(x: torch.Tensor, max_shift: int, gen: Draws) -> torch.Tensor:
    """Translate each image by a random integer offset in [−max_shift, max_shift]², padding with −1 (black)."""
    if max_shift <= 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    off = draw_integers(2 * max_shift + 1, (b, 2), gen, x.device)
    rows = (off[:, 0, None] + torch.arange(h, device=x.device))[:, None, :, None].expand(
        b, x.shape[1], h, w + 2 * max_shift
    )
    out = padded.gather(2, rows)
    cols = (off[:, 1, None] + torch.arange(w, device=x.device))[:, None, None, :].expand(b, x.shape[1], h, w)
    return out.gather(3, cols)


class ClassifierTraining(Recipe):
    per_sample_draws = True  # the shift of sample i: (seed, step, global position of i)

    def build(self) -> dict[str, nn.Module]:
        m = self.cfg.model
        net = ClassifierNet(
            in_channels=self.info.shape[0],
            num_classes=max(1, self.info.num_classes),
            channels=m.channels,
            dropout=m.dropout,
            groups=m.groups,
        )
        return {"classifier": net}

    def loss(self, phase, batch, nets, gen, step):
        x = random_shift(batch["image"], self.cfg.recipe.shift, gen)
        logits = nets["classifier"](x)
        loss = F.cross_entropy(
            logits.float(), batch["label"], label_smoothing=self.cfg.recipe.label_smoothing
        )
        acc = (logits.argmax(1) == batch["label"]).float().mean()
        return loss, {"train_acc": float(acc)}

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        d = self.cfg.data
        test = load_dataset(
            d.name,
            self.cfg.recipe.eval_split,
            data_dir=d.data_dir,
            image_size=d.image_size,
            channels=d.channels,
        )
        t = test.tensors()
        net = nets["classifier"]
        acc = accuracy(
            net, t["image_uint8"].float().div(127.5).sub(1).to(self.device), t["label"].to(self.device)
        )
        net.train()
        config = ClassifierConfig(
            kind="classifier",
            data=DataSpec.from_json(self.info.to_json()),
            metrics={f"{self.cfg.recipe.eval_split}_accuracy": acc},
        )
        return BundleParts(config, {"classifier": net})
