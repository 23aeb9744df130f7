"""The Recipe interface: what a model family tells the shared Trainer (networks, optimizers, losses, export)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from genvision.config.run import RunConfig
from genvision.data.base import DataInfo
from genvision.errors import ConfigError
from genvision.models.bundle import BundleParts
from genvision.seeding import Draws


def square_size(info: DataInfo, what: str, check: Callable[[int], object]) -> int:
    """The side of square training images that `check` (a size planner raising ValueError) accepts."""
    _, h, w = info.shape
    if h != w:
        raise ConfigError(f"{what} make square images; the data is {h}x{w} (set data.image_size)")
    try:
        check(h)
    except ValueError as exc:
        raise ConfigError(f"data.image_size: {exc}") from exc
    return h


@dataclass
class OptimGroup:
    """One optimizer over some networks; None fields fall back to the run's `train` settings."""

    modules: list[str]
    lr: float | None = None
    betas: tuple[float, float] | None = None
    weight_decay: float | None = None


class Recipe:
    """Subclass per family. The Trainer owns the loop; a recipe supplies the family-specific pieces."""

    ema_modules: tuple[str, ...] | None = None  # None: every network gets an EMA copy
    # True: `loss` gets a genvision.seeding.SampleRandom keyed by (seed, step, phase) over the global positions of
    # the batch's samples, instead of this process's generator; draw through genvision.seeding's draw_normal /
    # draw_uniform / draw_integers so sample i gets the same draws in any number of processes.
    per_sample_draws: bool = False
    run_dir: Path | None = None  # the run folder, set by the Trainer before `build`

    def __init__(self, cfg: RunConfig, info: DataInfo, device: torch.device):
        self.cfg, self.info, self.device = cfg, info, device
        self.nets: dict[str, nn.Module] = {}

    def build(self) -> dict[str, nn.Module]:
        """The trainable networks by name (the Trainer moves them to the device and keeps `self.nets`)."""
        raise NotImplementedError

    def optim_groups(self) -> dict[str, OptimGroup]:
        """Optimizers by name; default: one over every network."""
        return {"main": OptimGroup(modules=list(self.nets))}

    def phases(self, step: int) -> list[str]:
        """Names of the optimizers stepped at `step`, in order (GANs: discriminator then generator)."""
        return list(self.optim_groups())

    def loss(
        self,
        phase: str,
        batch: dict[str, torch.Tensor],
        nets: dict[str, nn.Module],
        gen: Draws,
        step: int,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The scalar loss for `phase` on `batch` and values to log."""
        raise NotImplementedError

    def preview(self, nets: dict[str, nn.Module], n: int, seed: int) -> torch.Tensor | None:
        """Images in [-1, 1] to show during training (from the EMA networks); None for none."""
        return None

    def bundle(self, nets: dict[str, nn.Module], folder: Path) -> BundleParts:
        """The bundle to write at `folder` from the EMA networks: typed config (with the metrics measured at
        export), components, dtype. Side outputs (figures) may go beside it, in folder.parent."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, float]:
        """Training statistics kept outside the networks (e.g. StyleGAN's path-length mean); saved in checkpoints."""
        return {}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Restore what `state_dict` returned (an empty dict for checkpoints written before the recipe had any)."""

    def on_step_end(self, step: int) -> dict[str, float]:
        """Hook after the optimizer steps (e.g. codebook restarts); returns extra values to log."""
        return {}
