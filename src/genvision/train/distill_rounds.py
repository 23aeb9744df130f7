"""Chained rounds of progressive distillation: teacher (M steps) → M/k → … → N, each round a "distill" run.

    bundles = distill_rounds("fashion-ldm", steps=4, out="runs/distill", teacher_steps=16)
    # runs/distill/round-08/bundle (8 steps, taught by fashion-ldm), runs/distill/round-04/bundle (taught by it)
    distill_rounds("fashion-ldm", steps=4, out="runs/d4", teacher_steps=16, substeps=4)  # one round, k = 4
    distill_rounds("fashion-ddpm", steps=4, out="runs/r4", method="reflow")  # one round of reflow: round-04/

Each round's folder holds the run config it trained with (`distill.yaml`), checkpoints, previews, metrics and
the exported student; a round whose bundle exists is skipped and a round with checkpoints continues from its
latest one, so rerunning the same command resumes the chain exactly.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml

from genvision.config.run import read_yaml
from genvision.errors import ConfigError
from genvision.train.families import load_run_config
from genvision.train.recipes.distill import check_student_steps, init_unet, open_teacher, teacher_steps_of
from genvision.train.trainer import Trainer

DEFAULT_TEACHER_STEPS = 16
METHODS = ("progressive", "reflow")
DEFAULTS: dict[str, Any] = {
    "family": "distill",
    "name": "distill",
    "train": {
        "steps": 1000,
        "batch_size": 64,
        "lr": 5.0e-5,
        "weight_decay": 0.0,
        "warmup_steps": 50,
        "lr_schedule": "cosine",  # annealed to 0 in every round
        "min_lr_ratio": 0.0,
    },
    "recipe": {},
}


def check_steps(steps: int, flag: str = "--steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"{flag} must be an integer >= 1, got {steps!r}")
    return steps


def round_steps(steps: int, teacher_steps: int, substeps: int = 2) -> list[int]:
    """Student step counts of the rounds: M/k, M/k², …, steps (M = teacher_steps = steps · k^j, j ≥ 1)."""
    check_steps(steps)
    check_steps(teacher_steps, "--teacher-steps")
    k = check_steps(substeps, "--substeps")
    if k < 2:
        raise ConfigError(f"--substeps must be >= 2 (teacher steps per student step), got {k}")
    out, s = [], teacher_steps
    while s > steps and s % k == 0:
        s //= k
        out.append(s)
    if not out or out[-1] != steps:
        what = "halved" if k == 2 else f"divided by {k}"
        raise ConfigError(
            f"--steps {steps} is not the teacher's {teacher_steps} steps {what} one or more times "
            f"(e.g. {', '.join(str(teacher_steps // k**j) for j in range(1, 4) if teacher_steps % k**j == 0)})"
        )
    return out


def default_teacher_steps(steps: int) -> int:
    """The smallest steps · 2^k (k ≥ 1) that is at least DEFAULT_TEACHER_STEPS."""
    m = 2 * check_steps(steps)
    while m < DEFAULT_TEACHER_STEPS:
        m *= 2
    return m


def distill_rounds(
    teacher: str,
    steps: int,
    out: str | Path,
    *,
    teacher_steps: int | None = None,
    substeps: int = 2,
    method: str = "progressive",
    config: str | Path | None = None,
    overrides: list[str] | None = None,
    quiet: bool = False,
) -> list[Path]:
    """Run (or resume) every round from `teacher` down to an `steps`-step student; returns the round bundles.
    `method` "reflow": one round, straight to `steps` (genvision.train.recipes.reflow)."""
    if method not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    model = open_teacher(teacher, "cpu")
    bound = teacher_steps_of(model)
    if bound is not None and teacher_steps not in (None, bound):
        raise ConfigError(f"{teacher} is a {bound}-step student: drop --teacher-steps (or pass {bound})")
    if teacher_steps is not None:
        check_steps(teacher_steps, "--teacher-steps")
    start = bound or teacher_steps or default_teacher_steps(steps)
    plan = [check_steps(steps)] if method == "reflow" else round_steps(steps, start, substeps)
    check_student_steps(model, plan[0], None if method == "reflow" else start)
    base = read_yaml(config) if config is not None else copy.deepcopy(DEFAULTS)
    base.setdefault("data", {}).setdefault("name", model.spec.data.dataset or "fashion-mnist")
    out = Path(out)
    bundles: list[Path] = []
    current = teacher
    for s in plan:
        folder = out / f"round-{s:02d}"
        bundle = folder / "bundle"
        if not (bundle / "config.json").is_file():
            raw = copy.deepcopy(base)
            raw["name"] = f"{base.get('name', 'distill')}-{s}step"
            raw.setdefault("model", {})["teacher"] = str(current)
            raw.setdefault("recipe", {})["student_steps"] = s
            raw["recipe"]["teacher_steps"] = None if method == "reflow" else s * substeps
            if method == "reflow":  # the diffusion loss on pairs (a preset's `loss` is progressive's)
                raw["recipe"].update(method="reflow", loss="output")
            if s != plan[0]:  # later teachers are students with their guidance built in, their own init
                raw["recipe"].pop("guidance", None)
                raw["model"].pop("init", None)
            first_only = ("recipe.guidance=", "model.init=")
            later = [o for o in overrides or [] if s == plan[0] or not o.startswith(first_only)]
            with tempfile.TemporaryDirectory() as scratch:  # a bad config or override writes nothing in `out`
                check = Path(scratch) / "distill.yaml"
                check.write_text(yaml.safe_dump(raw, sort_keys=False))
                init = load_run_config(check, later).model.init
                if init is not None:
                    init_unet(copy.deepcopy(model.unet), init)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "distill.yaml"
            path.write_text(yaml.safe_dump(raw, sort_keys=False))
            cfg = load_run_config(path, later)
            Trainer(cfg, folder, resume="if-present", quiet=quiet).run()
        bundles.append(bundle)
        current = str(bundle)
    return bundles
