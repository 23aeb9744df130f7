"""Training checkpoints in `runs/<name>/checkpoints/step_XXXXXXXX.safetensors`, each written atomically.

Every file present is complete (temporary name, then rename), so "latest" is simply the highest step that
loads; a corrupt newest file falls back to the previous one. A process killed mid-write leaves only a hidden
`.step_XXXXXXXX.safetensors.*.tmp` beside them, which the next run in the folder removes.

One training process at a time owns a run folder: `RunLock` holds an exclusive `flock` on `<run>/.lock` for the
whole run. The kernel drops the lock when its process exits, however it dies, so a stale lock file never blocks.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.errors import BundleError, GenvisionError
from genvision.io.tensorfile import load_state, save_state

_NAME = re.compile(r"^step_(\d{8})\.safetensors$")
_PARTIAL = re.compile(r"^\.step_(\d{8})\.safetensors\..*\.tmp$")
LOCK_NAME = ".lock"


def checkpoint_path(folder: Path, step: int) -> Path:
    return folder / f"step_{step:08d}.safetensors"


def list_checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=lambda p: p.name)


def remove_partial_checkpoints(folder: Path) -> int:
    """Delete temporary files left by checkpoint writes that were killed; call only while holding the run lock."""
    if not folder.is_dir():
        return 0
    partial = [p for p in folder.iterdir() if _PARTIAL.match(p.name)]
    for p in partial:
        p.unlink(missing_ok=True)
    return len(partial)


def save_checkpoint(folder: Path, step: int, state: dict[str, Any], keep: int = 2) -> Path:
    path = checkpoint_path(folder, step)
    save_state(path, state)
    for old in list_checkpoints(folder)[: -max(1, keep)]:
        old.unlink(missing_ok=True)
    return path


def load_latest(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest loadable checkpoint, or None when there is none."""
    errors = []
    for path in reversed(list_checkpoints(folder)):
        try:
            state = load_state(path)
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
    state = {
        "torch": torch.get_rng_state(),
        "gen": gen.get_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
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


class RunLock:
    """An exclusive, non-blocking lock on `<run_dir>/.lock`; a second training process in the folder is refused."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_NAME
        self._fh = None
        self.created_folder = False

    def acquire(self) -> RunLock:
        try:
            import fcntl  # noqa: PLC0415  (POSIX only)
        except ImportError:  # no flock (Windows): run unlocked
            return self
        self.created_folder = not self.path.parent.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise GenvisionError(
                f"run folder {self.path.parent} is in use by another training process (pid {holder}); "
                "wait for it to finish, stop it, or pass --out to train in another folder"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        """Drop the lock. A folder this lock created and nothing else wrote to (a run that failed at set-up) goes."""
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            if self.created_folder and [p.name for p in self.path.parent.iterdir()] == [LOCK_NAME]:
                self.path.unlink()  # still holding the lock, so no other process is using the file
                self.path.parent.rmdir()
        with contextlib.suppress(OSError):
            self._fh.close()  # closing the descriptor drops the flock; otherwise the file stays (unlinking would race)
        self._fh = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
