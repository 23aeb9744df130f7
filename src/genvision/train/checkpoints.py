"""Training checkpoints in `runs/<name>/checkpoints/step_XXXXXXXX.safetensors`, each written atomically.

Every file present is complete (temporary name, then rename), so "latest" is simply the highest step that
loads; a corrupt newest file falls back to the previous one.
"""
from __future__ import annotations

import random
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.errors import BundleError
from genvision.io.tensorfile import load_state, save_state

_NAME = re.compile(r"^step_(\d{8})\.safetensors$")


def checkpoint_path(folder: Path, step: int) -> Path:
    return folder / f"step_{step:08d}.safetensors"


def list_checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=lambda p: p.name)


def save_checkpoint(folder: Path, step: int, state: dict[str, Any], keep: int = 2) -> Path:
    path = checkpoint_path(folder, step)
    save_state(path, state)
    for old in list_checkpoints(folder)[:-max(1, keep)]:
        old.unlink(missing_ok=True)
    return path


def load_latest(folder: Path, trust_pickle: bool = False) -> tuple[Path, dict[str, Any]] | None:
    """The newest loadable checkpoint, or None when there is none."""
    errors = []
    for path in reversed(list_checkpoints(folder)):
        try:
            state = load_state(path, trust_pickle=trust_pickle)
        except BundleError as exc:
            errors.append(str(exc))
            continue
        for message in errors:
            warnings.warn(f"skipped an unreadable newer checkpoint: {message}", stacklevel=2)
        return path, state
    if errors:
        raise BundleError(f"no loadable checkpoint in {folder}: {errors[0]}")
    return None


def capture_rng(gen: torch.Generator) -> dict[str, Any]:
    """Every RNG that training draws from: torch (CPU, CUDA), the Trainer's generator, numpy, random."""
    state = {"torch": torch.get_rng_state(), "gen": gen.get_state(),
             "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], gen: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    gen.set_state(state["gen"])
    np_state = state["numpy"]
    np.random.set_state((np_state[0], np.asarray(np_state[1], dtype=np.uint32), *np_state[2:]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))
