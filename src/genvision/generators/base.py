"""What every loaded model shares: its bundle, device, data spec, one class resolver, one batching helper.

    m = genvision.load("fashion-cgan")
    m.image_shape, m.class_names, m.device, m.bundle.spec      # (1, 28, 28), [...], cpu, GanConfig(...)
    m.label_index("ankle-boot")                               # 9: names match case- and punctuation-blind

Subclasses: DiffusionModel, Autoencoder, GAN, StyleGAN, Classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from genvision.conditioning.classes import resolve_class
from genvision.errors import GenvisionError
from genvision.generators.guards import check_pixels
from genvision.models.bundle import Bundle
from genvision.models.bundle_config import BundleConfig
from genvision.viz.images import npy_layout

# progress(done, total): called as work completes, e.g. to drive a progress bar in a CLI or a web app
Progress = Callable[[int, int], None]


@dataclass
class Generated:
    """Images a model made: float [N, C, H, W] in [-1, 1] on the CPU, in the order asked for."""

    images: torch.Tensor
    trajectory: torch.Tensor | None = None  # [rows, frames, C, H, W]: x_T … x_0 (diffusion), when asked for
    info: dict[str, Any] = field(default_factory=dict)  # what was run, e.g. {"sampler": "dpmpp", "steps": 20}

    @property
    def uint8(self) -> np.ndarray:
        """uint8 [N, H, W] (grayscale) or [N, H, W, C]: the layout `--npy` writes."""
        return npy_layout(self.images)

    def __len__(self) -> int:
        return len(self.images)


def batch_ranges(n: int, batch_size: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive batches covering range(n)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise GenvisionError(f"batch size must be positive (an integer), got {batch_size!r}")
    for start in range(0, n, batch_size):
        yield start, min(n, start + batch_size)


def check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise GenvisionError(f"the number of images must be a positive integer, got {n!r}")
    return n


class LoadedModel:
    """Base of the ready-to-use models that `genvision.load` returns."""

    def __init__(self, spec: BundleConfig, device: torch.device | str, bundle: Bundle | None = None) -> None:
        self.spec = spec
        self.device = torch.device(device)
        self.bundle = bundle  # None for a model wrapped around networks in memory (e.g. during training)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.bundle.name if self.bundle is not None else f"(in-memory {self.spec.kind})"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.spec.data.shape)

    @property
    def class_names(self) -> list[str] | None:
        return self.spec.data.class_names

    @property
    def num_classes(self) -> int:
        """Classes the model can be conditioned on (0: unconditional)."""
        return 0

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.spec.metrics)

    def labels_for(self, indices: range | list[int], class_index: int | None) -> torch.Tensor | None:
        """Class labels [len(indices)] on the CPU: `class_index` for every image, else image k gets class k mod C
        (None for an unconditional model)."""
        if not self.num_classes:
            return None
        if class_index is not None:
            return torch.full((len(indices),), class_index, dtype=torch.int64)
        return torch.tensor([k % self.num_classes for k in indices], dtype=torch.int64)

    def label_index(self, label: int | str | None) -> int | None:
        """A class index from an index or a class name (None stays None); errors for unconditional models."""
        if label is None:
            return None
        if not self.num_classes:
            raise GenvisionError(f"{self.name} is not class-conditional: drop the class (--class / label=)")
        return resolve_class(label, self.class_names, self.num_classes)

    def check_images(self, images: torch.Tensor) -> torch.Tensor:
        """Images [N, C, H, W] in [-1, 1] (± PIXEL_TOLERANCE, clamped) at this model's shape, as float on its
        device."""
        images = check_pixels(images)
        if tuple(images.shape[1:]) != tuple(self.image_shape):
            raise GenvisionError(
                f"{self.name} takes images of shape {list(self.image_shape)} (C, H, W); got "
                f"{list(images.shape[1:])}: resize the input or use a matching model"
            )
        return images.to(self.device).float()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, kind={self.kind!r}, device={self.device})"
