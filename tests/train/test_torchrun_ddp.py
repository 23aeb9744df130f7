"""Two real CPU processes under torchrun (gloo): both ranks end with identical weights, equal to a single
process that trains on the same global batches (the data order is a function of the step)."""

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from genvision.models.bundle import load_bundle
from tests.conftest import GENVISION, REPO

ARGS = [
    "data.name=synthetic",
    "model.channels=[8,16]",
    "model.groups=4",
    "model.dropout=0.0",
    "recipe.shift=2",  # per-sample shifts: rank r shifts its half of the batch as one process does
    "train.batch_size=16",
    "train.steps=6",
    "train.lr=3e-3",
    "train.log_every=3",
    "train.tensorboard=false",
    "train.device=cpu",
]


def _ranks_output(stderr: str) -> str:
    """The ranks' own lines (torchrun --tee prefixes them with [defaultN]:), without the launcher's report."""
    lines = [line for line in stderr.splitlines() if line.startswith("[default")]
    return "\n".join(lines[-40:])


def _signal_death_without_traceback(result: subprocess.CompletedProcess) -> bool:
    """A rank killed by a signal (torchrun reports a negative exit code) that printed no Python traceback."""
    return (
        result.returncode != 0
        and "exitcode  : -" in result.stderr
        and "Traceback" not in _ranks_output(result.stderr)
    )


def _torchrun(config: str, out: Path, port: int) -> subprocess.CompletedProcess:
    torchrun = shutil.which("torchrun", path=str(REPO / ".venv" / "bin")) or shutil.which("torchrun")
    launcher = [torchrun] if torchrun else [sys.executable, "-m", "torch.distributed.run"]
    return subprocess.run(
        launcher
        + [
            "--nproc_per_node=2",
            f"--master_port={port}",
            "--tee=3",
            "-m",
            "genvision.cli.main",
            "train",
            config,
            *ARGS,
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_two_process_ddp_matches_single_process(tmp_path):
    config = str(REPO / "configs" / "classifier_fashion.yaml")
    ddp = _torchrun(config, tmp_path / "ddp", 29517)
    if _signal_death_without_traceback(ddp):
        # a rank was once aborted from native code (SIGABRT, no Python traceback) in CI and never in 49 launches
        # here; the ranks' output goes into the warning and the second launch must pass. A training error in
        # Python (a traceback) or a second death still fails the test.
        warnings.warn(
            f"a rank died by a signal; launching again. Ranks said:\n{_ranks_output(ddp.stderr)}",
            stacklevel=1,
        )
        shutil.rmtree(tmp_path / "ddp", ignore_errors=True)
        ddp = _torchrun(config, tmp_path / "ddp", 29527)
    assert ddp.returncode == 0, f"ranks:\n{_ranks_output(ddp.stderr)}\nlauncher:\n{ddp.stderr[-1500:]}"
    single = subprocess.run(
        GENVISION + ["train", config, *ARGS, "--out", str(tmp_path / "one"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert single.returncode == 0, single.stderr[-2000:]

    records = [json.loads(line) for line in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    checksums = next(r["rank_weight_checksums"] for r in records if "rank_weight_checksums" in r)
    assert len(checksums) == 2 and checksums[0] == checksums[1], "ranks diverged"

    a = load_bundle(tmp_path / "ddp" / "bundle").component("classifier").state_dict()
    b = load_bundle(tmp_path / "one" / "bundle").component("classifier").state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=f"{k} differs from single process")
    first = load_bundle(tmp_path / "one" / "bundle").component("classifier")
    assert not all(torch.equal(first.state_dict()[k], torch.zeros_like(v)) for k, v in a.items())
