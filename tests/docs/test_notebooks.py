"""The tutorials: stored without outputs and checking their equations with asserts. `make docs` executes them
(tests/docs/test_site_browser.py checks every cell's output on the built pages)."""

import nbformat

from tests.conftest import REPO

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
