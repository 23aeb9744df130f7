"""`genvision interpolate MODEL --a IMG|DATAREF --b IMG|DATAREF --steps 8 --out strip.png [--npy]`.

VAEs and autoencoders walk between the encodings of --a and --b; GANs use --corners; StyleGAN inverts --a and
--b (or walks between two samples). See genvision.workflows.interpolate.
"""

from __future__ import annotations

from pathlib import Path

import torch
import typer
import yaml

import genvision
from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.errors import GenvisionError
from genvision.viz.images import save_npy
from genvision.viz.reconstructions import save_strip
from genvision.workflows.interpolate import InterpolationRequest
from genvision.workflows.interpolate import interpolate as run


def parse_options(pairs: list[str] | None) -> dict[str, object]:
    """--option key=value pairs (values read as YAML scalars)."""
    out: dict[str, object] = {}
    for text in pairs or []:
        if "=" not in text:
            raise GenvisionError(f"--option {text!r} is not of the form key=value")
        key, raw = text.split("=", 1)
        out[key] = yaml.safe_load(raw) if raw else ""
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def interpolate(
        model: str = typer.Argument(
            ..., help="A vae, vqvae, autoencoder, dcgan, cgan or stylegan bundle or name."
        ),
        a: str = typer.Option(
            None, "--a", help="Start: an image file or a data reference (fashion-mnist:test:0)."
        ),
        b: str = typer.Option(None, "--b", help="End: an image file or a data reference."),
        steps: int = typer.Option(8, "--steps", help="Images along the path (per side for --corners 4)."),
        corners: int = typer.Option(
            None, "--corners", help="GANs: interpolate between 2 or 4 noise samples."
        ),
        invert: bool = typer.Option(
            False, "--invert", help="StyleGAN: invert --a and --b, then interpolate."
        ),
        class_: str = typer.Option(None, "--class", help="Class name or index (conditional models)."),
        method: str = typer.Option("linear", "--method", help="linear or slerp."),
        option: list[str] = typer.Option(
            None,
            "--option",
            help="StyleGAN inversion key=value: method, space, steps, perceptual (repeatable).",
        ),
        out: Path = typer.Option(..., "--out", help="Image strip (or grid)."),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Decode a path between two images (or noise samples) and write it as a strip.

        Example: `genvision interpolate fashion-vae --a fashion-mnist:test:0 --b fashion-mnist:test:1 --out strip.png`.
        """
        check_outputs(images=(out,), files=(npy,))
        loaded = genvision.load(model, device=device)
        request = InterpolationRequest(
            a=a,
            b=b,
            steps=steps,
            corners=corners,
            invert=invert,
            label=class_,
            method=method,
            seed=seed,
            options=parse_options(option),
        )
        torch.set_grad_enabled(loaded.kind == "stylegan")  # inversion optimises codes
        result = run(loaded, request)
        save_strip(ensure_parent(out), result.images, nrow=result.nrow)
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), result.images)
            written.append(str(npy))
        summary(
            quiet,
            f"interpolated {result.images.shape[0]} image(s) with the {loaded.kind} model; "
            f"wrote {', '.join(written)}",
        )
