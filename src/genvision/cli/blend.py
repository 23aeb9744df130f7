"""`genvision blend MODEL --target IMG|REF --context IMG|REF (--mask FILE.png | --mask-shape SPEC) --out panel.png`.

GAN-based region blending (In-Domain GAN Inversion §4.3, "semantic diffusion"): the masked region of each target
is pasted into its context and the composite is inverted with the reconstruction loss on the pasted region only,
so the generator keeps the region and redraws the context around it to match. `genvision diffuse` is the old
name of this command, kept as an alias for one release.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.cli.progress import progress_bar
from genvision.errors import GenvisionError
from genvision.generators import InversionSettings
from genvision.viz.grid import save_grid
from genvision.viz.images import save_npy
from genvision.workflows.codes import save_codes
from genvision.workflows.inputs import build_fills, load_images


def pair_up(targets: torch.Tensor, contexts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pair targets with contexts one to one; a single image on either side goes with every image on the other."""
    n_t, n_c = len(targets), len(contexts)
    if n_t != n_c and 1 not in (n_t, n_c):
        raise GenvisionError(
            f"--target gives {n_t} images and --context {n_c}; give equally many, or one on a side"
        )
    n = max(n_t, n_c)
    return targets.expand(n, *targets.shape[1:]).clone(), contexts.expand(n, *contexts.shape[1:]).clone()


def blend_command(
    model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name (fashion-stylegan)."),
    target: str = typer.Option(..., "--target", help="Image file or data reference whose region is kept."),
    context: str = typer.Option(..., "--context", help="Image file or data reference the region goes into."),
    mask: str = typer.Option(None, "--mask", help="Region PNG: white = taken from the target."),
    mask_shape: str = typer.Option(None, "--mask-shape", help="Region shape: center, half, box, strokes."),
    space: str = typer.Option("w+", "--space", help="w or w+."),
    method: str = typer.Option("auto", "--method", help="optimize | encoder+optimize | auto."),
    steps: int = typer.Option(300, "--steps", help="Optimisation steps."),
    perceptual: str = typer.Option(None, "--perceptual", help="Perceptual loss (default: the bundle's)."),
    out: Path = typer.Option(
        ..., "--out", help="Panel image: target | context | pasted | blended, a row each."
    ),
    codes: Path = typer.Option(None, "--codes", help="Also save the blended images' codes (.safetensors)."),
    npy: Path = NpyOption,
    seed: int = SeedOption,
    device: str = DeviceOption,
    quiet: bool = QuietOption,
) -> None:
    """Blend a region of one image into another through the generator (GAN-based region blending).

    Example: `genvision blend fashion-stylegan --target fashion-mnist:test:0 --context fashion-mnist:test:1-5
    --mask-shape center --out blend.png`.
    """
    check_outputs(images=(out,), files=(codes, npy))
    if method == "encoder":
        raise GenvisionError("--method encoder ignores the region; use optimize or encoder+optimize")
    stylegan = genvision.load(model, device=device, kinds=("stylegan",))
    targets, contexts = pair_up(
        load_images(target, stylegan.image_shape)[0], load_images(context, stylegan.image_shape)[0]
    )
    region = build_fills(targets, mask, mask_shape, seed)
    bar, progress = progress_bar(not quiet, unit="img", desc="blend")
    pasted, result = stylegan.blend(
        targets,
        contexts,
        region,
        space=space,
        method=method,
        steps=steps,
        seed=seed,
        settings=InversionSettings(perceptual=perceptual),
        progress=progress,
    )
    bar.close()
    panel = torch.stack([targets, contexts, pasted, result.images], dim=1)
    save_grid(panel.flatten(0, 1), ensure_parent(out), nrow=4)
    written = [str(out)]
    if codes is not None:
        save_codes(ensure_parent(codes), result, model)
        written.append(str(codes))
    if npy is not None:
        save_npy(ensure_parent(npy), result.images)
        written.append(str(npy))
    summary(
        quiet,
        f"blended {len(targets)} region(s) ({float(region.mean()):.0%} of pixels) through "
        f"{result.info['method']} in {result.seconds:.1f} s; wrote {', '.join(written)}",
    )


@functools.wraps(blend_command)
def diffuse_alias(*args, **kwargs) -> None:
    """Old name of `genvision blend` (deprecated)."""
    warnings.warn(
        "`genvision diffuse` is now `genvision blend`; the old name goes away in the next release",
        stacklevel=2,
    )
    blend_command(*args, **kwargs)


def register(app: typer.Typer) -> None:
    app.command("blend")(blend_command)
    app.command("diffuse", hidden=True)(diffuse_alias)
