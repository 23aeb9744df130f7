"""Loaded, ready-to-use models: the public Python API (re-exported as `genvision.load`, `genvision.zoo`).

    import genvision
    m = genvision.load("fashion-ldm")        # a shipped name or a bundle folder → the class for its kind
    m.sample(16, seed=0, prompt="a sandal", guidance=3.0).images

The table LOADERS maps each bundle kind to its loader; there is no registration by import side effects. Kinds
from other packages come through the "genvision.kinds" entry points (genvision.plugins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import torch

from genvision.errors import BundleError
from genvision.export.backends import check_backend, resolve_backend
from genvision.export.manifest import is_export
from genvision.generators.autoencoding import Autoencoder, load_autoencoder
from genvision.generators.base import Generated, LoadedModel, Progress
from genvision.generators.classifier import Classifier, load_classifier
from genvision.generators.diffusion import DiffusionModel, Inpainting, load_diffusion
from genvision.generators.gan import GAN, load_gan
from genvision.generators.stylegan import Inversion, InversionSettings, StyleGAN, load_stylegan
from genvision.models.bundle import ZOO_DIR, Bundle, load_bundle, shipped_bundles
from genvision.models.kinds import plugin_kind, plugin_kind_names
from genvision.runtime import resolve_device

Loader = Callable[[Bundle, torch.device, str], LoadedModel]
LOADERS: dict[str, Loader] = {
    "ddpm": load_diffusion,
    "ldm": load_diffusion,
    "vae": load_autoencoder,
    "vqvae": load_autoencoder,
    "autoencoder": load_autoencoder,
    "dcgan": load_gan,
    "cgan": load_gan,
    "stylegan": load_stylegan,
    "classifier": load_classifier,
}


# Shipped names by the class `load` returns for them, so that a type checker knows what `load("fashion-ldm")` is.
DiffusionName = Literal[
    "fashion-ddpm",
    "fashion-ddpm-4step",
    "fashion-ldm",
    "fashion-ldm-2step",
    "fashion-ldm-4step",
    "mnist-ddpm",
]
AutoencoderName = Literal["fashion-vae", "fashion-vqvae", "fashion-autoencoder", "mnist-vae"]
GANName = Literal["fashion-dcgan", "fashion-cgan", "mnist-dcgan"]
ClassifierName = Literal["fashion-classifier", "mnist-classifier"]


@overload
def load(
    ref: DiffusionName,
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> DiffusionModel: ...
@overload
def load(
    ref: AutoencoderName,
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> Autoencoder: ...
@overload
def load(
    ref: GANName,
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> GAN: ...
@overload
def load(
    ref: Literal["fashion-stylegan"],
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> StyleGAN: ...
@overload
def load(
    ref: ClassifierName,
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> Classifier: ...
@overload
def load(
    ref: str | Path | Bundle,
    device: str | torch.device = ...,
    precision: str = ...,
    kinds: tuple[str, ...] | None = ...,
    backend: str = ...,
) -> Any: ...


def load(
    ref: str | Path | Bundle,
    device: str | torch.device = "auto",
    precision: str = "auto",
    kinds: tuple[str, ...] | None = None,
    backend: str = "torch",
) -> Any:
    """The ready-to-use model of a bundle folder or shipped name (`genvision.zoo()` lists those).

    Returns a DiffusionModel ("ddpm", "ldm"), Autoencoder ("vae", "vqvae", "autoencoder"), GAN ("dcgan",
    "cgan"), StyleGAN or Classifier. `device` auto = CUDA when available, else CPU; `precision` auto = bf16
    on CUDA and fp32 on the CPU (one seed, one image on every CPU; "bf16" opts in where the CPU has it
    natively); `kinds` restricts which kinds are accepted. `backend` "onnx" runs the networks with onnxruntime
    on the CPU in fp32 (genvision.export.backend); "auto" picks onnx where it can (onnxruntime installed, the
    CPU, fp32; what `genvision sample` and `inpaint` do), else torch; an ONNX export folder (`genvision export`)
    always opens that way."""
    if not isinstance(ref, Bundle) and is_export(ref):
        check_backend("onnx", device, precision)
        from genvision.export.backend import open_export  # noqa: PLC0415 (onnxruntime, the "onnx" extra)

        return open_export(ref, kinds=kinds)
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref, kinds=kinds)
    if kinds is not None and bundle.kind not in kinds:
        raise BundleError(f"{bundle.path} is a {bundle.kind!r} bundle; this needs one of: {', '.join(kinds)}")
    plugin = None if bundle.kind in LOADERS else plugin_kind(bundle.kind)  # a kind from another package
    if bundle.kind not in LOADERS and plugin is None:
        raise BundleError(
            f"{bundle.path} is a {bundle.kind!r} bundle, which genvision.load cannot open; "
            f"it opens: {', '.join(sorted([*LOADERS, *plugin_kind_names()]))}"
        )
    if resolve_backend(backend, device, precision, bundle.kind) == "onnx":
        from genvision.export.backend import load_onnx  # noqa: PLC0415 (onnxruntime, the "onnx" extra)

        return load_onnx(bundle, kinds)
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    return (plugin.loader if plugin is not None else LOADERS[bundle.kind])(bundle, dev, precision)


@dataclass(frozen=True)
class ZooEntry:
    """A shipped bundle: its name, kind, size on disk, and the metrics measured at export."""

    name: str
    kind: str
    path: Path
    megabytes: float
    metrics: dict[str, Any]
    training: dict[str, Any]
    teacher: dict[str, Any] | None = None  # distilled students: the first teacher's name, metrics, sampling

    def line(self) -> str:
        shown = _metrics_text(self.metrics)
        if self.teacher:  # the figure of the model it was distilled from, beside its own
            shown += f"  (teacher {self.teacher['name']}: {_metrics_text(self.teacher['metrics'])})"
        return f"{self.name:22s} {self.kind:12s} {self.megabytes:5.1f} MB  {shown}"


def _metrics_text(metrics: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())


def zoo() -> list[ZooEntry]:
    """The bundles shipped with the package, with their measured metrics."""
    entries = []
    for name in shipped_bundles():
        spec = load_bundle(name).spec
        size = sum(p.stat().st_size for p in (ZOO_DIR / name).rglob("*") if p.is_file()) / 1e6
        entries.append(
            ZooEntry(
                name,
                spec.kind,
                path=ZOO_DIR / name,
                megabytes=size,
                metrics=dict(spec.metrics),
                training=dict(spec.training),
                teacher=(spec.extra.get("distillation") or {}).get("first_teacher"),
            )
        )
    return entries


__all__ = [
    "GAN",
    "LOADERS",
    "Autoencoder",
    "Classifier",
    "DiffusionModel",
    "Generated",
    "Inpainting",
    "Inversion",
    "InversionSettings",
    "LoadedModel",
    "Progress",
    "StyleGAN",
    "ZooEntry",
    "load",
    "zoo",
]
