"""`genvision invert MODEL (--image IMG | --data REF) --space w|w+ --method ... --steps 500 --out codes.safetensors`."""
from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary


def load_inputs(image: list[str] | None, data: str | None, shape: tuple[int, int, int]):
    """Images [N, C, H, W] in [-1, 1] from image files (in order) or one data reference."""
    import torch

    from genvision.errors import GenvisionError
    from genvision.pipelines.interpolate import load_endpoint

    if bool(image) == bool(data):
        raise GenvisionError("pass either --image FILE (repeatable) or --data REF (e.g. fashion-mnist:test:0-20)")
    if image:
        return torch.cat([load_endpoint(path, shape)[0] for path in image])
    from genvision.data import load_images_from_ref

    c, h, _ = shape
    images, _, _ = load_images_from_ref(data, image_size=h, channels=c)
    if tuple(images.shape[1:]) != tuple(shape):
        raise GenvisionError(f"{data} has images of shape {list(images.shape[1:])}; the model takes {list(shape)}")
    return images


def register(app: typer.Typer) -> None:
    @app.command()
    def invert(
        model: str = typer.Argument(..., help="A stylegan bundle folder or shipped name (fashion-stylegan)."),
        image: list[str] = typer.Option(None, "--image", help="Image file to invert (repeatable)."),
        data: str = typer.Option(None, "--data", help="Data reference, e.g. fashion-mnist:test:0-20."),
        space: str = typer.Option("w+", "--space", help="w (one code) or w+ (one code per layer)."),
        method: str = typer.Option("auto", "--method",
                                   help="optimize | encoder | encoder+optimize | auto (encoder+optimize if the "
                                        "bundle has an encoder)."),
        steps: int = typer.Option(500, "--steps", help="Optimisation steps."),
        lr: float = typer.Option(0.1, "--lr", help="Peak learning rate (warm-up, cosine ramp-down)."),
        perceptual: str = typer.Option(None, "--perceptual",
                                       help="none | lpips | lpips-alex | classifier[:REF] | discriminator "
                                            "(default: the bundle's choice)."),
        optimize_noise: bool = typer.Option(False, "--optimize-noise",
                                            help="Also fit the noise maps (stored with the codes)."),
        batch_size: int = typer.Option(64, "--batch-size", help="Images inverted together."),
        out: Path = typer.Option(..., "--out", help="Codes file (.safetensors)."),
        recon: Path = typer.Option(None, "--recon", help="Also write originals above reconstructions (PNG)."),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Invert real images into a StyleGAN's W or W+ space and save their codes.

        Example: `genvision invert fashion-stylegan --data fashion-mnist:test:0-20 --space w+ --out codes.safetensors`.
        """
        import numpy as np

        from genvision.metrics.image_quality import psnr
        from genvision.pipelines.invert import InvertRequest, invert as run, save_codes
        from genvision.pipelines.stylegan import load_stylegan
        from genvision.runtime import resolve_device
        from genvision.viz.images import save_npy
        from genvision.viz.reconstructions import save_reconstructions

        stylegan = load_stylegan(model, resolve_device(device))
        images = load_inputs(image, data, stylegan.shape)
        request = InvertRequest(space=space, method=method, steps=steps, lr=lr, perceptual=perceptual,
                                optimize_noise=optimize_noise, batch_size=batch_size, seed=seed, quiet=quiet)
        result = run(stylegan, images, request)
        save_codes(ensure_parent(out), result, model)
        written = [str(out)]
        if recon is not None:
            save_reconstructions(ensure_parent(recon), images, result.images)
            written.append(str(recon))
        if npy is not None:
            save_npy(ensure_parent(npy), result.images)
            written.append(str(npy))
        mean_psnr = float(np.mean(psnr(result.images, images)))
        summary(quiet, f"inverted {len(images)} image(s) ({result.info['method']}, {space}) in "
                       f"{result.seconds:.1f} s, PSNR {mean_psnr:.2f} dB; wrote {', '.join(written)}")
