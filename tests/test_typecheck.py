"""The public API type-checks: mypy over genvision/__init__.py and generators/ ([tool.mypy] in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [
    "--ignore-missing-imports",
    "--follow-imports=silent",
    "src/genvision/__init__.py",
    "src/genvision/generators",
]


def test_mypy_passes_on_the_public_api():
    pytest.importorskip("mypy", reason="mypy is in the dev extra: pip install -e .[dev]")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *COMMAND],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
