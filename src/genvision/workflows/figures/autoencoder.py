"""Report figures 3.13 and 3.14: the autoencoder under latent diffusion — reconstructions of held-out images
and what its latent looks like.

fashion-autoencoder compresses a 28 × 28 image to a 4 × 7 × 7 latent (f = 4, VQ-regularised, trained with
L2, a perceptual loss and a PatchGAN critic); the reconstruction panel compares it with the VQ-VAE and the VAE,
each row labelled with its mean PSNR over held-out images.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from genvision.metrics import psnr
from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import rows_of, save_panel, to_display

BUNDLE = "fashion-autoencoder"
COMPARED = (BUNDLE, "fashion-vqvae", "fashion-vae")


def reconstructions(ctx: FigureContext, path: Path) -> str:
    x, y = ctx.fashion("test", ctx.pick(1000, 200))
    shown = x[one_of_each(y, list(range(10)))]
    rows, labels, notes = [shown], ["original"], []
    for name in COMPARED:
        ae = ctx.model(name)
        score = float(psnr(x, ae.reconstruct(x).images).mean())
        rows.append(ae.reconstruct(shown).images)
        labels.append(f"{name}\n{'×'.join(map(str, ae.latent_shape))}, {score:.1f} dB")
        notes.append(f"{name} {score:.1f} dB")
    save_panel(
        path,
        rows_of(*rows),
        len(shown),
        row_labels=labels,
        title=f"Held-out images and their reconstructions (PSNR over {len(x)} test images)",
    )
    return "mean PSNR: " + ", ".join(notes)


def latents(ctx: FigureContext, path: Path) -> str:
    ae = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", 200)
    images = x[one_of_each(y, [9, 2, 1, 8, 7, 3])]
    z = ae.encode(images)  # [N, c, h, w]
    channels = F.interpolate(to_display(z), size=images.shape[-2:], mode="nearest")  # each channel [-1, 1]
    cells = torch.cat([images[:, None], channels[:, :, None], ae.decode(z)[:, None]], 1).flatten(0, 1)
    c, h, w = z.shape[1:]
    save_panel(
        path,
        cells,
        c + 2,
        col_labels=["image"] + [f"z[{i}] ({h}×{w})" for i in range(c)] + ["decoded"],
        title=f"{BUNDLE}: the {c}×{h}×{w} latent that diffusion runs on, channel by channel",
    )
    ratio = images[0].numel() / z[0].numel()
    return (
        f"latent {c}×{h}×{w} for a {images.shape[-2]}×{images.shape[-1]} image ({ratio:.0f}× fewer numbers)"
    )
