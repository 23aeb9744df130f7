"""Test-wide settings: no network, few threads, a private GENVISION_HOME per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["GENVISION_OFFLINE"] = "1"
# OpenMP threads that spin while waiting make torch 10-100x slower when test subprocesses share the cores
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

torch.set_num_threads(1)  # tiny test models: one thread is fastest, and subprocess tests get the other core

REPO = Path(__file__).resolve().parents[1]
GENVISION = [sys.executable, "-m", "genvision.cli.main"]


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.getbasetemp() / "genvision_home"
    monkeypatch.setenv("GENVISION_HOME", str(home))
    yield


def fashion_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
