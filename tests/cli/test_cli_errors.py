"""Every CLI error path gives one line on stderr and a non-zero exit code (real subprocesses)."""

import subprocess

import pytest

from tests.conftest import GENVISION, REPO


def run(*args, env=None):
    return subprocess.run(GENVISION + list(args), capture_output=True, text=True, timeout=120, env=env)


def assert_one_line_error(proc, pattern):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and pattern in lines[0], lines[0]


def test_help_lists_commands():
    proc = run("--help")
    assert proc.returncode == 0
    for cmd in ("train", "data", "zoo"):
        assert cmd in proc.stdout


def test_data_info_fashion_mnist():
    proc = run("data", "info", "fashion-mnist")
    if "not found" in proc.stderr:
        pytest.skip("dataset-fashion-mnist not installed")
    assert proc.returncode == 0
    assert "train: 60000 images, 28x28" in proc.stdout and "test: 10000 images" in proc.stdout
    assert "classes: 10" in proc.stdout


def test_missing_dataset(tmp_path):
    import os

    env = {**os.environ, "GENVISION_HOME": str(tmp_path)}
    assert_one_line_error(
        run("data", "info", "mnist", "--data-dir", str(tmp_path), env=env), "mnist not found"
    )


@pytest.mark.parametrize(
    "override, pattern",
    [("train.bogus=1", "unknown config key 'train.bogus'"), ("train.lr=abc", "train.lr: expected a number")],
)
def test_bad_config_values(override, pattern):
    assert_one_line_error(run("train", str(REPO / "configs/classifier_fashion.yaml"), override), pattern)


def test_missing_config_file(tmp_path):
    assert_one_line_error(run("train", str(tmp_path / "none.yaml")), "does not exist")


def test_corrupt_and_pickled_checkpoints_on_resume(tmp_path):
    ckpt = tmp_path / "run" / "checkpoints"
    ckpt.mkdir(parents=True)
    (ckpt / "step_00000005.safetensors").write_bytes(b"garbage")
    args = [
        "train",
        str(REPO / "configs/classifier_fashion.yaml"),
        "data.name=synthetic",
        "train.steps=1",
        "--out",
        str(tmp_path / "run"),
        "--resume",
        "--quiet",
    ]
    assert_one_line_error(run(*args), "no loadable checkpoint")


# (the malformed-input corpus in tests/reliability runs many more usage mistakes in forked processes; these are
# fresh `python -m genvision.cli.main` processes, as a user's shell starts them)
USAGE_MISTAKES = [
    (
        ["sampel", "fashion-dcgan"],
        "No such command 'sampel'. Did you mean 'sample'?",
        "Usage: genvision [OPTIONS]",
    ),
    (["sample", "fashion-dcgan", "-n", "abc"], "Invalid value for '-n'", "Usage: genvision sample [OPTIONS]"),
]


@pytest.mark.parametrize("args, message, usage", USAGE_MISTAKES, ids=["typo", "n-abc"])
def test_usage_mistakes_read_like_click(args, message, usage):
    """A typo is not a crash: usage line, help hint, `error: <click's message>`, exit 2."""
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith(usage) and lines[1].startswith("Try 'genvision") and len(lines) == 3, (
        proc.stderr
    )
    assert lines[2].startswith("error: ") and message in lines[2], proc.stderr
    assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr


def test_bare_command_shows_the_help_and_exits_2():
    proc = run()
    assert (
        proc.returncode == 2
        and "Usage: genvision" in proc.stdout + proc.stderr
        and "error" not in proc.stderr
    )
