"""The one training loop every family shares; a family plugs in through its Recipe.

Per step: fetch the global batch for this step (see DataOrder), then for each optimizer phase the recipe
names: zero grads, accumulate `grad_accum` micro-batches of loss/accum under autocast, unscale, clip, step,
set the LR from the step (warm-up + cosine). Then update EMA copies, log, preview, checkpoint.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import yaml
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from genvision.config.run import RunConfig
from genvision.config.schema import to_dict
from genvision.data import load_dataset
from genvision.errors import GenvisionError
from genvision.metrics.evaluation import fid_during_training, make_extractor
from genvision.models.bundle import write_bundle
from genvision.runtime import autocast, autocast_dtype, resolve_device
from genvision.train import distributed as gdist
from genvision.train.batch_source import BatchSource
from genvision.train.checkpoints import (
    RunLock,
    capture_rng,
    list_checkpoints,
    load_latest,
    remove_partial_checkpoints,
    restore_rng,
    save_checkpoint,
)
from genvision.train.data_order import DataOrder
from genvision.train.ema import EMA
from genvision.train.families import get_family
from genvision.train.init_from import add_totals, bundle_totals, init_from_bundle
from genvision.train.recipe import Recipe
from genvision.viz.grid import make_grid, save_grid


class TrainingInterrupted(GenvisionError):
    """Raised after a SIGINT/SIGTERM once the checkpoint is safely written."""


RESUME_MODES = (False, True, "if-present")


def lr_factor(step: int, total: int, warmup: int, schedule: str, min_ratio: float) -> float:
    """Linear warm-up over `warmup` steps, then constant or cosine decay to `min_ratio`."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


class Trainer:
    """`resume`: False (a new run; refused if the folder has checkpoints), True (continue from the latest
    checkpoint; refused if there is none) or "if-present" (continue when there is one, else start)."""

    def __init__(self, cfg: RunConfig, run_dir: str | Path, resume: bool | str = False, quiet: bool = False):
        if resume not in RESUME_MODES:
            raise ValueError(f"resume must be one of {RESUME_MODES}, got {resume!r}")
        self.cfg, self.run_dir, self.resume, self.quiet = cfg, Path(run_dir), resume, quiet
        self._stop_signal: int | None = None
        self._resumed_from: Path | None = None  # the checkpoint this session started from
        self._final_ckpt: Path | None = None

    # ---- set-up -------------------------------------------------------------------------------------------
    def _setup(self) -> None:
        cfg, t = self.cfg, self.cfg.train
        device = resolve_device(t.device)
        self.dist = gdist.init_distributed(device)
        if device.type == "cuda" and self.dist.enabled:
            device = torch.device("cuda", self.dist.local_rank)
            torch.cuda.set_device(device)
        self.device = device
        self.amp_dtype = autocast_dtype(t.precision, device)
        ckpts = list_checkpoints(
            self.ckpt_dir
        )  # every rank reads the checkpoint on resume, so every rank checks
        if ckpts and not self.resume:
            raise GenvisionError(
                f"run folder {self.run_dir} already has checkpoints; pass --resume to "
                "continue it or --out to start a new run elsewhere"
            )
        if not ckpts and self.resume is True:
            raise GenvisionError(
                f"--resume: no checkpoint to continue from in {self.ckpt_dir}; drop --resume to "
                "start this run (or pass --resume-if-present)"
            )
        self.dataset = load_dataset(
            cfg.data.name,
            cfg.data.split,
            cfg.data.data_dir,
            cfg.data.image_size,
            cfg.data.channels,
            cfg.data.with_masks,
            cfg.data.on_corrupt,
            cfg.data.limit,
        )
        self.info = self.dataset.info
        family = get_family(cfg.family)
        torch.manual_seed(t.seed)  # identical initial weights on every rank
        self.recipe: Recipe = family.recipe(cfg, self.info, device)
        nets = self.recipe.build()
        for net in nets.values():
            net.to(device)
            if t.channels_last:
                net.to(memory_format=torch.channels_last)
        self.recipe.nets = nets
        self.totals_before = bundle_totals({})
        if t.init_from:  # before the EMA copies, so they start from the bundle's weights too
            start = init_from_bundle(nets, t.init_from, cfg.family)
            self.totals_before = bundle_totals(start.spec.training)
        ema_names = self.recipe.ema_modules if self.recipe.ema_modules is not None else tuple(nets)
        self.ema = {n: EMA(nets[n], t.ema_decay, t.ema_warmup) for n in ema_names}
        self.wrapped: dict[str, nn.Module] = {}
        for name, net in nets.items():
            trainable = any(p.requires_grad for p in net.parameters())
            wrapped = DDP(net, broadcast_buffers=False) if self.dist.enabled and trainable else net
            self.wrapped[name] = torch.compile(wrapped) if t.compile else wrapped
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.opt_params: dict[str, list[nn.Parameter]] = {}
        for name, group in self.recipe.optim_groups().items():
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
            self.optimizers[name], self.opt_params[name] = opt, params
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)
        self.gen = torch.Generator(device=device).manual_seed(t.seed * 1000 + self.dist.rank + 1)
        self.order = DataOrder(len(self.dataset), t.batch_size, t.seed, self.dist.rank, self.dist.world)
        self.batches = BatchSource(
            self.dataset, self.order, device, cfg.data.num_workers, cfg.data.hflip, t.seed, stop=t.steps
        )
        self.step, self.nan_skips = 0, 0
        self.seconds_before = 0.0  # training seconds of earlier sessions of this run (from the checkpoint)
        self.session_started = time.perf_counter()
        if t.fid_every:  # fail now, not at the first FID step, when the feature network is missing
            make_extractor("auto", self.info.shape, device)

    @property
    def ckpt_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    # ---- state --------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        rng = capture_rng(self.gen)
        if self.dist.enabled:  # every rank's generators, so each resumes its own stream
            gathered: list[Any] = [None] * self.dist.world
            torch.distributed.all_gather_object(gathered, rng)
            rng = {"ranks": gathered}
        return {
            "step": self.step,
            "nan_skips": self.nan_skips,
            "data": dict(zip(("epoch", "batch_in_epoch"), self.order.position(self.step))),
            "nets": {n: net.state_dict() for n, net in self.recipe.nets.items()},
            "ema": {n: e.state_dict() for n, e in self.ema.items()},
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scaler": self.scaler.state_dict(),
            "rng": rng,
            "recipe": self.recipe.state_dict(),
            "seconds": self.seconds_before + time.perf_counter() - self.session_started,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step, self.nan_skips = int(state["step"]), int(state["nan_skips"])
        self.seconds_before = float(state.get("seconds", 0.0))  # checkpoints from before totals: 0
        for n, net in self.recipe.nets.items():
            net.load_state_dict(state["nets"][n])
        for n, e in self.ema.items():
            e.load_state_dict(state["ema"][n])
        for n, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][n])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.recipe.load_state_dict(state.get("recipe") or {})
        rng = state["rng"]
        if "ranks" in rng:
            if len(rng["ranks"]) != self.dist.world:
                raise GenvisionError(
                    f"checkpoint was written by {len(rng['ranks'])} processes; resume with the same number"
                )
            rng = rng["ranks"][self.dist.rank]
        restore_rng(rng, self.gen)

    def save(self) -> Path | None:
        state = self.state_dict()  # collective in DDP: every rank takes part
        if not self.dist.is_main:
            return None
        return save_checkpoint(self.ckpt_dir, self.step, state, keep=self.cfg.train.keep_checkpoints)

    # ---- the loop -----------------------------------------------------------------------------------------
    def _set_lr(self, step: int) -> float:
        t = self.cfg.train
        factor = lr_factor(step, t.steps, t.warmup_steps, t.lr_schedule, t.min_lr_ratio)
        for opt in self.optimizers.values():
            for g in opt.param_groups:
                g["lr"] = g["initial_lr"] * factor
        return factor

    def _phase(self, phase: str, batch: dict[str, torch.Tensor], logs: dict[str, list[float]]) -> bool:
        """One optimizer step with gradient accumulation; False when the loss was not finite (step skipped)."""
        t, opt = self.cfg.train, self.optimizers[phase]
        opt.zero_grad(set_to_none=True)
        n = next(iter(batch.values())).shape[0]
        chunks = max(1, t.grad_accum)
        if n % chunks:
            raise GenvisionError(f"per-process batch {n} is not divisible by grad_accum={chunks}")
        size = n // chunks
        for c in range(chunks):
            micro = {k: v[c * size : (c + 1) * size] for k, v in batch.items()}
            with autocast(self.device, self.amp_dtype):
                loss, values = self.recipe.loss(phase, micro, self.wrapped, self.gen, self.step)
            loss = loss.float()
            if not gdist.all_finite(loss, self.dist):
                opt.zero_grad(set_to_none=True)
                return False
            self.scaler.scale(loss / chunks).backward()
            logs[f"{phase}/loss"].append(float(loss.detach()))
            for k, v in values.items():
                logs[k].append(float(v))
        self.scaler.unscale_(opt)
        if t.grad_clip or not self.scaler.is_enabled():
            # max_norm=inf only measures: the clip factor clamps to exactly 1.0 and leaves the gradients unchanged
            norm = torch.nn.utils.clip_grad_norm_(self.opt_params[phase], t.grad_clip or math.inf)
            if not self.scaler.is_enabled() and not gdist.all_finite(norm, self.dist):
                opt.zero_grad(set_to_none=True)  # a finite loss with inf/NaN gradients: skip, as for the loss
                return False
            if t.grad_clip:
                logs[f"{phase}/grad_norm"].append(float(norm))
        self.scaler.step(opt)
        self.scaler.update()
        return True

    def _handle_signal(self, signum: int, frame: Any) -> None:
        self._stop_signal = signum

    def _interrupt_export(self, signum: int, frame: Any) -> None:
        """After the final checkpoint a signal stops at once: the export can be redone from the checkpoint."""
        raise TrainingInterrupted(
            f"interrupted during the bundle export; the final checkpoint {self._final_ckpt} "
            "is saved: rerun the same command with --resume to export the bundle"
        )

    def _stop_requested(self) -> bool:
        return gdist.any_rank(self._stop_signal is not None, self.dist, self.device)

    def run(self) -> Path | None:
        """Train to `train.steps`, then export the bundle; returns the bundle folder (rank 0)."""
        lock = RunLock(self.run_dir) if gdist.is_main_process() else None
        if lock is not None:
            lock.acquire()  # before anything reads or writes the folder; refused while another run holds it
        old_handlers: dict[int, Any] = {}
        try:
            if lock is not None:
                remove_partial_checkpoints(self.ckpt_dir)
            self._setup()
            self._resumed_from = None
            if self.resume:
                found = load_latest(self.ckpt_dir)
                if found:
                    self._resumed_from = found[0]
                    self.load_state_dict(found[1])
            old_handlers = {s: signal.signal(s, self._handle_signal) for s in (signal.SIGINT, signal.SIGTERM)}
            return self._train_and_export()
        finally:
            if hasattr(self, "batches"):
                self.batches.close()
            for s, h in old_handlers.items():
                signal.signal(s, h)
            gdist.cleanup(getattr(self, "dist", gdist.DistInfo()))
            if lock is not None:
                lock.release()

    def _train_and_export(self) -> Path | None:
        cfg, t = self.cfg, self.cfg.train
        main = self.dist.is_main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
        writer = self._tensorboard() if main and t.tensorboard else None
        bar = tqdm(
            total=t.steps,
            initial=self.step,
            disable=self.quiet or not main,
            dynamic_ncols=True,
            desc=cfg.name,
        )
        logs: dict[str, list[float]] = defaultdict(list)
        tick, images = time.perf_counter(), 0
        started = time.perf_counter()
        last_ckpt = self._resumed_from if main else None
        try:
            while self.step < t.steps:
                over_budget = t.max_seconds is not None and time.perf_counter() - started > t.max_seconds
                if t.max_seconds is not None and gdist.any_rank(over_budget, self.dist, self.device):
                    if main and not self.quiet:
                        bar.write(
                            f"time budget of {t.max_seconds:.0f} s spent at step {self.step}; finishing"
                        )
                    break
                factor = self._set_lr(self.step)
                batch = self.batches.get(self.step)
                for phase in self.recipe.phases(self.step):
                    if not self._phase(phase, batch, logs):
                        self.nan_skips += 1
                        logs["nan_skips"].append(1.0)
                        if self.nan_skips > t.max_nan_skips:
                            # skipped steps leave the weights alone, so the last checkpoint holds finite weights
                            where = (
                                f"the last checkpoint is {last_ckpt}"
                                if last_ckpt
                                else "no checkpoint was saved"
                            )
                            raise GenvisionError(
                                f"stopped at step {self.step}: {self.nan_skips} non-finite losses or gradients "
                                f"(limit train.max_nan_skips={t.max_nan_skips}); {where}; lower train.lr or use "
                                "precision=bf16/fp32"
                            )
                for n, e in self.ema.items():
                    e.update(self.recipe.nets[n])
                for k, v in self.recipe.on_step_end(self.step).items():
                    logs[k].append(float(v))
                self.step += 1
                images += t.batch_size
                bar.update(1)
                if main and (self.step % t.log_every == 0 or self.step == t.steps):
                    elapsed = time.perf_counter() - tick
                    wait = self.batches.take_wait()
                    record = {
                        "step": self.step,
                        "lr": t.lr * factor,
                        "images_per_s": images / max(elapsed, 1e-9),
                        "data_wait_s": wait,  # blocked on the loader (rank 0), and its share of the time
                        "data_wait_frac": wait / max(elapsed, 1e-9),
                        "nan_skips_total": self.nan_skips,
                        **{k: sum(v) / len(v) for k, v in logs.items()},
                    }
                    self._log(record, writer)
                    bar.set_postfix(
                        {k: f"{v:.4g}" for k, v in record.items() if k.endswith("loss")}
                        | {"img/s": f"{record['images_per_s']:.0f}"}
                    )
                    logs.clear()
                    tick, images = time.perf_counter(), 0
                if t.preview_every and self.step % t.preview_every == 0 and self.step < t.steps:
                    self._preview(writer)
                if t.fid_every and self.step % t.fid_every == 0:
                    self._fid(writer)
                if self.step % t.checkpoint_every == 0 and self.step < t.steps:
                    last_ckpt = self.save()
                if self.step < t.steps and self._stop_requested():
                    path = self.save()
                    raise TrainingInterrupted(
                        f"interrupted at step {self.step}; checkpoint saved to {path}; continue with --resume"
                    )
            self._final_ckpt = self.save()
            if (
                self._stop_requested()
            ):  # a signal during the last step or the final save: do not start the export
                raise TrainingInterrupted(
                    f"interrupted after step {self.step}; the final checkpoint {self._final_ckpt} "
                    "is saved: rerun the same command with --resume to export the bundle"
                )
            for s in (
                signal.SIGINT,
                signal.SIGTERM,
            ):  # the export may take minutes: a signal now stops at once
                signal.signal(s, self._interrupt_export)
            checksums = self._rank_checksums()
            bundle = None
            if main:
                self._log({"step": self.step, "rank_weight_checksums": checksums}, writer)
                self._preview(writer)
                bundle = self.run_dir / "bundle"
                nets = {n: e.model for n, e in self.ema.items()} | {
                    n: net for n, net in self.recipe.nets.items() if n not in self.ema
                }
                parts = self.recipe.bundle(nets, bundle)
                parts.config.training = {
                    **parts.config.training,
                    **self._training_record(time.perf_counter() - started),
                }
                write_bundle(bundle, parts)  # the one place a bundle's config.json is written
            gdist.barrier(self.dist)
            return bundle
        finally:
            bar.close()
            if writer is not None:
                writer.close()

    # ---- outputs ------------------------------------------------------------------------------------------
    def _tensorboard(self):
        try:
            from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415  (optional, ~0.1 s)
        except ImportError:  # tensorboard is a dependency, but stay usable without it
            return None
        return SummaryWriter(str(self.run_dir / "tb"))

    def _log(self, record: dict[str, float], writer) -> None:
        with open(self.run_dir / "metrics.jsonl", "a") as fh:
            fh.write(json.dumps(record) + "\n")
        if writer is not None:
            for k, v in record.items():
                if k != "step" and isinstance(v, (int, float)):
                    writer.add_scalar(k, v, record["step"])

    def _training_record(self, seconds: float) -> dict[str, Any]:
        """What this run actually did (steps run, images seen, time, device), for the bundle's `training`."""
        t = self.cfg.train
        run_seconds = self.seconds_before + seconds
        return {
            "family": self.cfg.family,
            "steps": self.step,
            "batch_size": t.batch_size,
            "images_seen": self.step * t.batch_size,
            "seconds_this_session": round(seconds, 1),
            "seconds_this_run": round(run_seconds, 1),  # every session of this run folder (resumes included)
            "init_from": t.init_from,
            "totals": add_totals(self.totals_before, self.step, self.step * t.batch_size, run_seconds),
            "device": str(self.device),
            "processes": self.dist.world,
            "precision": str(self.amp_dtype or "fp32").replace("torch.", ""),
        }

    def _rank_checksums(self) -> list[float]:
        """Σ of every weight (and EMA weight) in float64 on each rank; equal on all ranks after DDP."""
        total = sum(
            p.detach().double().sum().item() for net in self.recipe.nets.values() for p in net.parameters()
        )
        total += sum(
            p.detach().double().sum().item() for e in self.ema.values() for p in e.model.parameters()
        )
        if not self.dist.enabled:
            return [total]
        gathered: list[Any] = [None] * self.dist.world
        torch.distributed.all_gather_object(gathered, total)
        return gathered

    def ema_nets(self) -> dict[str, nn.Module]:
        return {n: self.ema[n].model if n in self.ema else net for n, net in self.recipe.nets.items()}

    def _preview(self, writer) -> None:
        t = self.cfg.train
        with torch.no_grad(), autocast(self.device, self.amp_dtype):
            images = self.recipe.preview(self.ema_nets(), t.preview_n, t.seed)
        if images is None:
            return
        save_grid(images.float(), self.run_dir / "samples" / f"step_{self.step:08d}.png")
        if writer is not None:
            writer.add_image("samples", make_grid(images.float()), self.step, dataformats="HWC")

    def _fid(self, writer) -> None:
        t = self.cfg.train
        with torch.no_grad(), autocast(self.device, self.amp_dtype):
            images = self.recipe.preview(self.ema_nets(), t.fid_n, t.seed + 1)
        if images is None:
            return
        value = fid_during_training(images.float(), f"{self.cfg.data.name}:test", t.fid_n)
        self._log({"step": self.step, "fid": value}, writer)
