"""`model.save(folder)` and `model.to(device, dtype)` for every loaded model.

    m = genvision.load("fashion-ldm").to("cpu", torch.float32)
    m.save("my-ldm")                      # a bundle folder: config.json + one folder of safetensors per component
    genvision.load("my-ldm")              # the same model: the same images for the same seed

A save writes with the one bundle writer training uses (`genvision.models.bundle.write_bundle`): the networks the
model holds in memory as float32 (lossless; `dtype=torch.float16` halves the size), components it never loaded
(a GAN's discriminator, an LDM's autoencoder bundle) copied as they are, and the bundle's extra files (an LDM's
prompt-embedding cache). It replaces an existing bundle atomically and refuses any other non-empty folder.

`to(dtype=…)` follows `precision=` (genvision.runtime): the weights stay float32 and the networks run under
autocast in that dtype (torch.bfloat16), or in full float32 (torch.float32).
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.models.bundle import CONFIG_NAME, ZOO_DIR, Bundle, BundleParts, read_config, write_bundle
from genvision.models.bundle_config import BundleConfig
from genvision.runtime import resolve_device


class LoadedModel(Protocol):
    """What moving and saving use of a loaded model (genvision.generators.base.LoadedModel)."""

    device: torch.device
    autocast_dtype: torch.dtype | None

    @property
    def spec(self) -> BundleConfig: ...
    @property
    def bundle(self) -> Bundle | None: ...

    def networks(self) -> dict[str, nn.Module]: ...
    def moved(self) -> None: ...
    def bundle_parts(self) -> BundleParts: ...


DTYPES: dict[torch.dtype, torch.dtype | None] = {torch.float32: None, torch.bfloat16: torch.bfloat16}
NAMES = {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}


def autocast_of(dtype: torch.dtype | str) -> torch.dtype | None:
    """The autocast dtype that runs a model in `dtype` (None: full float32), as `precision=` would."""
    key = NAMES.get(dtype, dtype) if isinstance(dtype, str) else dtype
    if not isinstance(key, torch.dtype) or key not in DTYPES:
        raise GenvisionError(f"dtype must be torch.float32 or torch.bfloat16, got {dtype!r}")
    return DTYPES[key]


def move(model: LoadedModel, device: torch.device | str | None, dtype: torch.dtype | str | None) -> None:
    """Move every network `model` holds to `device` and set the dtype it computes in."""
    if device is not None:
        target = device if isinstance(device, torch.device) else resolve_device(str(device))
        for net in model.networks().values():
            net.to(target)
        model.device = target
        model.moved()
    if dtype is not None:
        model.autocast_dtype = autocast_of(dtype)


def stored_component(bundle: Bundle | None, name: str) -> Bundle | None:
    """A component folder of the bundle the model came from, to copy as it is (None when there is none)."""
    if bundle is None or not (bundle.path / name / CONFIG_NAME).is_file():
        return None
    return Bundle(path=bundle.path / name, config=read_config(bundle.path / name))


def copied_files(bundle: Bundle | None, names: tuple[str, ...]) -> dict[str, Callable[[Path], object]]:
    """Writers that copy the bundle's extra files (those it has among `names`)."""
    if bundle is None:
        return {}
    found = [bundle.path / name for name in names if (bundle.path / name).is_file()]
    return {p.name: functools.partial(shutil.copyfile, p) for p in found}


def check_target(folder: Path) -> None:
    """Refuse a file, a non-empty folder that is not a bundle, and the package's shipped bundles."""
    if folder.is_file():
        raise GenvisionError(f"{folder} is a file: save into a new folder (or over a bundle)")
    if folder.resolve().is_relative_to(ZOO_DIR.resolve()):
        raise GenvisionError(f"{folder} is a bundle shipped with genvision: save into another folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / CONFIG_NAME).is_file():
        raise GenvisionError(
            f"{folder} is a non-empty folder without {CONFIG_NAME}, not a bundle: save into a new or empty "
            "folder (a bundle folder is replaced)"
        )


def save(model: LoadedModel, folder: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Write `model` as a bundle folder that `genvision.load` opens (see the module docstring)."""
    if dtype not in (None, torch.float32, torch.float16, torch.bfloat16):
        raise GenvisionError(f"weights are saved as float32, float16 or bfloat16, not {dtype!r}")
    folder = Path(folder)
    check_target(folder)
    parts: BundleParts = model.bundle_parts()
    parts.dtype = None if dtype == torch.float32 else dtype
    return write_bundle(folder, parts)


def component_parts(
    model: LoadedModel, held: dict[str, nn.Module], stored: tuple[str, ...] = ()
) -> dict[str, nn.Module | Bundle]:
    """The components of a save: the networks held, then those of `stored` the source bundle has, in the order
    of the bundle's component list."""
    parts: dict[str, nn.Module | Bundle] = dict(held)
    for name in stored:
        found = stored_component(model.bundle, name)
        if found is not None:
            parts[name] = found
    order = list(model.spec.components or [])
    return dict(sorted(parts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
