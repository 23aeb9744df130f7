"""`genvision reconstruct MODEL --data fashion-mnist:test:0-16 --out recon.png [--npy recon.npy]`."""

from __future__ import annotations

from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import (
    DeviceOption,
    NpyOption,
    QuietOption,
    SeedOption,
    data_dir_option,
    ensure_parent,
    summary,
)
from genvision.cli.outputs import check_outputs
from genvision.metrics.image_quality import reconstruction_metrics
from genvision.models.bundle_config import AUTOENCODING_KINDS
from genvision.viz.images import save_npy
from genvision.viz.reconstructions import save_reconstructions
from genvision.workflows.inputs import load_images


def register(app: typer.Typer) -> None:
    @app.command()
    def reconstruct(
        model: str = typer.Argument(
            ...,
            help="A vae, vqvae or autoencoder bundle folder, or a shipped name "
            "(fashion-vae, fashion-vqvae, fashion-autoencoder).",
        ),
        data: str = typer.Option(
            ...,
            "--data",
            help="Images to reconstruct: a data reference such as fashion-mnist:test:0-16, or an image file.",
        ),
        data_dir: str = data_dir_option(),
        out: Path = typer.Option(
            ..., "--out", help="Image: rows of originals, each above its reconstructions."
        ),
        npy: Path = NpyOption,
        per_row: int = typer.Option(16, "--per-row", help="Images per row of the figure."),
        batch_size: int = typer.Option(256, "--batch-size", help="Images per encoding batch."),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Encode and decode images; prints their mean PSNR and SSIM.

        Example: `genvision reconstruct fashion-vqvae --data fashion-mnist:test:0-16 --out recon.png`.
        """
        check_outputs(images=(out,), files=(npy,))
        torch.manual_seed(seed)  # reconstruction is deterministic (posterior means, nearest codes)
        torch.set_grad_enabled(False)
        ae = genvision.load(model, device=device, kinds=AUTOENCODING_KINDS)
        images, labels = load_images(data, ae.image_shape, data_dir)
        recons = ae.reconstruct(images, labels if ae.conditional else None, batch_size).images
        save_reconstructions(ensure_parent(out), images, recons, per_row=per_row)
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), recons)
            written.append(str(npy))
        m = reconstruction_metrics(images, recons)
        summary(
            quiet,
            f"reconstructed {len(images)} image(s) with the {ae.kind} model (PSNR {m['psnr']:.2f} dB, "
            f"SSIM {m.get('ssim', float('nan')):.3f}); wrote {', '.join(written)}",
        )
