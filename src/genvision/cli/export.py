"""`genvision export BUNDLE --format onnx --out DIR`: the bundle's networks as ONNX graphs plus a manifest."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from genvision.cli.common import QuietOption, summary
from genvision.errors import GenvisionError
from genvision.export.manifest import MANIFEST_NAME
from genvision.export.writer import export_bundle

FORMATS = ("onnx",)


def register(app: typer.Typer) -> None:
    @app.command()
    def export(
        model: str = typer.Argument(..., help="A bundle folder or a shipped name (fashion-ldm, ...)."),
        format_: str = typer.Option("onnx", "--format", help="Export format: onnx."),
        out: Path = typer.Option(..., "--out", help="A new or empty folder to write the export into."),
        captions_per_class: int = typer.Option(
            None,
            "--captions-per-class",
            help="Text models: keep the first K training captions of each class (default: all).",
        ),
        quiet: bool = QuietOption,
    ) -> None:
        """Export a bundle's generating networks for onnxruntime (format: docs/onnx.md).

        Example: `genvision export fashion-ldm --format onnx --out web/fashion-ldm`.
        """
        if format_ not in FORMATS:
            raise GenvisionError(f"unknown export format {format_!r}: choose one of {', '.join(FORMATS)}")
        started = time.perf_counter()
        folder = export_bundle(model, out, captions_per_class=captions_per_class)
        graphs = json.loads((folder / MANIFEST_NAME).read_text())["graphs"]
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        summary(
            quiet,
            f"exported {', '.join(f'{g}.onnx' for g in graphs)} + {MANIFEST_NAME} ({size:.1f} MB) to {folder} "
            f"in {time.perf_counter() - started:.1f} s",
        )
