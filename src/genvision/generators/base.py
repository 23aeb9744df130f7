"""What every loaded model shares: its bundle, device, data spec, one class resolver, one batching helper.

    m = genvision.load("fashion-cgan")
    m.image_shape, m.class_names, m.device, m.bundle.spec      # (1, 28, 28), [...], cpu, GanConfig(...)
    m.label_index("ankle-boot")                               # 9: names match case- and punctuation-blind
    m.to("cpu", torch.float32).save("my-model")               # move / set the compute dtype; write a bundle

Subclasses: DiffusionModel, Autoencoder, GAN, StyleGAN, Classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn as nn

from genvision.conditioning.classes import resolve_class
from genvision.errors import GenvisionError
from genvision.generators import saving
from genvision.generators.guards import check_pixels
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import BundleConfig
from genvision.runtime import autocast
from genvision.viz.images import npy_layout

M = TypeVar("M", bound="LoadedModel")

# progress(done, total): called as work completes, e.g. to drive a progress bar in a CLI or a web app
Progress = Callable[[int, int], None]


@dataclass
class Generated:
    """Images a model made: float [N, C, H, W] in [-1, 1] on the CPU, in the order asked for."""

    images: torch.Tensor
    trajectory: torch.Tensor | None = None  # [N, frames, C, H, W]: x_T … x_0 (diffusion), when asked for
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


def joined(batches: list[torch.Tensor]) -> torch.Tensor:
    """The batches' outputs as one tensor: torch.cat, without the copy when there is one batch."""
    return batches[0].contiguous() if len(batches) == 1 else torch.cat(batches)


def check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise GenvisionError(f"the number of images must be a positive integer, got {n!r}")
    return n


class LoadedModel:
    """Base of the ready-to-use models that `genvision.load` returns."""

    backend = "torch"  # "onnx" where the networks are onnxruntime sessions (genvision.export.backend)

    def __init__(self, spec: BundleConfig, device: torch.device | str, bundle: Bundle | None = None) -> None:
        self.spec = spec
        self.device = torch.device(device)
        self.bundle = bundle  # None for a model wrapped around networks in memory (e.g. during training)
        self.autocast_dtype: torch.dtype | None = None  # None: full float32 (see `to` and `precision=`)

    # --- device, dtype, saving (genvision.generators.saving) ----------------------------------------------
    def networks(self) -> dict[str, nn.Module]:
        """The networks this model holds, by component name (what `to` moves and `save` writes)."""
        return {}

    def moved(self) -> None:
        """Called after `to` moved the networks to `self.device`: move whatever else is device-bound."""

    def to(self: M, device: torch.device | str | None = None, dtype: torch.dtype | str | None = None) -> M:
        """Move the model to `device` and/or compute in `dtype` (torch.float32, or torch.bfloat16 under autocast
        with float32 weights, as `precision="bf16"`); returns the model."""
        saving.move(self, device, dtype)
        return self

    def autocast(self) -> AbstractContextManager[Any]:
        """The autocast context of this model's compute dtype (a no-op in float32)."""
        return autocast(self.device, self.autocast_dtype)

    def bundle_parts(self) -> BundleParts:
        """What `save` writes: the config, the components, extra files."""
        raise GenvisionError(f"a {type(self).__name__} cannot be saved as a bundle")

    def save(self, folder: str | Path, dtype: torch.dtype | None = None) -> Path:
        """Write this model as a bundle folder that `genvision.load(folder)` opens to the same outputs; replaces a
        bundle there, refuses any other non-empty folder. Weights are float32 unless `dtype` says otherwise."""
        return saving.save(self, folder, dtype)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.bundle.name if self.bundle is not None else f"(in-memory {self.spec.kind})"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.spec.data.shape
        return (int(c), int(h), int(w))

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

    def labels_of(
        self, label: int | str | list[int | str] | None, indices: range | list[int]
    ) -> torch.Tensor | None:
        """Class labels [len(indices)] on the CPU from one class for all, a list of one per image, or None (image
        k gets class k mod C); None for an unconditional model given no class."""
        if not isinstance(label, (list, tuple)):
            return self.labels_for(indices, self.label_index(label))
        if len(label) != len(indices):
            raise GenvisionError(
                f"{len(label)} classes for {len(indices)} images: give one, or one per image"
            )
        return torch.tensor([self.label_index(v) for v in label], dtype=torch.int64)

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
