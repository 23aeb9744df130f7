"""`genvision data info NAME` and `genvision data prepare NAME [--size N --out DIR]`."""

from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import data_dir_option
from genvision.cli.progress import progress_bar
from genvision.data import load_dataset, parse_data_ref
from genvision.data.prepare import prepare_folder
from genvision.data.registry import PATH_DATASETS
from genvision.errors import GenvisionError


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
        by_path = ref.name in PATH_DATASETS
        splits = ["all"] if by_path else ["train", "test"]
        lines, source = [], ""
        for split in splits:
            ds = load_dataset(str(ref) if by_path else ref.name, split, data_dir)
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
    def prepare(
        name: str = typer.Argument(
            ..., help="A data reference: celebamask-hq[:SPLIT], folder:PATH, mnist, ..."
        ),
        data_dir: Path = data_dir_option(),
        size: int = typer.Option(None, "--size", help="Decode and resize once to SIZE x SIZE (needs --out)."),
        out: Path = typer.Option(
            None, "--out", help="The prepared folder to write (train with prepared:DIR)."
        ),
        channels: int = typer.Option(
            None, "--channels", help="1 (grayscale) or 3 (RGB); default: the source's."
        ),
        quiet: bool = typer.Option(False, "--quiet"),
    ) -> None:
        """Without --out: fetch (checksum-verified, when online) and cache a dataset (CelebAMask-HQ: merge the
        part masks). With --size N --out DIR: write a prepared folder (memory-mapped uint8 arrays, labels, label
        maps, every caption, a manifest); a killed run continues when the same command is run again."""
        if out is not None or size is not None:
            if out is None or size is None:
                raise GenvisionError(
                    "data prepare: give both --size N and --out DIR to write a prepared folder"
                )
            bar, progress = progress_bar(not quiet, unit="img", desc="prepare")
            try:
                folder, manifest = prepare_folder(name, size, out, data_dir, channels, progress=progress)
            finally:
                bar.close()
            skipped = f", {len(manifest['skipped'])} unreadable skipped" if manifest["skipped"] else ""
            typer.echo(
                f"prepared {manifest['count']} images of {manifest['source']} at {size}x{size}{skipped}: {folder}"
            )
            return
        ref = parse_data_ref(name)
        for split in ["all"] if ref.name == "folder" else ["train", "test"]:
            ds = load_dataset(str(ref) if ref.name == "folder" else ref.name, split, data_dir)
            if ref.name == "celebamask-hq":
                for i in range(len(ds)):
                    ds.label_map(i)
        typer.echo(f"{ref.name} ready at {ds.info.source}")
