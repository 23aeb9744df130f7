"""The one training loop every family shares; a family plugs in through its Recipe.

Per step: fetch the global batch for this step (see DataOrder), then for each optimizer phase the recipe
names: zero grads, accumulate `grad_accum` micro-batches of loss/accum under autocast, unscale, clip, step,
set the LR from the step (warm-up + cosine). Then update EMA copies, log, preview, checkpoint. Each of these is
a named phase in genvision.train.phases (budget, optimizer step + NaN policy, EMA, cadence, signals) and
genvision.train.outputs (log, preview, FID, export); this module wires them and owns the resumable state.
"""

from __future__ import annotations

import time
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
from genvision.metrics.evaluation import make_extractor
from genvision.runtime import autocast_dtype, resolve_device
from genvision.seeding import Draws
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
from genvision.train.init_from import bundle_totals, init_from_bundle
from genvision.train.outputs import (
    RunLog,
    StepLog,
    evaluate_fid,
    export_bundle,
    export_nets,
    tensorboard_writer,
    training_record,
    weight_checksum,
    write_preview,
)
from genvision.train.phases import (
    Budget,
    Cadence,
    NanPolicy,
    OptimizerStep,
    StopSignals,
    TrainingInterrupted,
    build_optimizers,
    lr_factor,
    sample_draws,
    update_ema,
)
from genvision.train.recipe import Recipe
from genvision.train.resume_config import check_resumed_config

__all__ = ["RESUME_MODES", "Trainer", "TrainingInterrupted", "lr_factor"]

RESUME_MODES = (False, True, "if-present")


class Trainer:
    """`resume`: False (a new run; refused if the folder has checkpoints), True (continue from the latest
    checkpoint; refused if there is none) or "if-present" (continue when there is one, else start)."""

    def __init__(self, cfg: RunConfig, run_dir: str | Path, resume: bool | str = False, quiet: bool = False):
        if resume not in RESUME_MODES:
            raise ValueError(f"resume must be one of {RESUME_MODES}, got {resume!r}")
        self.cfg, self.run_dir, self.resume, self.quiet = cfg, Path(run_dir), resume, quiet
        self.signals = StopSignals()
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
        self.recipe.run_dir = self.run_dir
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
        self.optimizers, self.opt_params = build_optimizers(self.recipe.optim_groups(), nets, t, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)
        self.gen = torch.Generator(device=device).manual_seed(t.seed * 1000 + self.dist.rank + 1)
        self.order = DataOrder(len(self.dataset), t.batch_size, t.seed, self.dist.rank, self.dist.world)
        self.batches = BatchSource(
            self.dataset, self.order, device, cfg.data.num_workers, cfg.data.hflip, t.seed, stop=t.steps
        )
        self.step, self.nan = 0, NanPolicy(t.max_nan_skips)
        self.optimizer_step = OptimizerStep(
            self.recipe,
            self.wrapped,
            self.optimizers,
            self.opt_params,
            self.scaler,
            t.grad_accum,
            t.grad_clip,
            self.dist,
            self.amp_dtype,
        )
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
            "nan_skips": self.nan.skips,
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
        self.step, self.nan.skips = int(state["step"]), int(state["nan_skips"])
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

    def _draws(self, phase: str, batch: dict[str, torch.Tensor]) -> Draws:
        """This process's generator, or per-sample draws over its samples' global positions in the step's batch."""
        if not self.recipe.per_sample_draws:
            return self.gen
        n = next(iter(batch.values())).shape[0]
        return sample_draws(self.cfg.train.seed, self.step, phase, self.dist.rank * n, n, self.device)

    def _any_rank(self, flag: bool) -> bool:
        return gdist.any_rank(flag, self.dist, self.device)

    def _stop_requested(self) -> bool:
        return self._any_rank(self.signals.received is not None)

    def run(self) -> Path | None:
        """Train to `train.steps`, then export the bundle; returns the bundle folder (rank 0)."""
        lock = RunLock(self.run_dir) if gdist.is_main_process() else None
        if lock is not None:
            lock.acquire()  # before anything reads or writes the folder; refused while another run holds it
        self.signals = StopSignals()
        try:
            if lock is not None:
                remove_partial_checkpoints(self.ckpt_dir)
            self._setup()  # refuses invalid settings first, with their own messages
            if self.resume and list_checkpoints(self.ckpt_dir):
                check_resumed_config(self.run_dir, self.cfg)  # before anything is written
            self._resumed_from = None
            if self.resume:
                found = load_latest(self.ckpt_dir)
                if found:
                    self._resumed_from = found[0]
                    self.load_state_dict(found[1])
            self.signals.install()
            return self._train_and_export()
        finally:
            if hasattr(self, "batches"):
                self.batches.close()
            self.signals.restore()
            gdist.cleanup(getattr(self, "dist", gdist.DistInfo()))
            if lock is not None:
                lock.release()

    def _train_and_export(self) -> Path | None:
        cfg, t = self.cfg, self.cfg.train
        main = self.dist.is_main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "config.yaml").write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
        log = RunLog(self.run_dir, tensorboard_writer(self.run_dir) if main and t.tensorboard else None)
        bar = tqdm(
            total=t.steps,
            initial=self.step,
            disable=self.quiet or not main,
            dynamic_ncols=True,
            desc=cfg.name,
        )
        budget = Budget(t.steps, t.max_seconds)
        cadence = Cadence(t.steps, t.log_every, t.preview_every, t.fid_every, t.checkpoint_every)
        step_log, last_ckpt = StepLog(), self._resumed_from if main else None
        try:
            while (stop := budget.stop(self.step, self._any_rank)) is None:
                self._set_lr(self.step)
                batch = self.batches.get(self.step)
                for phase in self.recipe.phases(self.step):
                    if not self.optimizer_step(
                        phase, batch, self._draws(phase, batch), self.step, step_log.values
                    ):
                        step_log.add({"nan_skips": 1.0})
                        self.nan.skipped(self.step, last_ckpt)  # raises past train.max_nan_skips
                update_ema(self.ema, self.recipe.nets)
                step_log.add(self.recipe.on_step_end(self.step))
                self.step += 1
                step_log.images += t.batch_size
                bar.update(1)
                if main and cadence.log(self.step):
                    lrs = {name: opt.param_groups[0]["lr"] for name, opt in self.optimizers.items()}
                    record = step_log.record(self.step, lrs, self.batches.take_wait(), self.nan.skips)
                    log.write(record)
                    bar.set_postfix(
                        {k: f"{v:.4g}" for k, v in record.items() if k.endswith("loss")}
                        | {"img/s": f"{record['images_per_s']:.0f}"}
                    )
                if cadence.preview(self.step):
                    self._preview(log)
                if cadence.evaluate(self.step):
                    self._fid(log)
                if cadence.checkpoint(self.step):
                    last_ckpt = self.save()
                if self.step < t.steps and self._stop_requested():
                    path = self.save()
                    raise TrainingInterrupted(
                        f"interrupted at step {self.step}; checkpoint saved to {path}; continue with --resume"
                    )
            if stop == "time" and main and not self.quiet:
                bar.write(f"time budget of {t.max_seconds:.0f} s spent at step {self.step}; finishing")
            return self._export(log, budget)
        finally:
            bar.close()
            log.close()

    def _export(self, log: RunLog, budget: Budget) -> Path | None:
        """The final checkpoint, then (rank 0) the last preview and the bundle; a signal now stops at once."""
        self._final_ckpt = self.save()
        resume_hint = (
            f"the final checkpoint {self._final_ckpt} is saved: rerun the same command with --resume"
        )
        if self._stop_requested():  # a signal during the last step or the final save: do not start the export
            raise TrainingInterrupted(
                f"interrupted after step {self.step}; {resume_hint} to export the bundle"
            )
        self.signals.raise_from_now(
            f"interrupted during the bundle export; {resume_hint} to export the bundle"
        )
        checksums = self._rank_checksums()
        bundle = None
        if self.dist.is_main:
            log.write({"step": self.step, "rank_weight_checksums": checksums})
            self._preview(log)
            t = self.cfg.train
            record = training_record(
                self.cfg.family,
                self.step,
                t.batch_size,
                time.perf_counter() - budget.started,
                self.seconds_before,
                self.totals_before,
                t.init_from,
                self.device,
                self.dist.world,
                self.amp_dtype,
            )
            bundle = export_bundle(self.recipe, self.ema_nets(), self.run_dir / "bundle", record)
        gdist.barrier(self.dist)
        return bundle

    # ---- outputs ------------------------------------------------------------------------------------------
    def _rank_checksums(self) -> list[float]:
        """`weight_checksum` of each rank; equal on all ranks after DDP."""
        total = weight_checksum(self.recipe.nets, self.ema)
        if not self.dist.enabled:
            return [total]
        gathered: list[Any] = [None] * self.dist.world
        torch.distributed.all_gather_object(gathered, total)
        return gathered

    def ema_nets(self) -> dict[str, nn.Module]:
        return export_nets(self.ema, self.recipe.nets)

    def _preview(self, log: RunLog) -> None:
        t = self.cfg.train
        path = self.run_dir / "samples" / f"step_{self.step:08d}.png"
        write_preview(self.recipe, self.ema_nets(), t.preview_n, t.seed, path, log, self.step, self.amp_dtype)

    def _fid(self, log: RunLog) -> None:
        t = self.cfg.train
        reference = f"{self.cfg.data.name}:test"
        value = evaluate_fid(self.recipe, self.ema_nets(), t.fid_n, t.seed + 1, reference, self.amp_dtype)
        if value is not None:
            log.write({"step": self.step, "fid": value})
