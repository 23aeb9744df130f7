"""`genvision edit MODEL --codes codes.safetensors --direction NAME --strength -3:3:7 --out strip.png [--npy]`."""
from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary


def register(app: typer.Typer) -> None:
    @app.command()
    def edit(
        model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name."),
        codes: Path = typer.Option(..., "--codes", help="Codes from `genvision invert`."),
        direction: str = typer.Option(..., "--direction",
                                      help="A name in --directions, or an attribute to fit now (class:NAME, "
                                           "brightness, label:NAME, mask:PART)."),
        directions: Path = typer.Option(None, "--directions", help="Directions file from `genvision directions`."),
        condition_on: list[str] = typer.Option(None, "--condition-on",
                                               help="Directions to keep fixed (projected out; repeatable)."),
        strength: str = typer.Option("-3:3:7", "--strength", help="START:STOP:COUNT, a number or a comma list."),
        layers: str = typer.Option(None, "--layers", help="Edit only these W+ layers, e.g. 0-3 or 0,1,2."),
        classifier: str = typer.Option(None, "--classifier", help="Classifier bundle for class:NAME."),
        samples: int = typer.Option(2000, "--samples", help="Codes to fit an attribute given by spec."),
        out: Path = typer.Option(..., "--out", help="PNG: one row per code, one column per strength."),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Move inverted images along an attribute direction in W and write the strength sweep.

        Example: `genvision edit fashion-stylegan --codes codes.safetensors --direction class:trouser --out strip.png`.
        """
        import torch

        from genvision.inversion.directions import parse_strengths
        from genvision.pipelines.edit import DirectionRequest, edit as run, load_directions, resolve_direction
        from genvision.pipelines.invert import load_codes
        from genvision.pipelines.stylegan import load_stylegan
        from genvision.runtime import resolve_device
        from genvision.viz.images import save_npy
        from genvision.viz.reconstructions import save_strip

        torch.set_grad_enabled(False)
        stylegan = load_stylegan(model, resolve_device(device))
        ws, noise = load_codes(codes)
        table = load_directions(directions) if directions is not None else None
        request = DirectionRequest(attribute=direction, samples=samples, seed=seed, classifier=classifier)
        vector = resolve_direction(stylegan, direction, table, list(condition_on or []), request)
        strengths = parse_strengths(strength)
        images = run(stylegan, ws, vector, strengths, noise, parse_layers(layers, ws.shape[1]))
        save_strip(ensure_parent(out), images, nrow=len(strengths))
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), images)
            written.append(str(npy))
        summary(quiet, f"edited {len(ws)} code(s) along {direction} at {len(strengths)} strength(s); "
                       f"wrote {', '.join(written)}")


def parse_layers(text: str | None, num_ws: int) -> list[int] | None:
    """'0-3' → [0, 1, 2, 3]; '0,2' → [0, 2]; None → all layers."""
    from genvision.errors import GenvisionError

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
