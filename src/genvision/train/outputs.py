"""What the Trainer writes besides checkpoints: the metrics log, previews, FID during training and the bundle.

`RunLog` appends records to `<run>/metrics.jsonl` (and TensorBoard when enabled); `StepLog` averages the values
logged since its last record; `write_preview` / `evaluate_fid` draw from the EMA networks; `export_bundle` writes
the recipe's bundle with the Trainer's `training` record (`training_record`), the one place bundles are written.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from genvision.metrics.evaluation import fid_during_training
from genvision.models.bundle import write_bundle
from genvision.runtime import autocast
from genvision.train.ema import EMA
from genvision.train.init_from import add_totals
from genvision.train.recipe import Recipe
from genvision.viz.grid import make_grid, save_grid


def tensorboard_writer(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415  (optional, ~0.1 s)
    except ImportError:  # tensorboard is a dependency, but stay usable without it
        return None
    return SummaryWriter(str(run_dir / "tb"))


class RunLog:
    """`<run>/metrics.jsonl`, one JSON record a line, mirrored to TensorBoard scalars when `writer` is given."""

    def __init__(self, run_dir: Path, writer=None):
        self.path, self.writer = Path(run_dir) / "metrics.jsonl", writer

    def write(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
        if self.writer is not None:
            for k, v in record.items():
                if k != "step" and isinstance(v, (int, float)):
                    self.writer.add_scalar(k, v, record["step"])

    def image(self, tag: str, images: torch.Tensor, step: int) -> None:
        if self.writer is not None:
            self.writer.add_image(tag, make_grid(images.float()), step, dataformats="HWC")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class StepLog:
    """Values logged per step (losses, skips, ...) and the images trained on since the last `record`."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)
        self.tick, self.images = time.perf_counter(), 0

    def add(self, values: dict[str, float]) -> None:
        for k, v in values.items():
            self.values[k].append(float(v))

    def record(self, step: int, lrs: dict[str, float], wait: float, nan_skips: int) -> dict[str, float]:
        """The record of the steps since the last one: throughput, data wait, and the mean of every value.

        `lrs` holds each optimizer's learning rate as it stepped: "lr" is the first one's, and a recipe with
        several optimizers (a GAN's G and D) also gets "lr/<name>" for each.
        """
        elapsed = max(time.perf_counter() - self.tick, 1e-9)
        per_optimizer = {f"lr/{name}": lr for name, lr in lrs.items()} if len(lrs) > 1 else {}
        record = {
            "step": step,
            "lr": next(iter(lrs.values())),
            **per_optimizer,
            "images_per_s": self.images / elapsed,
            "data_wait_s": wait,  # blocked on the loader (rank 0), and its share of the time
            "data_wait_frac": wait / elapsed,
            "nan_skips_total": nan_skips,
            **{k: sum(v) / len(v) for k, v in self.values.items()},
        }
        self.values.clear()
        self.tick, self.images = time.perf_counter(), 0
        return record


def export_nets(ema: dict[str, EMA], nets: dict[str, nn.Module]) -> dict[str, nn.Module]:
    """The networks a bundle holds: the EMA copy where there is one, else the network itself."""
    return {n: ema[n].model if n in ema else net for n, net in nets.items()}


def preview_images(
    recipe: Recipe, nets: dict[str, nn.Module], n: int, seed: int, amp_dtype: torch.dtype | None = None
) -> torch.Tensor | None:
    """`n` of the recipe's preview images (no gradients, under the run's autocast), or None."""
    with torch.no_grad(), autocast(recipe.device, amp_dtype):
        return recipe.preview(nets, n, seed)


def write_preview(
    recipe: Recipe,
    nets: dict[str, nn.Module],
    n: int,
    seed: int,
    path: Path,
    log: RunLog | None,
    step: int,
    amp_dtype: torch.dtype | None = None,
) -> Path | None:
    """The recipe's preview grid of `n` images at `path` (None when the recipe shows none)."""
    images = preview_images(recipe, nets, n, seed, amp_dtype)
    if images is None:
        return None
    save_grid(images.float(), path)
    if log is not None:
        log.image("samples", images, step)
    return path


def evaluate_fid(
    recipe: Recipe,
    nets: dict[str, nn.Module],
    n: int,
    seed: int,
    reference: str,
    amp_dtype: torch.dtype | None = None,
) -> float | None:
    """FID of `n` preview samples against `reference` (e.g. "fashion-mnist:test"); None without previews."""
    images = preview_images(recipe, nets, n, seed, amp_dtype)
    if images is None:
        return None
    return fid_during_training(images.float(), reference, n)


def training_record(
    family: str,
    steps: int,
    batch_size: int,
    seconds: float,
    seconds_before: float,
    totals_before: dict[str, Any],
    init_from: str | None,
    device: torch.device,
    processes: int,
    amp_dtype: torch.dtype | None,
) -> dict[str, Any]:
    """What this run actually did (steps run, images seen, time, device), for the bundle's `training`."""
    run_seconds = seconds_before + seconds
    return {
        "family": family,
        "steps": steps,
        "batch_size": batch_size,
        "images_seen": steps * batch_size,
        "seconds_this_session": round(seconds, 1),
        "seconds_this_run": round(run_seconds, 1),  # every session of this run folder (resumes included)
        "init_from": init_from,
        "totals": add_totals(totals_before, steps, steps * batch_size, run_seconds),
        "device": str(device),
        "processes": processes,
        "precision": str(amp_dtype or "fp32").replace("torch.", ""),
    }


def export_bundle(recipe: Recipe, nets: dict[str, nn.Module], folder: Path, training: dict[str, Any]) -> Path:
    """The recipe's bundle of `nets` at `folder`, its config's `training` extended by the Trainer's record."""
    parts = recipe.bundle(nets, folder)
    parts.config.training = {**parts.config.training, **training}
    write_bundle(folder, parts)  # the one place a bundle's config.json is written
    return folder


def weight_checksum(nets: dict[str, nn.Module], ema: dict[str, EMA]) -> float:
    """Σ of every weight (and EMA weight) in float64; equal on all ranks after DDP."""
    total = sum(p.detach().double().sum().item() for net in nets.values() for p in net.parameters())
    return total + sum(p.detach().double().sum().item() for e in ema.values() for p in e.model.parameters())
