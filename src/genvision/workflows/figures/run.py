"""`genvision figures`: draw the chosen figures into one folder and index them.

    run = run_figures(FigureSettings(out=Path("figs"), fast=True), select("3.5,fid-vs-steps"))
    run.entries          # what this run made, with seconds and notes; figs/index.md lists the whole folder

A figure that fails stops the run, and the index still lists what was made before it.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from genvision.workflows.figures.context import FigureContext, FigureSettings
from genvision.workflows.figures.index import Entry, write_index
from genvision.workflows.figures.registry import FIGURES
from genvision.workflows.figures.sources import DataSources

# progress(figure id, index, total), called before each figure starts
FigureProgress = Callable[[str, int, int], None]


@dataclass
class FiguresRun:
    entries: list[Entry]  # made by this run, in table order
    index: list[Entry]  # every figure now listed in the folder's index
    seconds: float
    sources: DataSources


def command_for(settings: FigureSettings, key: str) -> str:
    """The command that makes figure `key` alone with these settings."""
    words = ["genvision", "figures", "--out", str(settings.out), "--only", key]
    if settings.fast:
        words.append("--fast")
    if settings.seed:
        words += ["--seed", str(settings.seed)]
    if settings.data_dir is not None:
        words += ["--data-dir", str(settings.data_dir)]
    if settings.device != "auto":
        words += ["--device", settings.device]
    return shlex.join(words)


def run_figures(
    settings: FigureSettings, ids: list[str], progress: FigureProgress | None = None
) -> FiguresRun:
    """Make figures `ids` (see `registry.select`) as settings.out/ID.png and write the index beside them.

    Models and data are loaded once for the run. The index is written even when a figure fails part way."""
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = FigureContext(settings)
    made: list[Entry] = []
    started = time.perf_counter()
    try:
        for i, key in enumerate(ids):
            if progress is not None:
                progress(key, i, len(ids))
            figure, t0 = FIGURES[key], time.perf_counter()
            note = figure.make(ctx, out / f"{key}.png")
            made.append(
                Entry(
                    id=key,
                    file=f"{key}.png",
                    report=figure.report,
                    caption=figure.caption,
                    bundles=figure.bundles,
                    command=command_for(settings, key),
                    seconds=round(time.perf_counter() - t0, 2),
                    note=note,
                )
            )
    finally:
        index = write_index(out, made)
    return FiguresRun(made, index, time.perf_counter() - started, ctx.sources)
