"""--quiet: nothing on stderr, no progress bar of genvision's nor of a library it loads (the sentence encoder's
"Loading weights" bar included); only the summary line on stdout."""

from __future__ import annotations

import subprocess

import pytest

from genvision.conditioning.text import minilm_available
from tests.conftest import GENVISION


def run(tmp_path, *argv):
    return subprocess.run(
        [*GENVISION, *argv, "--quiet", "--out", str(tmp_path / "out.png")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )


@pytest.mark.skipif(not minilm_available(), reason="needs the text extra (MiniLM)")
def test_quiet_free_text_prompt_prints_no_bar(tmp_path):
    """A prompt outside the caption cache loads MiniLM through transformers, whose loading bar once showed."""
    proc = run(
        tmp_path,
        "sample",
        "fashion-ldm",
        "-n",
        "1",
        "--steps",
        "2",
        "--prompt",
        "trousers for a long hike",
        "--grounding",
        "0",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1 and "wrote" in proc.stdout


def test_without_quiet_the_bar_shows(tmp_path):
    """The check above can fail: the same kind of run without --quiet writes its bar to stderr."""
    proc = subprocess.run(
        [*GENVISION, "sample", "fashion-ddpm", "-n", "1", "--steps", "3", "--out", str(tmp_path / "o.png")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0 and "img-step" in proc.stderr, proc.stderr
