"""`genvision interpolate`: one command, dispatched on the bundle kind through a small registry.

A model family plugs in with `register_interpolator(kind, fn)` at import time of any module under
`genvision.pipelines` (they are discovered automatically); `fn(bundle, request) -> Interpolation`.

Built in here, for "vae", "vqvae" and "autoencoder" bundles: encode two images a and b, walk the latent path
    z(t) = (1 − t) z_a + t z_b                                   (method "linear")
    z(t) = sin((1 − t)Ω)/sin Ω · z_a + sin(tΩ)/sin Ω · z_b,  cos Ω = ẑ_a·ẑ_b   (method "slerp")
for t = 0, 1/(steps − 1), …, 1, and decode each point (a VQ latent is snapped to its codes when decoded).
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.errors import GenvisionError
from genvision.models.bundle import Bundle


@dataclass
class InterpolationRequest:
    """Everything the CLI parsed; each interpolator uses the fields that apply to its kind."""

    a: str | None = None  # image file or data reference (encoder-based kinds, inversion)
    b: str | None = None
    steps: int = 8
    corners: int | None = None  # GANs: interpolate between 2 or 4 noise samples
    invert: bool = False  # StyleGAN: invert real images a and b first
    class_ref: str | None = None
    method: str = "linear"  # linear | slerp
    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    quiet: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # --option key=value, for family-specific settings


@dataclass
class Interpolation:
    images: torch.Tensor  # [N, C, H, W] in [-1, 1], in grid order
    nrow: int  # images per row of the figure


Interpolator = Callable[[Bundle, InterpolationRequest], Interpolation]
_INTERPOLATORS: dict[str, Interpolator] = {}


def register_interpolator(kind: str, fn: Interpolator) -> Interpolator:
    """Make `genvision interpolate` handle bundles of `kind` with `fn(bundle, request)`."""
    _INTERPOLATORS[kind] = fn
    return fn


def _discover() -> None:
    import genvision.pipelines as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"genvision.pipelines.{info.name}")


def get_interpolator(kind: str) -> Interpolator:
    if kind not in _INTERPOLATORS:
        _discover()
    if kind not in _INTERPOLATORS:
        raise GenvisionError(f"`interpolate` does not handle {kind!r} bundles; it handles: "
                             f"{', '.join(sorted(_INTERPOLATORS)) or 'none'}")
    return _INTERPOLATORS[kind]


def interpolate(bundle: Bundle, request: InterpolationRequest) -> Interpolation:
    if request.steps < 2:
        raise GenvisionError(f"--steps must be at least 2, got {request.steps}")
    return get_interpolator(bundle.kind)(bundle, request)


# ---- latent paths -----------------------------------------------------------------------------------------------
def lerp(z_a: torch.Tensor, z_b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 − t) z_a + t z_b for each t → [len(t), *z_a.shape]."""
    t = t.view(-1, *([1] * z_a.dim())).to(z_a)
    return (1 - t) * z_a + t * z_b


def slerp(z_a: torch.Tensor, z_b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation on the flattened latents (falls back to lerp for (anti)parallel vectors)."""
    a, b = z_a.flatten().double(), z_b.flatten().double()
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4 or (np.pi - omega).abs() < 1e-4:
        return lerp(z_a, z_b, t)
    t = t.double().view(-1, 1)
    path = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    return path.view(len(t), *z_a.shape).to(z_a.dtype)


PATHS = {"linear": lerp, "slerp": slerp}


def latent_path(z_a: torch.Tensor, z_b: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    if method not in PATHS:
        raise GenvisionError(f"unknown interpolation method {method!r}; choose one of {', '.join(PATHS)}")
    return PATHS[method](z_a, z_b, torch.linspace(0.0, 1.0, steps))


# ---- inputs ----------------------------------------------------------------------------------------------------
def check_image_path(ref: str) -> None:
    """An argument that names an image file (by its suffix) must exist; otherwise it is read as a data reference."""
    from genvision.data.images import IMAGE_SUFFIXES

    if Path(ref).suffix.lower() in IMAGE_SUFFIXES and not Path(ref).is_file():
        raise GenvisionError(f"image file {ref} does not exist; give an existing image or a data reference "
                             "such as fashion-mnist:test:0")


def load_endpoint(ref: str, shape: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """One image [1, C, H, W] in [-1, 1] and its label [1] (−1 if unknown) from an image file or a data reference
    (a reference to several images takes the first). Files are converted to the model's channels and resized."""
    c, h, w = shape
    path = Path(ref)
    check_image_path(ref)
    if path.is_file():
        from PIL import Image

        from genvision.viz.images import from_uint8

        with Image.open(path) as img:
            img = img.convert("L" if c == 1 else "RGB")
            if img.size != (w, h):
                img = img.resize((w, h), Image.Resampling.BICUBIC)
            arr = np.array(img)
        return from_uint8(arr[None]), torch.tensor([-1])
    from genvision.data import load_images_from_ref

    images, labels, info = load_images_from_ref(ref, channels=c if c in (1, 3) else None)
    if tuple(images.shape[1:]) != (c, h, w):
        raise GenvisionError(f"{ref} has images of shape {list(images.shape[1:])}; the model takes {[c, h, w]}")
    return images[:1], labels[:1]


def class_index(ref: str, class_names: list[str] | None) -> int:
    """A class given as an index or (case-insensitively) by name."""
    if str(ref).lstrip("-").isdigit():
        return int(ref)
    names = [n.lower() for n in class_names or []]
    if str(ref).lower() not in names:
        raise GenvisionError(f"unknown class {ref!r}; classes: {', '.join(class_names or []) or 'none'}")
    return names.index(str(ref).lower())


def autoencoding_interpolator(bundle: Bundle, request: InterpolationRequest) -> Interpolation:
    """Decode the latent path between the encodings of request.a and request.b: [steps, C, H, W]."""
    from genvision.pipelines.reconstruct import load_autoencoding

    if not request.a or not request.b:
        raise GenvisionError(f"a {bundle.kind!r} model interpolates between two images: pass --a and --b "
                             "(image files or data references such as fashion-mnist:test:0)")
    model = load_autoencoding(bundle, request.device)
    (xa, ya), (xb, yb) = load_endpoint(request.a, model.shape), load_endpoint(request.b, model.shape)
    labels = None
    if model.conditional:
        label = ya if ya.item() >= 0 else yb
        if request.class_ref is not None:
            label = torch.tensor([class_index(request.class_ref, model.class_names)])
        if label.item() < 0:
            raise GenvisionError("this conditional VAE needs a class: pass --class or use data references")
        labels = label.repeat(request.steps)
    z_a, z_b = model.encode(xa, labels), model.encode(xb, labels)
    path = latent_path(z_a[0], z_b[0], request.steps, request.method)
    return Interpolation(images=model.decode(path, labels).cpu(), nrow=request.steps)


for _kind in ("vae", "vqvae", "autoencoder"):
    register_interpolator(_kind, autoencoding_interpolator)
