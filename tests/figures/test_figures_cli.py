"""`genvision figures --fast` through the real entry point: every figure, non-blank, indexed with its command."""

import json
import math
import re
import shutil
import subprocess

import pytest

from genvision.workflows.figures import FIGURES
from tests.conftest import GENVISION, REPO, fashion_available
from tests.figures.image_checks import png_std

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed"),
]

MIN_STD = 12.0  # 0–255 scale; a blank (one-colour) figure has 0, the sparsest real figure here has > 30


def figures(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*GENVISION, "figures", *args], capture_output=True, text=True, cwd=REPO, timeout=900
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("figs")
    proc = figures("--out", str(out), "--fast", "--device", "cpu", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_every_figure_is_written_and_not_blank(made):
    out, proc = made
    pngs = sorted(out.glob("*.png"))
    assert [p.stem for p in pngs] == sorted(FIGURES) and len(pngs) >= 14
    blank = {p.stem: round(png_std(p), 1) for p in pngs if png_std(p) < MIN_STD}
    assert not blank, f"blank figures: {blank}"
    assert proc.stdout.count("\n") == 1 and proc.stdout.startswith(f"made {len(FIGURES)} figure(s)")


def test_index_names_report_numbers_bundles_and_commands(made):
    out, _ = made
    md = (out / "index.md").read_text()
    numbers = set(re.findall(r"^\| \[[a-z0-9-]+\]\(#[a-z0-9-]+\) \| ([\d., ]+|new) \|", md, re.M))
    named = {n.strip() for group in numbers for n in group.split(",") if n.strip() != "new"}
    assert len(named) >= 12, named
    for key, figure in FIGURES.items():
        assert f"![{key}]({key}.png)" in md
        assert f"genvision figures --out {out} --only {key} --fast --device cpu" in md
        for bundle in figure.bundles:
            assert bundle in md
    html = (out / "index.html").read_text()
    assert html.count("<img ") == len(FIGURES) and "<pre>genvision figures" in html
    assert all(e["seconds"] > 0 for e in json.loads((out / "figures.json").read_text())["figures"].values())


def test_fid_against_steps_is_a_real_measurement(made):
    data = json.loads((made[0] / "fid-vs-steps.json").read_text())
    assert set(data["fid"]) == {"ddim", "dpmpp", "ddpm"} and data["n"] > 0
    values = [v for points in data["fid"].values() for v in points.values()]
    assert len(values) >= 6 and all(math.isfinite(v) and v > 0 for v in values)
    assert len(set(values)) == len(values)  # each point sampled separately
    assert math.isfinite(data["baseline"]) and data["baseline"] > 0


def test_only_reruns_reproduce_and_merge_into_the_index(made, tmp_path):
    out, _ = made
    again = tmp_path / "again"
    shutil.copytree(out, again)
    proc = figures("--out", str(again), "--only", "vae-manifold,3.6", "--fast", "--device", "cpu", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "made 2 figure(s)" in proc.stdout and "3.6" in proc.stdout
    for key in ("vae-manifold", "gan-interpolation"):  # same seed, same settings: the same bytes
        assert (again / f"{key}.png").read_bytes() == (out / f"{key}.png").read_bytes()
    md = (again / "index.md").read_text()
    assert all(f"## {key}" in md for key in FIGURES)  # the earlier figures stay listed
    proc = figures(
        "--out", str(again), "--only", "gan-samples", "--fast", "--seed", "5", "--device", "cpu", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    assert (again / "gan-samples.png").read_bytes() != (out / "gan-samples.png").read_bytes()
    assert "--only gan-samples --fast --seed 5" in (again / "index.md").read_text()


def test_unknown_figure_is_a_one_line_error(tmp_path):
    proc = figures("--out", str(tmp_path), "--only", "3.1")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: unknown figure '3.1'") and not any(tmp_path.iterdir())
