"""Kill drill: SIGKILL a real CPU training run at 10 random moments (many land inside checkpoint writes, which
happen every step), restart it each time with --resume-if-present, and check the final state is bit-identical to
an uninterrupted run's: weights, EMA, optimizer moments, step, and the exported bundle.

The reference run and the final resume are fresh `genvision train` processes; the runs that get killed are the
same CLI in processes forked from the test (its imports done), so ten kills cost seconds, not a minute of start-ups.
"""

import os
import random
import signal
import time

import pytest
import torch
from safetensors.torch import load_file

from genvision.io.tensorfile import load_state
from genvision.train.checkpoints import list_checkpoints
from tests.reliability.tiny_runs import fork_train, run

STEPS = 150  # enough that ten resumed-then-killed runs cannot finish it even on a fast machine
ARGS = [f"train.steps={STEPS}", "train.checkpoint_every=1", "train.keep_checkpoints=2", "model.dropout=0.1"]
KILLS = 10


def newest_step(run_dir):
    ckpts = list_checkpoints(run_dir / "checkpoints")
    return int(ckpts[-1].name[5:13]) if ckpts else -1


def partial_writes(run_dir):
    folder = run_dir / "checkpoints"
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] if folder.is_dir() else []


def assert_same_state(a, b):
    assert a["step"] == b["step"] == STEPS and a["nan_skips"] == b["nan_skips"]
    for group in ("nets", "ema"):
        for name, tensors in a[group].items():
            tensors = tensors.get("model", tensors)
            other = b[group][name].get("model", b[group][name])
            for k, v in tensors.items():
                assert torch.equal(v, other[k]), f"{group}.{name}.{k} differs"
    for name, opt in a["optimizers"].items():
        for idx, state in opt["state"].items():
            for k, v in state.items():
                assert torch.equal(
                    torch.as_tensor(v), torch.as_tensor(b["optimizers"][name]["state"][idx][k])
                ), k


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_is_bit_identical(tmp_path):
    reference = run(tmp_path / "reference", *ARGS)
    assert reference.returncode == 0, reference.stderr

    run_dir, rng, log = tmp_path / "killed", random.Random(17), tmp_path / "stderr.txt"
    kills, mid_write, started, waits = 0, 0, time.perf_counter(), []
    while kills < KILLS:
        proc = fork_train(run_dir, *ARGS, "--resume-if-present", stderr_path=log)
        before = newest_step(run_dir)
        deadline, t0 = time.time() + 120, time.perf_counter()
        while newest_step(run_dir) <= before and proc.is_alive() and time.time() < deadline:
            time.sleep(0.002)  # wait until this process trains (a kill during start-up tests little)
        assert proc.is_alive(), f"the run ended early (exit {proc.exitcode}): {log.read_text()[-2000:]}"
        waits.append(time.perf_counter() - t0)
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=60)
        assert proc.exitcode == -signal.SIGKILL or proc.exitcode == 0, log.read_text()[-2000:]
        kills += proc.exitcode == -signal.SIGKILL
        mid_write += bool(partial_writes(run_dir))
        assert newest_step(run_dir) < STEPS or proc.exitcode == 0, (
            "the run finished before the 10th kill; raise STEPS"
        )
    finish = run(run_dir, *ARGS, "--resume-if-present")
    assert finish.returncode == 0, finish.stderr
    assert not partial_writes(run_dir), "leftover temporary checkpoint files were not cleaned up"
    elapsed = time.perf_counter() - started
    print(
        f"\n{kills} kills ({mid_write} inside a checkpoint write) and the resumes took {elapsed:.1f} s "
        f"(start-up to the first new checkpoint: {sum(waits) / len(waits):.2f} s on average)"
    )

    ref = load_state(list_checkpoints(tmp_path / "reference" / "checkpoints")[-1])
    got = load_state(list_checkpoints(run_dir / "checkpoints")[-1])
    assert_same_state(ref, got)
    ref_weights = load_file(str(tmp_path / "reference" / "bundle" / "classifier" / "model.safetensors"))
    got_weights = load_file(str(run_dir / "bundle" / "classifier" / "model.safetensors"))
    assert all(torch.equal(v, got_weights[k]) for k, v in ref_weights.items())
