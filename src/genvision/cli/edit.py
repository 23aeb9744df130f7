"""`genvision edit MODEL --codes codes.safetensors --direction NAME --strength -3:3:7 --out strip.png [--npy]`."""

from __future__ import annotations

from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.errors import GenvisionError
from genvision.generators import StyleGAN
from genvision.inversion.directions import parse_strengths
from genvision.pipelines.codes import load_codes, load_directions
from genvision.viz.images import save_npy
from genvision.viz.reconstructions import save_strip


def parse_layers(text: str | None, num_ws: int) -> list[int] | None:
    """'0-3' → [0, 1, 2, 3]; '0,2' → [0, 2]; None → all layers."""
    if text is None:
        return None
    try:
        if "-" in text:
            lo, hi = (int(v) for v in text.split("-"))
            out = list(range(lo, hi + 1))
        else:
            out = [int(v) for v in text.split(",")]
    except ValueError as exc:
        raise GenvisionError(f"--layers {text!r} is not a range (0-3) or a list (0,2)") from exc
    if not out or min(out) < 0 or max(out) >= num_ws:
        raise GenvisionError(f"--layers {text!r} must lie in 0..{num_ws - 1}")
    return out


def direction_by_name(
    stylegan: StyleGAN,
    name: str,
    table: dict[str, torch.Tensor] | None,
    samples: int,
    seed: int,
    classifier: str | None,
) -> torch.Tensor:
    """A direction from a directions file, else fitted now from its attribute spec (class:NAME, brightness, ...)."""
    if table is not None and name in table:
        return table[name]
    if table is not None and ":" not in name and name != "brightness":
        raise GenvisionError(f"no direction {name!r} in the directions file; it has: {', '.join(table)}")
    return stylegan.direction(name, samples=samples, seed=seed, classifier=classifier)


def register(app: typer.Typer) -> None:
    @app.command()
    def edit(
        model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name."),
        codes: Path = typer.Option(..., "--codes", help="Codes from `genvision invert`."),
        direction: str = typer.Option(
            ...,
            "--direction",
            help="A name in --directions, or an attribute to fit now (class:NAME, "
            "brightness, label:NAME, mask:PART).",
        ),
        directions: Path = typer.Option(
            None, "--directions", help="Directions file from `genvision directions`."
        ),
        condition_on: list[str] = typer.Option(
            None, "--condition-on", help="Directions to keep fixed (projected out; repeatable)."
        ),
        strength: str = typer.Option(
            "-3:3:7", "--strength", help="START:STOP:COUNT, a number or a comma list."
        ),
        layers: str = typer.Option(None, "--layers", help="Edit only these W+ layers, e.g. 0-3 or 0,1,2."),
        classifier: str = typer.Option(None, "--classifier", help="Classifier bundle for class:NAME."),
        samples: int = typer.Option(2000, "--samples", help="Codes to fit an attribute given by spec."),
        out: Path = typer.Option(..., "--out", help="Image: one row per code, one column per strength."),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Move inverted images along an attribute direction in W and write the strength sweep.

        Example: `genvision edit fashion-stylegan --codes codes.safetensors --direction class:trouser --out strip.png`.
        """
        check_outputs(images=(out,), files=(npy,))
        torch.set_grad_enabled(False)
        strengths = parse_strengths(strength)
        stylegan = genvision.load(model, device=device, kinds=("stylegan",))
        ws, noise = load_codes(codes)
        table = load_directions(directions) if directions is not None else None
        vectors = [
            direction_by_name(stylegan, name, table=table, samples=samples, seed=seed, classifier=classifier)
            for name in [direction, *(condition_on or [])]
        ]
        images = stylegan.edit(
            ws,
            vectors[0],
            strengths,
            condition_on=vectors[1:],
            noise=noise,
            layers=parse_layers(layers, ws.shape[1]),
        )
        save_strip(ensure_parent(out), images, nrow=len(strengths))
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), images)
            written.append(str(npy))
        summary(
            quiet,
            f"edited {len(ws)} code(s) along {direction} at {len(strengths)} strength(s); "
            f"wrote {', '.join(written)}",
        )
