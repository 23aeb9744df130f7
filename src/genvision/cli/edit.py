"""`genvision edit MODEL --codes codes.safetensors --direction NAME --strength -3:3:7 --out strip.png [--npy]`.

Diffusion bundles: `genvision edit fashion-ldm (--data REF | --image IMG | --inversion FILE) [--from SOURCE] --to
TARGET --method diffedit|sdedit|swap --strength 0.7 --out panel.png [--npy] [--save-inversion FILE]`.
"""

from __future__ import annotations

from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.errors import GenvisionError
from genvision.generators import DiffusionModel, StyleGAN
from genvision.generators.diffusion_results import DiffusionInversion
from genvision.inversion.directions import parse_strengths
from genvision.viz.images import save_npy
from genvision.viz.reconstructions import save_strip
from genvision.workflows.codes import load_codes, load_directions
from genvision.workflows.diffusion_edits import parse_strength, source_conditions, write_edit
from genvision.workflows.inputs import load_images


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
        model: str = typer.Argument(..., help="A stylegan or diffusion bundle folder or shipped name."),
        codes: Path = typer.Option(None, "--codes", help="StyleGAN: codes from `genvision invert`."),
        direction: str = typer.Option(
            None,
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
            None,
            "--strength",
            help="StyleGAN: START:STOP:COUNT, a number or a comma list (-3:3:7). Diffusion: one number in "
            "(0, 1] (sdedit 0.6, diffedit 0.7, swap 1).",
        ),
        data: str = typer.Option(
            None, "--data", help="Diffusion: data reference, e.g. fashion-mnist:test:0-8."
        ),
        image: list[str] = typer.Option(None, "--image", help="Diffusion: image file to edit (repeatable)."),
        inversion: Path = typer.Option(None, "--inversion", help="Diffusion: an inversion file to edit."),
        source: str = typer.Option(
            None, "--from", help="Diffusion: source class or prompt (default: own class)."
        ),
        target: str = typer.Option(None, "--to", help="Diffusion: target class or prompt."),
        method: str = typer.Option("diffedit", "--method", help="Diffusion: diffedit | sdedit | swap."),
        guidance: float = typer.Option(
            None, "--guidance", help="Diffusion: guidance (the bundle's default)."
        ),
        steps: int = typer.Option(None, "--steps", help="Diffusion: DDIM steps (50)."),
        save_inversion: Path = typer.Option(
            None, "--save-inversion", help="Diffusion, swap: also write the inversion for reuse."
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
        check_outputs(images=(out,), files=(npy, save_inversion))
        loaded = genvision.load(model, device=device, kinds=("stylegan", "ddpm", "ldm"))
        if isinstance(loaded, DiffusionModel):
            if sum(x is not None and x != [] for x in (data, image, inversion)) != 1:
                raise GenvisionError("give exactly one of --data REF, --image FILE or --inversion FILE")
            if save_inversion is not None and method != "swap":
                raise GenvisionError(
                    "--save-inversion needs --method swap (use `genvision invert` for the others)"
                )
            if inversion is not None:
                edited = DiffusionInversion.load(inversion)
                start = None
            else:
                edited, labels = load_images(list(image or []) or [data], loaded.image_shape)
                start = source_conditions(loaded, source, labels)
            result = loaded.edit(
                edited, source=start, target=target, method=method, strength=parse_strength(strength),
                guidance=guidance, steps=steps, seed=seed,
            )  # fmt: skip
            written = write_edit(
                result,
                ensure_parent(out),
                npy and ensure_parent(npy),
                save_inversion and ensure_parent(save_inversion),
                model,
            )
            summary(
                quiet,
                f"edited {len(result.edited)} image(s) ({method}, strength {result.info['strength']:g}, "
                f"guidance {result.info['guidance']:g}) in {result.info['seconds']:.1f} s; wrote {', '.join(written)}",
            )
            return
        if codes is None or direction is None:
            raise GenvisionError("a StyleGAN edit needs --codes FILE and --direction NAME")
        torch.set_grad_enabled(False)
        strengths = parse_strengths(strength or "-3:3:7")
        stylegan = loaded
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
