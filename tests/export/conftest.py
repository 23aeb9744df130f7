"""Exports of the shipped bundles, made once per test session in the session's GENVISION_HOME cache (the same
folders `genvision.load(name, backend="onnx")` then finds)."""

import pytest

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
