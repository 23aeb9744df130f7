"""The Trainer's loop as named phases, each small enough to test alone (tests/train/test_phases.py).

One iteration of `Trainer._train_and_export`:

    Budget.stop(step)             → stop at train.steps, or once train.max_seconds is spent (on any rank)
    OptimizerStep(phase, batch)   → for each recipe phase: accumulate, clip, step; False on a non-finite value
    NanPolicy.skipped(...)        → count the skip; past train.max_nan_skips stop with a one-line error
    update_ema(ema, nets)         → θ_ema ← d·θ_ema + (1 − d)·θ
    Cadence.log/preview/evaluate/checkpoint(step)   → which outputs are due after `step` steps
    StopSignals                   → SIGINT/SIGTERM set a flag: checkpoint, then stop cleanly

then the export (genvision.train.outputs). `sample_draws` gives recipes with `per_sample_draws` their
randomness as a function of (seed, step, phase, global sample position), so any number of processes trains
like one.
"""

from __future__ import annotations

import math
import signal
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from genvision.config.run import TrainConfig
from genvision.errors import GenvisionError
from genvision.runtime import autocast
from genvision.seeding import Draws, SampleRandom, stream_key
from genvision.train import distributed as gdist
from genvision.train.ema import EMA
from genvision.train.recipe import OptimGroup, Recipe


class TrainingInterrupted(GenvisionError):
    """Raised after a SIGINT/SIGTERM once the checkpoint is safely written."""


def lr_factor(step: int, total: int, warmup: int, schedule: str, min_ratio: float) -> float:
    """Linear warm-up over `warmup` steps, then constant or cosine decay to `min_ratio`."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


# ---- budget ------------------------------------------------------------------------------------------------
@dataclass
class Budget:
    """Train until `steps` steps are done or `max_seconds` of wall clock (from `started`) are spent."""

    steps: int
    max_seconds: float | None = None
    started: float = field(default_factory=time.perf_counter)

    def time_spent(self, now: float | None = None) -> bool:
        now = time.perf_counter() if now is None else now
        return self.max_seconds is not None and now - self.started > self.max_seconds

    def stop(self, step: int, any_rank: Callable[[bool], bool] = bool) -> str | None:
        """None to go on; "steps" or "time" to stop. `any_rank` makes every process stop at the same step."""
        if step >= self.steps:
            return "steps"
        if self.max_seconds is not None and any_rank(self.time_spent()):
            return "time"
        return None


# ---- NaN policy --------------------------------------------------------------------------------------------
@dataclass
class NanPolicy:
    """A step whose loss or gradient is not finite is skipped (weights untouched) and counted; more than
    `max_skips` in a run stops it with an error naming the last checkpoint (which holds finite weights)."""

    max_skips: int
    skips: int = 0

    def skipped(self, step: int, last_checkpoint: Any) -> None:
        self.skips += 1
        if self.skips > self.max_skips:
            where = (
                f"the last checkpoint is {last_checkpoint}" if last_checkpoint else "no checkpoint was saved"
            )
            raise GenvisionError(
                f"stopped at step {step}: {self.skips} non-finite losses or gradients "
                f"(limit train.max_nan_skips={self.max_skips}); {where}; lower train.lr or use "
                "precision=bf16/fp32"
            )


# ---- randomness --------------------------------------------------------------------------------------------
def sample_draws(
    seed: int, step: int, phase: str, first: int, count: int, device: torch.device
) -> SampleRandom:
    """Draws for samples first … first+count−1 of the global batch of `step`, keyed by (seed, step, phase)."""
    key = stream_key(seed, step, zlib.crc32(phase.encode()))
    return SampleRandom(key, torch.arange(first, first + count), device)


# ---- optimizer step ----------------------------------------------------------------------------------------
def build_optimizers(
    groups: dict[str, OptimGroup], nets: dict[str, nn.Module], t: TrainConfig, device: torch.device
) -> tuple[dict[str, torch.optim.Optimizer], dict[str, list[nn.Parameter]]]:
    """One AdamW per recipe group over its networks' trainable parameters (each once), and those parameters;
    `initial_lr` on every param group is the LR the schedule scales."""
    optimizers, params_of = {}, {}
    for name, group in groups.items():
        params, seen = [], set()
        for module in group.modules:
            for p in nets[module].parameters():
                if p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
        lr = group.lr if group.lr is not None else t.lr
        opt = torch.optim.AdamW(
            params,
            lr=lr,
            betas=group.betas or t.betas,
            weight_decay=t.weight_decay if group.weight_decay is None else group.weight_decay,
            fused=device.type == "cuda" or None,
        )
        for g in opt.param_groups:
            g["initial_lr"] = lr
        optimizers[name], params_of[name] = opt, params
    return optimizers, params_of


class OptimizerStep:
    """One optimizer step of a recipe phase with gradient accumulation: zero grads, `grad_accum` micro-batches of
    loss/accum (under autocast), unscale, clip (or only measure the norm), step. Returns False, with the grads
    cleared and the weights untouched, when a loss or the gradient norm is not finite on any rank."""

    def __init__(
        self,
        recipe: Recipe,
        wrapped: dict[str, nn.Module],
        optimizers: dict[str, torch.optim.Optimizer],
        params: dict[str, list[nn.Parameter]],
        scaler: torch.amp.GradScaler,
        grad_accum: int = 1,
        grad_clip: float | None = None,
        dist: gdist.DistInfo | None = None,
        amp_dtype: torch.dtype | None = None,
    ):
        self.recipe, self.wrapped, self.optimizers, self.params = recipe, wrapped, optimizers, params
        self.scaler, self.grad_accum, self.grad_clip = scaler, max(1, grad_accum), grad_clip
        self.dist, self.amp_dtype = dist or gdist.DistInfo(), amp_dtype

    def __call__(
        self, phase: str, batch: dict[str, torch.Tensor], gen: Draws, step: int, logs: dict[str, list[float]]
    ) -> bool:
        opt, chunks = self.optimizers[phase], self.grad_accum
        opt.zero_grad(set_to_none=True)
        n = next(iter(batch.values())).shape[0]
        if n % chunks:
            raise GenvisionError(f"per-process batch {n} is not divisible by grad_accum={chunks}")
        size = n // chunks
        device = next(iter(batch.values())).device
        for c in range(chunks):
            micro = {k: v[c * size : (c + 1) * size] for k, v in batch.items()}
            draws = gen.subset(c * size, (c + 1) * size) if isinstance(gen, SampleRandom) else gen
            with autocast(device, self.amp_dtype):
                loss, values = self.recipe.loss(phase, micro, self.wrapped, draws, step)
            loss = loss.float()
            if not gdist.all_finite(loss, self.dist):
                opt.zero_grad(set_to_none=True)
                return False
            self.scaler.scale(loss / chunks).backward()
            logs[f"{phase}/loss"].append(float(loss.detach()))
            for k, v in values.items():
                logs[k].append(float(v))
        self.scaler.unscale_(opt)
        if self.grad_clip or not self.scaler.is_enabled():
            # max_norm=inf only measures: the clip factor clamps to exactly 1.0 and leaves the gradients unchanged
            norm = torch.nn.utils.clip_grad_norm_(self.params[phase], self.grad_clip or math.inf)
            if not self.scaler.is_enabled() and not gdist.all_finite(norm, self.dist):
                opt.zero_grad(set_to_none=True)  # a finite loss with inf/NaN gradients: skip, as for the loss
                return False
            if self.grad_clip:
                logs[f"{phase}/grad_norm"].append(float(norm))
        self.scaler.step(opt)
        self.scaler.update()
        return True


def update_ema(ema: dict[str, EMA], nets: dict[str, nn.Module]) -> None:
    """Move each EMA copy towards its network (after every step's optimizer phases)."""
    for name, copy in ema.items():
        copy.update(nets[name])


# ---- cadence -----------------------------------------------------------------------------------------------
@dataclass
class Cadence:
    """Which outputs are due once `step` steps are done (the final step's checkpoint and preview come with the
    export, so the periodic ones skip it)."""

    steps: int
    log_every: int
    preview_every: int = 0
    evaluate_every: int = 0
    checkpoint_every: int = 0

    def log(self, step: int) -> bool:
        return step % self.log_every == 0 or step == self.steps

    def preview(self, step: int) -> bool:
        return bool(self.preview_every) and step % self.preview_every == 0 and step < self.steps

    def evaluate(self, step: int) -> bool:
        return bool(self.evaluate_every) and step % self.evaluate_every == 0

    def checkpoint(self, step: int) -> bool:
        return bool(self.checkpoint_every) and step % self.checkpoint_every == 0 and step < self.steps


# ---- signals -----------------------------------------------------------------------------------------------
class StopSignals:
    """While installed, SIGINT and SIGTERM only set `received` (the loop checkpoints and stops at the end of the
    step); `raise_from_now(message)` makes the next signal raise TrainingInterrupted at once (the export can be
    redone from the final checkpoint); `restore()` puts the previous handlers back."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        self._previous = {s: signal.signal(s, self._note) for s in self.SIGNALS}
        return self

    def _note(self, signum: int, frame: Any) -> None:
        self.received = signum

    def raise_from_now(self, message: str) -> None:
        def interrupt(signum: int, frame: Any) -> None:
            raise TrainingInterrupted(message)

        for s in self.SIGNALS:
            signal.signal(s, interrupt)

    def restore(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous = {}
