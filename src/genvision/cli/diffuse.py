"""`genvision diffuse MODEL --target IMG|REF --context IMG|REF (--mask FILE.png | --mask-shape SPEC) --out panel.png`.

Semantic diffusion (In-Domain GAN Inversion §4.3): the masked region of each target is pasted into its context,
and the composite is inverted with the reconstruction loss on the pasted region only, so the generator keeps the
region and redraws the context around it to match.
"""
from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary


def load_side(ref: str, shape: tuple[int, int, int]):
    """Images [N, C, H, W] in [-1, 1] from one image file or a data reference (which may name several)."""
    from genvision.cli.invert import load_inputs
    from genvision.pipelines.interpolate import check_image_path

    check_image_path(ref)
    is_file = Path(ref).is_file()
    return load_inputs([ref] if is_file else None, None if is_file else ref, shape)


def pair_up(targets, contexts):
    """Pair targets with contexts one to one; a single image on either side goes with every image on the other."""
    from genvision.errors import GenvisionError

    n_t, n_c = len(targets), len(contexts)
    if n_t != n_c and 1 not in (n_t, n_c):
        raise GenvisionError(f"--target gives {n_t} images and --context {n_c}; give equally many, or one on a side")
    n = max(n_t, n_c)
    return targets.expand(n, *targets.shape[1:]).clone(), contexts.expand(n, *contexts.shape[1:]).clone()


def register(app: typer.Typer) -> None:
    @app.command()
    def diffuse(
        model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name (fashion-stylegan)."),
        target: str = typer.Option(..., "--target", help="Image file or data reference whose region is kept."),
        context: str = typer.Option(..., "--context", help="Image file or data reference the region goes into."),
        mask: str = typer.Option(None, "--mask", help="Region PNG: white = taken from the target."),
        mask_shape: str = typer.Option(None, "--mask-shape", help="Region shape: center, half, box, strokes."),
        space: str = typer.Option("w+", "--space", help="w or w+."),
        method: str = typer.Option("auto", "--method", help="optimize | encoder+optimize | auto."),
        steps: int = typer.Option(300, "--steps", help="Optimisation steps."),
        perceptual: str = typer.Option(None, "--perceptual", help="Perceptual loss (default: the bundle's)."),
        out: Path = typer.Option(..., "--out", help="Panel PNG: target | context | pasted | blended, a row each."),
        codes: Path = typer.Option(None, "--codes", help="Also save the blended images' codes (.safetensors)."),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Blend a region of one image into another through the generator (semantic diffusion).

        Example: `genvision diffuse fashion-stylegan --target fashion-mnist:test:0 --context fashion-mnist:test:1-5
        --mask-shape center --out diffuse.png`.
        """
        import torch

        from genvision.errors import GenvisionError
        from genvision.pipelines.inpaint import build_fills
        from genvision.pipelines.invert import InvertRequest, paste, save_codes, semantic_diffusion
        from genvision.pipelines.stylegan import load_stylegan
        from genvision.runtime import resolve_device
        from genvision.viz.grid import save_grid
        from genvision.viz.images import save_npy

        if method == "encoder":
            raise GenvisionError("--method encoder ignores the region; use optimize or encoder+optimize")
        stylegan = load_stylegan(model, resolve_device(device))
        targets, contexts = pair_up(load_side(target, stylegan.shape), load_side(context, stylegan.shape))
        region = build_fills(targets, mask, mask_shape, seed)
        request = InvertRequest(space=space, method=method, steps=steps, perceptual=perceptual, seed=seed,
                                quiet=quiet)
        result = semantic_diffusion(stylegan, targets, contexts, region, request)
        panel = torch.stack([targets, contexts, paste(targets, contexts, region), result.images], dim=1)
        save_grid(panel.flatten(0, 1), ensure_parent(out), nrow=4)
        written = [str(out)]
        if codes is not None:
            save_codes(ensure_parent(codes), result, model)
            written.append(str(codes))
        if npy is not None:
            save_npy(ensure_parent(npy), result.images)
            written.append(str(npy))
        summary(quiet, f"blended {len(targets)} region(s) ({float(region.mean()):.0%} of pixels) through "
                       f"{result.info['method']} in {result.seconds:.1f} s; wrote {', '.join(written)}")
