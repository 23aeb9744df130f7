"""`genvision zoo`: the bundles shipped with the package and their measured metrics; `--measure` measures one."""

from __future__ import annotations

import json

import typer

import genvision
from genvision.errors import GenvisionError


def parse_seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise GenvisionError(
            f"--seeds takes integers separated by commas (e.g. 0,2,3), got {text!r}"
        ) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def zoo(
        measure: str | None = typer.Option(
            None,
            "--measure",
            metavar="BUNDLE",
            help="measure a bundle (shipped name or folder) on its dataset",
        ),
        n: int = typer.Option(1000, "--n", min=1, help="samples / test images to measure with"),
        seeds: str = typer.Option(
            "0", "--seeds", metavar="S,S,...", help="sample seeds; a generator's FID is their mean"
        ),
        write: bool = typer.Option(False, "--write", help="write the numbers into the bundle's config.json"),
    ) -> None:
        """List the shipped model bundles with their measured metrics, or measure one with --measure."""
        if measure is None:
            entries = genvision.zoo()
            if not entries:
                typer.echo("no bundles are shipped with this installation")
            for entry in entries:
                typer.echo(entry.line())
            return
        from genvision.workflows.measure import measure_bundle, write_measurement  # noqa: PLC0415 (torch)

        command = f"genvision zoo --measure {measure} --n {n}" + (f" --seeds {seeds}" if seeds != "0" else "")
        command += " --write" if write else ""
        metrics, how = measure_bundle(measure, n, command=command, seeds=parse_seeds(seeds))
        typer.echo(json.dumps({"metrics": metrics, "measured": how}, indent=1))
        if write:
            typer.echo(f"wrote {write_measurement(measure, metrics, how)}")
