"""One training process per run folder: a second one is refused with a clear message; a dead one's lock is no lock."""

import signal
import time

import pytest

from genvision.errors import GenvisionError
from genvision.io.tensorfile import load_state
from genvision.train.checkpoints import LOCK_NAME, RunLock, list_checkpoints
from tests.reliability.tiny_runs import run, start


def wait_for(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_lock_is_exclusive_and_released(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(GenvisionError, match="in use by another training process"):
            RunLock(tmp_path).acquire()
    RunLock(tmp_path).acquire().release()  # released on exit; the file stays and does not block


@pytest.mark.slow
def test_second_run_in_the_same_folder_is_refused_and_a_killed_runs_lock_does_not_block(tmp_path):
    run_dir = tmp_path / "run"
    first = start(run_dir, "train.steps=100000", "train.checkpoint_every=5")
    try:
        wait_for(lambda: (run_dir / "metrics.jsonl").exists())
        second = run(run_dir, "train.steps=3", "--resume-if-present")  # unlocked, this would finish: exit 0
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr
        assert f"is in use by another training process (pid {first.pid})" in lines[0]
        assert first.poll() is None, "the first run kept going"
        wait_for(lambda: list_checkpoints(run_dir / "checkpoints"))
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    assert (run_dir / LOCK_NAME).exists()  # the stale lock file is still there ...
    step = load_state(list_checkpoints(run_dir / "checkpoints")[-1])["step"]
    done = run(run_dir, f"train.steps={step + 2}", "--resume")  # ... and does not block the next run
    assert done.returncode == 0, done.stderr
    assert load_state(list_checkpoints(run_dir / "checkpoints")[-1])["step"] == step + 2
