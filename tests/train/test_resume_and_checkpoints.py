"""Exact resume, atomic checkpoints, NaN skips: real Trainer runs of a tiny classifier on synthetic data."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from genvision.errors import BundleError, ConfigError, GenvisionError
from genvision.io.tensorfile import load_state, save_state
from genvision.train.checkpoints import list_checkpoints, load_latest
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from tests.conftest import GENVISION, REPO

TINY = [
    "data.name=synthetic",
    "model.channels=[8,16]",
    "model.groups=4",
    "train.batch_size=16",
    "train.lr=3e-3",
    "train.warmup_steps=2",
    "train.lr_schedule=cosine",
    "train.log_every=2",
    "train.tensorboard=false",
    "train.keep_checkpoints=10",
    "recipe.eval_split=test",
]


def tiny_config(*extra):
    return load_run_config(REPO / "configs" / "classifier_fashion.yaml", TINY + list(extra))


def test_resumed_run_is_bit_exact(tmp_path):
    full = tmp_path / "full"
    Trainer(tiny_config("train.steps=8", "train.checkpoint_every=3"), full, quiet=True).run()
    final = load_state(list_checkpoints(full / "checkpoints")[-1])
    # a run that was interrupted right after step 3: only that checkpoint exists
    part = tmp_path / "part" / "checkpoints"
    part.mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "step_00000003.safetensors", part)
    Trainer(
        tiny_config("train.steps=8", "train.checkpoint_every=3"), tmp_path / "part", resume=True, quiet=True
    ).run()
    resumed = load_state(list_checkpoints(part)[-1])
    assert resumed["step"] == final["step"] == 8
    for group in ("nets", "ema"):
        a, b = final[group]["classifier"], resumed[group]["classifier"]
        a = a.get("model", a)
        b = b.get("model", b)
        for k in a:
            assert torch.equal(a[k], b[k]), f"{group}.{k} differs after resume"
    opt_a, opt_b = final["optimizers"]["main"]["state"], resumed["optimizers"]["main"]["state"]
    assert all(torch.equal(opt_a[k]["exp_avg"], opt_b[k]["exp_avg"]) for k in opt_a)


def test_existing_run_needs_resume(tmp_path):
    Trainer(tiny_config("train.steps=2"), tmp_path, quiet=True).run()
    with pytest.raises(GenvisionError, match="--resume"):
        Trainer(tiny_config("train.steps=2"), tmp_path, quiet=True).run()


def test_checkpoint_write_killed_midway_leaves_previous_loadable(tmp_path):
    folder = tmp_path / "checkpoints"
    save_state(folder / "step_00000001.safetensors", {"step": 1, "w": torch.ones(3)})
    # a child process is killed while writing a checkpoint: its writer leaves half the file on disk and then
    # the process dies, at the same point on any machine (a timer could fire after a fast write had finished)
    code = (
        "import os, signal, torch\n"
        "import genvision.io.tensorfile as tf\n"
        "real_save = tf.save_file\n"
        "def dies_halfway(tensors, filename, metadata=None):\n"
        "    real_save(tensors, filename, metadata=metadata)\n"
        "    os.truncate(filename, os.path.getsize(filename) // 2)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "tf.save_file = dies_halfway\n"
        f"tf.save_state(r'{folder}/step_00000002.safetensors', {{'step': 2, 'w': torch.randn(1_000_000)}})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert not (folder / "step_00000002.safetensors").exists(), (
        "no half-written checkpoint under the final name"
    )
    path, state = load_latest(folder)
    assert path.name == "step_00000001.safetensors" and state["step"] == 1


def test_corrupt_newest_checkpoint_falls_back(tmp_path):
    folder = tmp_path / "checkpoints"
    save_state(folder / "step_00000001.safetensors", {"step": 1})
    (folder / "step_00000002.safetensors").write_bytes(b"\x08\x00\x00\x00garbage")
    with pytest.warns(UserWarning, match="unreadable newer checkpoint"):
        path, state = load_latest(folder)
    assert state["step"] == 1


def test_pickled_checkpoint_is_refused(tmp_path):
    torch.save({"step": 1}, tmp_path / "old.pt")
    with pytest.raises(BundleError, match="pickled ones are never loaded"):
        load_state(tmp_path / "old.pt")


def test_resume_without_a_checkpoint_is_refused_and_resume_if_present_starts(tmp_path):
    with pytest.raises(GenvisionError, match="no checkpoint to continue from"):
        Trainer(tiny_config("train.steps=2"), tmp_path, resume=True, quiet=True).run()
    assert not list_checkpoints(tmp_path / "checkpoints")
    Trainer(tiny_config("train.steps=2"), tmp_path, resume="if-present", quiet=True).run()
    assert load_state(list_checkpoints(tmp_path / "checkpoints")[-1])["step"] == 2
    # and with a checkpoint there, "if-present" continues it
    Trainer(tiny_config("train.steps=3"), tmp_path, resume="if-present", quiet=True).run()
    assert load_state(list_checkpoints(tmp_path / "checkpoints")[-1])["step"] == 3


def test_resume_with_another_training_config_is_refused_before_anything_changes(tmp_path):
    """Resuming with a config that trains something else (another lr, say: the overrides forgotten) is a
    one-line error naming the setting, and leaves the run's config.yaml and checkpoints as they were; how long
    to go on (steps, max_seconds) may change."""
    Trainer(tiny_config("train.steps=2", "train.checkpoint_every=1"), tmp_path, quiet=True).run()
    saved = (tmp_path / "config.yaml").read_bytes()
    checkpoints = {p.name: p.read_bytes() for p in list_checkpoints(tmp_path / "checkpoints")}
    with pytest.raises(ConfigError, match=r"train\.lr \(0\.003 → 0\.0008\).*--resume"):
        Trainer(tiny_config("train.steps=4", "train.lr=8e-4"), tmp_path, resume=True, quiet=True).run()
    proc = subprocess.run(
        GENVISION
        + ["train", str(REPO / "configs" / "classifier_fashion.yaml"), "--out", str(tmp_path), "--resume"]
        + TINY
        + ["train.steps=4", "train.warmup_steps=0", "model.groups=2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "model.groups (4 → 2)" in proc.stderr and "train.warmup_steps (2 → 0)" in proc.stderr
    assert (tmp_path / "config.yaml").read_bytes() == saved
    assert {p.name: p.read_bytes() for p in list_checkpoints(tmp_path / "checkpoints")} == checkpoints
    Trainer(
        tiny_config("train.steps=3", "train.max_seconds=600", "train.checkpoint_every=1"),
        tmp_path,
        resume=True,
        quiet=True,
    ).run()
    assert load_state(list_checkpoints(tmp_path / "checkpoints")[-1])["step"] == 3


def test_nan_losses_are_skipped_then_stop(tmp_path):
    cfg = tiny_config("train.steps=5", "train.lr=1e30", "train.grad_clip=null", "train.max_nan_skips=2")
    with pytest.raises(GenvisionError, match="non-finite losses"):
        Trainer(cfg, tmp_path, quiet=True).run()


@pytest.mark.slow
def test_sigint_saves_checkpoint_and_resume_finishes(tmp_path):
    run = tmp_path / "run"
    cmd = GENVISION + [
        "train",
        str(REPO / "configs/classifier_fashion.yaml"),
        *TINY,
        "train.steps=100000",
        "train.checkpoint_every=100000",
        "--out",
        str(run),
        "--quiet",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.time() + 120
    while not (run / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "checkpoint saved" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    (ckpt,) = list_checkpoints(run / "checkpoints")
    step = load_state(ckpt)["step"]
    assert step >= 2
    done = subprocess.run(
        GENVISION
        + [
            "train",
            str(REPO / "configs/classifier_fashion.yaml"),
            *TINY,
            f"train.steps={step + 2}",
            "--out",
            str(run),
            "--resume",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert load_state(list_checkpoints(run / "checkpoints")[-1])["step"] == step + 2


def test_time_budget_stops_early_and_still_exports(tmp_path):
    bundle = Trainer(
        tiny_config("train.steps=100000", "train.max_seconds=0.5", "train.tensorboard=true"),
        tmp_path,
        quiet=True,
    ).run()
    (ckpt,) = list_checkpoints(tmp_path / "checkpoints")[-1:]
    step = load_state(ckpt)["step"]
    assert 0 < step < 100000 and (bundle / "config.json").is_file()


def test_bundle_records_the_steps_actually_run(tmp_path):
    import json

    bundle = Trainer(tiny_config("train.steps=3"), tmp_path, quiet=True).run()
    training = json.loads((bundle / "config.json").read_text())["training"]
    assert training["steps"] == 3 and training["images_seen"] == 48 and training["device"] == "cpu"
