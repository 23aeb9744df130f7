"""`genvision interpolate`: a path between two images (or noise samples), answered by the model of any kind.

    autoencoders (vae, vqvae, autoencoder): decode the path between the encodings of --a and --b
    GANs (dcgan, cgan): a steps × steps bilinear grid between 4 noise samples, or a strip between 2
    StyleGAN: the path in W+ between the inversions of --a and --b (or between two samples)
The paths themselves (linear, slerp, bilinear) are in genvision.generators.paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from genvision.errors import GenvisionError
from genvision.generators import GAN, Autoencoder, Generated, InversionSettings, LoadedModel, StyleGAN
from genvision.workflows.inputs import load_one


@dataclass
class InterpolationRequest:
    """Everything the CLI parsed; each kind uses the fields that apply to it."""

    a: str | None = None  # image file or data reference
    b: str | None = None
    steps: int = 8
    corners: int | None = None  # GANs: 2 or 4 noise samples
    invert: bool = False  # StyleGAN: invert real images a and b first
    label: str | None = None
    method: str = "linear"  # linear | slerp
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)  # --option key=value (StyleGAN inversion settings)


@dataclass
class Interpolation:
    images: Any  # [N, C, H, W] in [-1, 1], in grid order
    nrow: int  # images per row of the figure


INVERSION_OPTIONS = ("method", "space", "steps", "perceptual")


def interpolate(model: LoadedModel, request: InterpolationRequest) -> Interpolation:
    r = request
    if r.steps < 2:
        raise GenvisionError(f"--steps must be at least 2, got {r.steps}")
    if r.options and not isinstance(model, StyleGAN):
        raise GenvisionError(f"--option applies to StyleGAN inversion, not to {model.kind!r} models")
    if isinstance(model, Autoencoder):
        return Interpolation(_between_images(model, r).images, r.steps)
    if isinstance(model, GAN):
        if r.a or r.b or r.invert:
            raise GenvisionError(
                f"a {model.kind!r} model interpolates between noise samples, not images: drop "
                "--a/--b/--invert and use --corners 2|4 with --seed"
            )
        corners = 4 if r.corners is None else r.corners
        out = model.interpolate(corners=corners, steps=r.steps, seed=r.seed, label=r.label, method=r.method)
        return Interpolation(out.images, r.steps)
    if isinstance(model, StyleGAN):
        return Interpolation(_stylegan_path(model, r).images, r.steps)
    raise GenvisionError(
        f"`interpolate` does not handle {model.kind!r} bundles; it handles vae, vqvae, autoencoder, "
        "dcgan, cgan and stylegan"
    )


def _between_images(model: Autoencoder, r: InterpolationRequest) -> Generated:
    if not r.a or not r.b:
        raise GenvisionError(
            f"a {model.kind!r} model interpolates between two images: pass --a and --b "
            "(image files or data references such as fashion-mnist:test:0)"
        )
    (xa, ya), (xb, yb) = load_one(r.a, model.image_shape), load_one(r.b, model.image_shape)
    label = None
    if model.conditional:
        label = ya if ya.item() >= 0 else yb
        if r.label is not None:
            label = ya.new_tensor([model.label_index(r.label)])
        if label.item() < 0:
            raise GenvisionError("this conditional VAE needs a class: pass --class or use data references")
    elif r.label is not None:
        raise GenvisionError(f"--class applies to conditional models; {model.name} is unconditional")
    return model.interpolate(xa, xb, steps=r.steps, method=r.method, label=label)


def _stylegan_path(model: StyleGAN, r: InterpolationRequest) -> Generated:
    if r.corners is not None:
        raise GenvisionError("--corners does not apply to StyleGAN; use --a/--b (or none for samples)")
    if not (r.a or r.b or r.invert):  # two samples; a class-conditional StyleGAN takes --class for both
        ws = model.sample_codes(2, r.seed, label=model.label_index(r.label))
        return model.interpolate(ws[0], ws[1], steps=r.steps, method=r.method)
    if r.label is not None:
        raise GenvisionError("--class applies to StyleGAN samples, not to inverted images: drop --class")
    if not (r.a and r.b):
        raise GenvisionError(
            "interpolating real images needs both --a and --b (image files or data references)"
        )
    opts = dict(r.options)
    unknown = sorted(set(opts) - set(INVERSION_OPTIONS))
    if unknown:
        raise GenvisionError(f"unknown --option {unknown[0]!r} for StyleGAN ({', '.join(INVERSION_OPTIONS)})")
    images = torch.cat([load_one(ref, model.image_shape)[0] for ref in (r.a, r.b)])
    settings = InversionSettings(perceptual=opts.get("perceptual"))
    ws = model.invert(
        images,
        space=str(opts.get("space", "w+")),
        method=str(opts.get("method", "auto")),
        steps=int(opts.get("steps", 300)),
        seed=r.seed,
        settings=settings,
    ).ws
    return model.interpolate(ws[0], ws[1], steps=r.steps, method=r.method)
