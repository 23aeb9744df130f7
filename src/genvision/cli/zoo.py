"""`genvision zoo`: the bundles shipped with the package and their measured metrics."""

from __future__ import annotations

import typer

import genvision


def register(app: typer.Typer) -> None:
    @app.command()
    def zoo() -> None:
        """List the shipped model bundles with their measured metrics."""
        entries = genvision.zoo()
        if not entries:
            typer.echo("no bundles are shipped with this installation")
        for entry in entries:
            typer.echo(entry.line())
