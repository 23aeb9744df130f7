"""The smallest real training runs: the classifier family on synthetic 16x16 data (a step takes ~20 ms on a CPU)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess

from tests.conftest import GENVISION, REPO

CONFIG = str(REPO / "configs" / "classifier_fashion.yaml")
TINY = [
    "data.name=synthetic",
    "model.channels=[8,16]",
    "model.groups=4",
    "train.batch_size=16",
    "train.lr=3e-3",
    "train.warmup_steps=2",
    "train.lr_schedule=cosine",
    "train.log_every=1",
    "train.tensorboard=false",
    "recipe.eval_split=test",
    "train.device=cpu",
]
# one thread in every process: CPU results are bit-identical only at a fixed thread count
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def train_cmd(run_dir, *extra: str) -> list[str]:
    return GENVISION + ["train", CONFIG, *TINY, *extra, "--out", str(run_dir), "--quiet"]


def start(run_dir, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        train_cmd(run_dir, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, **kw
    )


def run(run_dir, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        train_cmd(run_dir, *extra), capture_output=True, text=True, env=ENV, timeout=timeout
    )


def _cli_child(argv: list[str], stderr_path: str) -> None:
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    from genvision.cli.main import main

    main(argv)


def fork_train(run_dir, *extra: str, stderr_path) -> multiprocessing.Process:
    """`genvision train ...` in a forked child of this (already imported, one-thread) process: a real process to
    SIGKILL, without paying the 3-5 s interpreter and torch start-up for every kill."""
    from genvision.cli.main import load_all_commands

    load_all_commands()  # imported once here, not in every child
    import genvision.train.trainer  # noqa: F401

    argv = train_cmd(run_dir, *extra)[len(GENVISION) :]
    proc = multiprocessing.get_context("fork").Process(target=_cli_child, args=(argv, str(stderr_path)))
    proc.start()
    return proc


__all__ = ["CONFIG", "ENV", "TINY", "fork_train", "run", "start", "train_cmd"]
