"""`genvision figures --out figs [--only ID,...] [--fast]`: regenerate the report's figures and their index."""

from __future__ import annotations

from pathlib import Path

import typer
from tqdm import tqdm

from genvision.cli.common import DeviceOption, QuietOption, SeedOption, data_dir_option, summary
from genvision.workflows.figures import FIGURES, FigureSettings, report_numbers, run_figures, select

OutOption = typer.Option(Path("figures"), "--out", help="Folder for the PNGs, index.md and index.html.")
DataDirOption = data_dir_option(
    "Folder with MNIST or CelebAMask-HQ for the dataset figures (Fashion-MNIST stands in where they are absent)."
)


def register(app: typer.Typer) -> None:
    @app.command()
    def figures(
        out: Path = OutOption,
        only: str = typer.Option(
            None,
            "--only",
            help="Comma-separated figure ids or report numbers (e.g. gan-samples,3.12); default: all.",
        ),
        fast: bool = typer.Option(False, "--fast", help="Fewer samples and steps (what the tests run)."),
        data_dir: Path = DataDirOption,
        list_: bool = typer.Option(
            False, "--list", help="Print the figure ids and report numbers, then exit."
        ),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Regenerate the report's figures from the shipped bundles, with an index naming each one's command.

        Example: `genvision figures --out figs --only 3.5,fid-vs-steps --fast`.
        """
        ids = select(only)
        if list_:
            for key in ids:
                typer.echo(f"{key:28s} {', '.join(FIGURES[key].report) or 'new':10s} {FIGURES[key].caption}")
            return
        settings = FigureSettings(out=out, device=device, fast=fast, seed=seed, data_dir=data_dir)
        bar = None
        if not quiet:
            bar = tqdm(total=len(ids), unit="figure", leave=False)

        def progress(key: str, done: int, total: int) -> None:
            if bar is not None:
                bar.n = done
                bar.set_description(key)
                bar.refresh()

        try:
            run = run_figures(settings, ids, progress)
        finally:
            if bar is not None:
                bar.close()
        numbers = report_numbers([e.id for e in run.entries])
        summary(
            quiet,
            f"made {len(run.entries)} figure(s) in {run.seconds:.1f} s (report figures "
            f"{', '.join(numbers) or 'none'}; {run.sources.line()}); wrote {out / 'index.md'}, "
            f"{out / 'index.html'}",
        )
