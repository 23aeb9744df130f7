"""Exports of the shipped bundles, made once per test run in the onnx cache every worker shares
(tests/conftest.py; the same folders `genvision.load(name, backend="onnx")` then finds)."""

import pytest
import torch

import genvision
from genvision.export.writer import cached_export
from genvision.models.bundle import load_bundle


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "genvision_home"  # tests/conftest.py's private home
    folders = {}

    def export(name: str):
        if name not in folders:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("GENVISION_HOME", str(home))
                folders[name] = cached_export(load_bundle(name))
        return folders[name]

    return export


def load_onnx_split(name: str):
    """`name` on the onnx backend made while torch has 2 threads (1 in tests), so batches of SPLIT_BATCH or
    more run split over two sessions."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        return genvision.load(name, backend="onnx")
    finally:
        torch.set_num_threads(threads)
