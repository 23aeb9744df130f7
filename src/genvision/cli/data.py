"""`genvision data info NAME` and `genvision data prepare NAME`."""

from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import data_dir_option
from genvision.data import load_dataset, parse_data_ref


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(no_args_is_help=True, help="Inspect and prepare datasets.")
    app.add_typer(data_app, name="data")

    @data_app.command("info")
    def info(
        name: str = typer.Argument(
            ..., help="fashion-mnist, mnist, celebamask-hq, digits, synthetic, folder:PATH"
        ),
        data_dir: Path = data_dir_option("Folder holding the dataset files."),
    ) -> None:
        """Print size, image shape, classes and where the files were found."""
        ref = parse_data_ref(name)
        splits = ["all"] if ref.name == "folder" else ["train", "test"]
        lines, source = [], ""
        for split in splits:
            ds = load_dataset(str(ref) if ref.name == "folder" else ref.name, split, data_dir)
            c, h, w = ds.info.shape
            lines.append(f"{split}: {len(ds)} images, {h}x{w}, {c} channel{'s' if c > 1 else ''}")
            source = ds.info.source
        typer.echo(f"dataset: {ds.info.dataset}")
        for line in lines:
            typer.echo(line)
        names = ds.info.class_names
        typer.echo(f"classes: {len(names or [])}" + (f" ({', '.join(names)})" if names else ""))
        typer.echo(f"found at: {source}")

    @data_app.command("prepare")
    def prepare(name: str = typer.Argument(...), data_dir: Path = data_dir_option()) -> None:
        """Fetch (checksum-verified, when online) and cache a dataset; for CelebAMask-HQ, merge the part masks."""
        ref = parse_data_ref(name)
        for split in ["all"] if ref.name == "folder" else ["train", "test"]:
            ds = load_dataset(str(ref) if ref.name == "folder" else ref.name, split, data_dir)
            if hasattr(ds, "label_map"):
                for i in range(len(ds)):
                    ds.label_map(i)
        typer.echo(f"{ref.name} ready at {ds.info.source}")
