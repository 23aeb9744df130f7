"""The figure table, --only selection, the exact commands and the index that accumulates across runs."""

import json
import re
from pathlib import Path

import pytest
import torch

from genvision.errors import GenvisionError
from genvision.viz.grid import save_grid
from genvision.workflows.figures import (
    FIGURES,
    Entry,
    FigureSettings,
    command_for,
    report_numbers,
    select,
    write_index,
)


def test_the_table_covers_the_report():
    assert len(FIGURES) >= 14
    numbers = report_numbers()
    assert len(numbers) >= 12 and {"3.5", "3.12", "3.15", "3.19"} <= set(numbers)
    assert numbers == sorted(numbers, key=lambda n: [int(p) for p in n.split(".")])
    for key, figure in FIGURES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), key
        assert figure.caption.endswith(".") and callable(figure.make)
        assert all(re.fullmatch(r"\d\.\d+", n) for n in figure.report), figure.report


def test_only_takes_ids_and_report_numbers_in_table_order():
    assert select(None) == list(FIGURES)
    assert select("ddpm-reverse,gan-samples") == ["gan-samples", "ddpm-reverse"]
    assert select("3.5") == [k for k, f in FIGURES.items() if "3.5" in f.report] and len(select("3.5")) == 2
    assert select(" 3.19 , 3.19,") == ["inpaint-results"]
    with pytest.raises(GenvisionError, match="unknown figure '9.9'.*gan-samples.*3.12"):
        select("gan-samples,9.9")


def test_command_names_only_the_settings_that_differ_from_the_defaults(tmp_path):
    plain = FigureSettings(out=tmp_path / "my figs")
    assert (
        command_for(plain, "gan-samples")
        == f"genvision figures --out '{tmp_path}/my figs' --only gan-samples"
    )
    full = FigureSettings(out=Path("f"), fast=True, seed=3, data_dir=Path("/data"), device="cpu")
    assert (
        command_for(full, "x")
        == "genvision figures --out f --only x --fast --seed 3 --data-dir /data --device cpu"
    )


def entry(key: str, seconds: float = 1.0, note: str = "n=3") -> Entry:
    f = FIGURES[key]
    return Entry(
        id=key,
        file=f"{key}.png",
        report=f.report,
        caption=f.caption,
        bundles=f.bundles,
        command=f"genvision figures --out o --only {key}",
        seconds=seconds,
        note=note,
    )


def test_index_accumulates_runs_and_drops_missing_files(tmp_path):
    for key in ("gan-samples", "fid-vs-steps", "inpaint-results"):
        save_grid(torch.rand(4, 1, 8, 8) * 2 - 1, tmp_path / f"{key}.png")
    write_index(tmp_path, [entry("fid-vs-steps"), entry("gan-samples")])
    listed = write_index(
        tmp_path, [entry("inpaint-results"), entry("gan-samples", seconds=2.5, note="again")]
    )
    assert [e.id for e in listed] == ["gan-samples", "inpaint-results", "fid-vs-steps"]  # table order
    md = (tmp_path / "index.md").read_text()
    assert "| [gan-samples](#gan-samples) | 3.5 | mnist-dcgan | 2.5 |" in md and "measured: again" in md
    assert "**Report figure new.**" in md and "genvision figures --out o --only fid-vs-steps" in md
    page = (tmp_path / "index.html").read_text()
    assert page.count("<img ") == 3 and "<td>3.19</td>" in page
    assert json.loads((tmp_path / "figures.json").read_text())["figures"]["gan-samples"]["seconds"] == 2.5
    (tmp_path / "fid-vs-steps.png").unlink()
    assert [e.id for e in write_index(tmp_path, [])] == ["gan-samples", "inpaint-results"]
    (tmp_path / "figures.json").write_text("{not json")
    assert [e.id for e in write_index(tmp_path, [entry("gan-samples")])] == ["gan-samples"]


def test_html_escapes_what_it_shows(tmp_path):
    save_grid(torch.zeros(1, 1, 4, 4), tmp_path / "gan-samples.png")
    write_index(tmp_path, [entry("gan-samples", note="FID <1 & rising")])
    assert "FID &lt;1 &amp; rising" in (tmp_path / "index.html").read_text()
