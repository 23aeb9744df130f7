"""Regenerate the report's figures from the shipped bundles (`genvision figures`).

    from genvision.workflows.figures import FIGURES, FigureSettings, run_figures, select
    run_figures(FigureSettings(out=Path("figs"), fast=True), select(None))   # every figure + figs/index.md

One module per figure family (datasets, vae, gan, stylegan, ddpm, autoencoder, ldm, inpainting, fid); the table
FIGURES in `registry` maps each id to its report figure numbers, caption, bundles and drawing function.
"""

from genvision.workflows.figures.context import FigureContext, FigureSettings
from genvision.workflows.figures.index import Entry, write_index
from genvision.workflows.figures.registry import FIGURES, Figure, report_numbers, select
from genvision.workflows.figures.run import FiguresRun, command_for, run_figures

__all__ = [
    "FIGURES",
    "Entry",
    "Figure",
    "FigureContext",
    "FigureSettings",
    "FiguresRun",
    "command_for",
    "report_numbers",
    "run_figures",
    "select",
    "write_index",
]
