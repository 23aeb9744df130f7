"""Small shared fixtures for metric and eval tests: structured toy images and a tiny classifier bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet


def blobs(n: int, seed: int, size: int = 28) -> np.ndarray:
    """A bright Gaussian blob at a random place and width per image: uint8 [N, size, size]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    centres = rng.uniform(size * 0.2, size * 0.8, size=(n, 2))
    widths = rng.uniform(size / 14, size / 5.6, size=n)
    img = np.exp(
        -((yy - centres[:, 0, None, None]) ** 2 + (xx - centres[:, 1, None, None]) ** 2)
        / (2 * widths[:, None, None] ** 2)
    )
    return (img * 255).astype(np.uint8)


def tiny_classifier_bundle(folder: Path, seed: int = 0) -> Path:
    """An untrained but fixed Classifier bundle of kind `classifier` (features are a fixed random CNN)."""
    torch.manual_seed(seed)
    net = ClassifierNet(channels=(8, 16), groups=4)
    return save_bundle(
        folder,
        "classifier",
        {"classifier": net},
        {
            "data": {"dataset": "blobs", "shape": [1, 28, 28], "class_names": None},
            "metrics": {"test_accuracy": 0.1},
        },
    )


def image_folder(folder: Path, images: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(images):
        Image.fromarray(img).save(folder / f"{i:04d}.png")
    return folder
