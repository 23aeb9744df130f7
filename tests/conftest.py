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


# With pytest-xdist (`make test` runs two workers), whole test files go to one worker, so their module fixtures
# run once; the folders whose files share a costly session fixture (the built docs site, the shipped bundles'
# exports) go whole to one worker, so that fixture is made once. (xdist's own --dist loadgroup cannot do this
# with pytest 9, whose node ids it no longer rewrites.)
SHARED_SESSION_FOLDERS = ("docs", "export")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class FileOrFolderScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            parts = path.split("/")
            return "/".join(parts[:2]) if len(parts) > 2 and parts[1] in SHARED_SESSION_FOLDERS else path

    return FileOrFolderScheduling(config, log)


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.getbasetemp() / "genvision_home"
    monkeypatch.setenv("GENVISION_HOME", str(home))
    # the onnx backend's exports (what `genvision sample` runs on the CPU by default) are made once per test
    # run: every xdist worker shares one cache (the folder above the workers' own temporary folders)
    shared = home.parent.parent if os.environ.get("PYTEST_XDIST_WORKER") else home.parent
    monkeypatch.setenv("GENVISION_ONNX_CACHE", str(shared / "onnx_cache"))
    yield


def fashion_available() -> bool:
    return Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file()
