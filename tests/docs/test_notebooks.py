"""The tutorials: stored without outputs, checking their equations with asserts, and executed end to end."""

import time
from pathlib import Path

import nbformat
import pytest

from tests.conftest import REPO, fashion_available

NOTEBOOKS = sorted((REPO / "docs" / "tutorials").glob("*.ipynb"))


def test_five_tutorials_stored_without_outputs():
    assert len(NOTEBOOKS) >= 5
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), (
            f"{path.name} has outputs"
        )
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
        assert sum("assert " in c.source for c in code) >= 2, f"{path.name} checks too little"


@pytest.mark.slow
@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    seconds = time.perf_counter() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum(
        "image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert images >= 3, f"{path.name} drew {images} figures"
    print(f"{path.name}: {seconds:.1f} s")
