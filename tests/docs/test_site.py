"""The documentation site: `mkdocs build --strict` (slow; the `site` fixture), and the pages its hook writes
from the code."""

import json
import os
import re
import subprocess
import sys

import pytest

from genvision.cli.main import COMMAND_MODULES
from genvision.workflows.figures import FIGURES
from tests.conftest import REPO

HOOK = REPO / "docs" / "hooks" / "genvision_docs.py"


def test_cli_reference_covers_every_command():
    env = {**os.environ, "TYPER_USE_RICH": "0"}
    proc = subprocess.run([sys.executable, str(HOOK)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    texts = dict(json.loads(proc.stdout))
    listed = re.findall(r"^  ([a-z-]+)  ", texts["genvision"].split("Commands:", 1)[1], re.M)
    assert "figures" in listed and len(listed) >= 10
    assert all(f"genvision {name}" in texts for name in listed)
    assert "figures" in COMMAND_MODULES
    assert "--only" in texts["genvision figures"] and "Usage: genvision figures" in texts["genvision figures"]
    assert not any("╭" in text for text in texts.values())  # plain text, not rich boxes


def test_committed_figures_cover_the_table():
    folder = REPO / "docs" / "images" / "figures"
    assert {p.stem for p in folder.glob("*.png")} == set(FIGURES)
    made = json.loads((folder / "figures.json").read_text())["figures"]
    assert set(made) == set(FIGURES)
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Figures and tutorials", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"!\[[^\]]*\]\((docs/images/figures/[a-z0-9-]+\.png)\)", section)
    assert len(shown) >= 3 and all((REPO / p).is_file() for p in shown)
    for link in re.findall(r"\]\((docs/tutorials/[^)]+\.ipynb)\)", section):
        assert (REPO / link).is_file(), link


@pytest.mark.slow
def test_mkdocs_builds_strict(site):
    for page in (
        "index.html",
        "metrics/index.html",
        "figures/index.html",
        "cli/index.html",
        "tutorials/index.html",
        "tutorials/03_ddpm/index.html",
    ):
        assert (site / page).is_file(), page
    figures = (site / "figures" / "index.html").read_text()
    assert all(f'id="{key}"' in figures for key in FIGURES)
    text = re.sub(r"<[^>]+>", "", figures)  # code blocks are highlighted token by token
    assert "genvision figures --out figures --only ddpm-reverse" in text
    assert "images/figures/ddpm-reverse.png" in figures
    cli = (site / "cli" / "index.html").read_text()
    assert "genvision figures" in cli and "genvision sample" in cli
    assert "L_{\\rm simple}" in (site / "tutorials" / "03_ddpm" / "index.html").read_text()
