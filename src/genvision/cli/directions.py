"""`genvision directions MODEL --attribute class:trouser [--attribute ...] --out directions.safetensors`."""

from __future__ import annotations

from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import DeviceOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.workflows.codes import save_directions


def register(app: typer.Typer) -> None:
    @app.command()
    def directions(
        model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name."),
        attribute: list[str] = typer.Option(
            ..., "--attribute", help="class:NAME | brightness | label:NAME | mask:PART (repeatable)."
        ),
        samples: int = typer.Option(2000, "--samples", help="Sampled codes (or real images) to fit on."),
        fraction: float = typer.Option(
            0.25, "--fraction", help="Scored attributes: top/bottom fraction kept."
        ),
        data: str = typer.Option(None, "--data", help="label:/mask: attributes: the real images to invert."),
        classifier: str = typer.Option(None, "--classifier", help="Classifier bundle for class:NAME."),
        truncation: float = typer.Option(1.0, "--truncation", help="ψ for the sampled codes."),
        out: Path = typer.Option(..., "--out", help="Directions file (.safetensors)."),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Fit attribute directions in W (unit normals of linear SVMs) and save them by attribute name.

        Example: `genvision directions fashion-stylegan --attribute class:trouser --out directions.safetensors`.
        """
        check_outputs(files=(out,))
        torch.set_grad_enabled(False)
        stylegan = genvision.load(model, device=device, kinds=("stylegan",))
        found = {
            a: stylegan.fit_direction(
                a,
                samples=samples,
                fraction=fraction,
                seed=seed,
                classifier=classifier,
                data=data,
                truncation=truncation,
            )
            for a in attribute
        }
        save_directions(ensure_parent(out), found, model)
        accuracy = ", ".join(f"{name} (SVM accuracy {acc:.2f})" for name, (_, acc, _) in found.items())
        summary(quiet, f"fitted {accuracy}; wrote {out}")
