"""Options and helpers shared by commands."""

from __future__ import annotations

from pathlib import Path

import typer

from genvision.data.registry import check_data_dir


def _existing_data_dir(value: str | None) -> str | None:
    check_data_dir(value)
    return value


def data_dir_option(help: str = "Dataset root when not in the default place."):
    """--data-dir FOLDER: when given, it must exist, in every command (even where no data ends up being read)."""
    return typer.Option(None, "--data-dir", help=help, callback=_existing_data_dir)


SeedOption = typer.Option(0, "--seed", help="Random seed; image k is the same whatever -n or --batch-size.")
DeviceOption = typer.Option("auto", "--device", help="auto (CUDA if available), cpu, cuda, cuda:N.")
QuietOption = typer.Option(False, "--quiet", "-q", help="No progress bars; only the summary line.")
BackendOption = typer.Option(
    "auto",
    "--backend",
    help="auto (onnx on the CPU when onnxruntime is installed, else torch), torch, or onnx: onnxruntime on "
    "the CPU in fp32 (exported once per bundle, cached).",
)
NpyOption = typer.Option(None, "--npy", help="Also write the raw results as uint8 [N,H,W] or [N,H,W,C].")


def summary(quiet: bool, message: str) -> None:
    """The one-line summary every command prints at the end (also with --quiet)."""
    typer.echo(message)


def ensure_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
