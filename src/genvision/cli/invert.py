"""`genvision invert MODEL (--image IMG | --data REF) --space w|w+ --method ... --steps 500 --out codes.safetensors`.

Diffusion bundles: `genvision invert fashion-ldm --data REF [--from CLASS|PROMPT] --method ddim|null-text|
negative-prompt --guidance 3 --steps 50 --out inversion.safetensors` (the file `genvision edit --inversion` reads).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

import genvision
from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary
from genvision.cli.outputs import check_outputs
from genvision.cli.progress import progress_bar
from genvision.errors import GenvisionError
from genvision.generators import DiffusionModel, InversionSettings
from genvision.metrics.image_quality import psnr
from genvision.viz.images import save_npy
from genvision.viz.reconstructions import save_reconstructions
from genvision.workflows.codes import save_codes
from genvision.workflows.diffusion_edits import invert_images
from genvision.workflows.inputs import load_images


def write_reconstructions(images, found, recon: Path | None, npy: Path | None) -> list[str]:
    """Originals above their reconstructions (--recon) and the reconstructions as uint8 (--npy)."""
    written = []
    if recon is not None:
        save_reconstructions(ensure_parent(recon), images, found)
        written.append(str(recon))
    if npy is not None:
        save_npy(ensure_parent(npy), found)
        written.append(str(npy))
    return written


def register(app: typer.Typer) -> None:
    @app.command()
    def invert(
        model: str = typer.Argument(
            ..., help="A stylegan or diffusion bundle folder or shipped name (fashion-stylegan, fashion-ldm)."
        ),
        image: list[str] = typer.Option(None, "--image", help="Image file to invert (repeatable)."),
        data: str = typer.Option(None, "--data", help="Data reference, e.g. fashion-mnist:test:0-20."),
        space: str = typer.Option("w+", "--space", help="w (one code) or w+ (one code per layer)."),
        method: str = typer.Option(
            "auto",
            "--method",
            help="optimize | encoder | encoder+optimize | auto (encoder+optimize if the "
            "bundle has an encoder). Diffusion: ddim (auto) | null-text | negative-prompt.",
        ),
        steps: int = typer.Option(
            None, "--steps", help="Optimisation steps (500); diffusion: DDIM steps (50)."
        ),
        source: str = typer.Option(
            None, "--from", help="Diffusion: the images' class or prompt (default: each image's own class)."
        ),
        guidance: float = typer.Option(1.0, "--guidance", help="Diffusion: classifier-free guidance scale."),
        refine: int = typer.Option(1, "--refine", help="Diffusion: fixed-point iterations per DDIM step."),
        lr: float = typer.Option(0.1, "--lr", help="Peak learning rate (warm-up, cosine ramp-down)."),
        perceptual: str = typer.Option(
            None,
            "--perceptual",
            help="none | lpips | lpips-alex | classifier[:REF] | discriminator "
            "(default: the bundle's choice).",
        ),
        optimize_noise: bool = typer.Option(
            False, "--optimize-noise", help="Also fit the noise maps (stored with the codes)."
        ),
        batch_size: int = typer.Option(64, "--batch-size", help="Images inverted together."),
        out: Path = typer.Option(..., "--out", help="Codes file (.safetensors); diffusion: the inversion."),
        recon: Path = typer.Option(
            None, "--recon", help="Also write originals above reconstructions (image)."
        ),
        npy: Path = NpyOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Invert real images into a StyleGAN's W or W+ space and save their codes.

        Example: `genvision invert fashion-stylegan --data fashion-mnist:test:0-20 --space w+ --out codes.safetensors`.
        """
        check_outputs(images=(recon,), files=(out, npy))
        if bool(image) == bool(data):
            raise GenvisionError(
                "pass either --image FILE (repeatable) or --data REF (e.g. fashion-mnist:test:0-20)"
            )
        stylegan = genvision.load(model, device=device, kinds=("stylegan", "ddpm", "ldm"))
        images, labels = load_images(list(image or []) or [data], stylegan.image_shape)
        if isinstance(stylegan, DiffusionModel):
            bar, progress = progress_bar(not quiet, unit="img", desc="invert")
            found = invert_images(
                stylegan, images, labels, source=source, method=method, guidance=guidance, steps=steps,
                refine=refine, batch_size=batch_size, progress=progress,
            )  # fmt: skip
            bar.close()
            found.save(ensure_parent(out), model)
            written = [str(out), *write_reconstructions(images, found.images, recon, npy)]
            quality = float(np.mean(psnr(found.images, stylegan.decode(stylegan.encode(images)).cpu())))
            summary(
                quiet,
                f"inverted {len(images)} image(s) ({found.method}, {found.steps} steps, guidance "
                f"{found.guidance:g}) in {found.seconds:.1f} s, PSNR {quality:.2f} dB against the autoencoder's "
                f"reconstruction; wrote {', '.join(written)}",
            )
            return
        steps = 500 if steps is None else steps
        settings = InversionSettings(
            lr=lr, perceptual=perceptual, optimize_noise=optimize_noise, batch_size=batch_size
        )
        bar, progress = progress_bar(not quiet, unit="img", desc="invert")
        result = stylegan.invert(
            images, space=space, method=method, steps=steps, seed=seed, settings=settings, progress=progress
        )
        bar.close()
        save_codes(ensure_parent(out), result, model)
        written = [str(out), *write_reconstructions(images, result.images, recon, npy)]
        mean_psnr = float(np.mean(psnr(result.images, images)))
        summary(
            quiet,
            f"inverted {len(images)} image(s) ({result.info['method']}, {space}) in "
            f"{result.seconds:.1f} s, PSNR {mean_psnr:.2f} dB; wrote {', '.join(written)}",
        )
