"""Model bundles: a folder with `config.json` and `*.safetensors`; components nest as sub-folders.

    bundle/config.json            {"genvision_version", "kind", "components": [...], ...everything to use it}
    bundle/<component>/config.json {"kind": "module", "class": ..., "args": {...}}
    bundle/<component>/model.safetensors

A component may itself be a full bundle (an LDM holds its `autoencoder/` bundle). Loading never unpickles.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from genvision.errors import BundleError
from genvision.io.atomic import umask_mode
from genvision.io.tensorfile import PICKLE_SUFFIXES, load_tensors, save_tensors
from genvision.models.bundle_config import SCHEMA_VERSION, BundleConfig, parse_config
from genvision.models.catalog import build_model
from genvision.version import __version__

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
ZOO_DIR = Path(__file__).resolve().parent.parent / "zoo"


def shipped_bundles() -> list[str]:
    """Names of the bundles shipped inside the package."""
    if not ZOO_DIR.is_dir():
        return []
    return sorted(p.name for p in ZOO_DIR.iterdir() if (p / CONFIG_NAME).is_file())


def resolve_bundle_path(ref: str | Path) -> Path:
    """A bundle folder path, or the name of a shipped bundle."""
    path = Path(ref)
    if path.exists():
        return path
    if (ZOO_DIR / str(ref) / CONFIG_NAME).is_file():
        return ZOO_DIR / str(ref)
    names = ", ".join(shipped_bundles()) or "none installed"
    raise BundleError(
        f"model {ref!r} is neither a bundle folder nor a shipped bundle name (shipped: {names})"
    )


def save_module(
    folder: str | Path,
    module: nn.Module,
    dtype: torch.dtype | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write one registered module as a component folder (its EMA weights, optionally cast to `dtype`)."""
    if not hasattr(module, "init_args"):
        raise TypeError(f"{type(module).__name__} is not a registered model (use @register_model)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = module.state_dict()
    if dtype is not None:
        state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
    save_tensors(folder / WEIGHTS_NAME, state)
    config = {
        "genvision_version": __version__,
        "kind": "module",
        "class": type(module).__name__,
        "args": module.init_args,
        **(extra or {}),
    }
    (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2))


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_NAME
    if not path.is_file():
        pickles = [p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES] if folder.is_dir() else []
        hint = f" (found pickle files {pickles}: convert them to a bundle)" if pickles else ""
        raise BundleError(f"{folder} is not a genvision bundle: {CONFIG_NAME} is missing{hint}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); the bundle is corrupt") from exc


def load_module(folder: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """Rebuild a component from its folder; weights are loaded in fp32 and the module is put in eval mode."""
    folder = Path(folder)
    if folder.is_file():
        raise BundleError(
            f"{folder} is a file; a model component is a folder with {CONFIG_NAME} and {WEIGHTS_NAME}"
        )
    config = read_config(folder)
    if "class" not in config:
        raise BundleError(f"{folder / CONFIG_NAME} names no model class")
    module = build_model(config["class"], config.get("args", {}))
    weights = folder / WEIGHTS_NAME
    if not weights.exists():
        pickles = [p for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES]
        weights = pickles[0] if pickles else weights
    state = load_tensors(weights)  # a .pt state dict beside config.json: weights-only unpickler, never code
    broken = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:
        raise BundleError(
            f"weights in {weights} hold NaN or infinite values ({broken[0]}"
            f"{f' and {len(broken) - 1} more' if len(broken) > 1 else ''}); the bundle is corrupt"
        )
    reference = module.state_dict()
    state = {k: v.to(reference[k].dtype) if k in reference else v for k, v in state.items()}
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "mismatch"
        raise BundleError(f"weights in {weights} do not match {config['class']}: {first}") from exc
    return module.to(device).eval()


@dataclass
class Bundle:
    """A loaded bundle's folder and config; components are built on demand."""

    path: Path
    config: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.config["kind"]

    @functools.cached_property
    def spec(self) -> BundleConfig:
        """The typed config of this bundle's kind (genvision.models.bundle_config), parsed once."""
        return parse_config(self.config, where=str(self.path / CONFIG_NAME))

    @property
    def name(self) -> str:
        return self.path.name

    def component(self, name: str, device: torch.device | str = "cpu") -> nn.Module:
        folder = self.path / name
        if not folder.is_dir():
            raise BundleError(f"bundle {self.path} has no component {name!r}")
        return load_module(folder, device=device)

    def sub_bundle(self, name: str) -> Bundle:
        return load_bundle(self.path / name)


def load_bundle(ref: str | Path, kinds: tuple[str, ...] | None = None) -> Bundle:
    """Open a bundle by folder or shipped name; `kinds` restricts which bundle kinds are accepted."""
    path = resolve_bundle_path(ref)
    if path.is_file():
        if path.suffix in PICKLE_SUFFIXES:
            raise BundleError(
                f"{path} is a PyTorch file; genvision loads bundle folders (config.json + "
                "safetensors): put a state dict in a component folder beside its config.json, where "
                "it is read with torch.load(weights_only=True)"
            )
        raise BundleError(f"{path} is a file; pass the bundle folder that holds {CONFIG_NAME}")
    config = read_config(path)
    if "kind" not in config:
        raise BundleError(f"{path / CONFIG_NAME} has no 'kind'; the bundle is corrupt")
    if kinds is not None and config["kind"] not in kinds:
        raise BundleError(
            f"{ref} is a {config['kind']!r} bundle; this command needs one of: {', '.join(kinds)}"
        )
    bundle = Bundle(path=path, config=config)
    bundle.spec  # noqa: B018  (parsed now: a corrupt schema fails here, naming the file)
    return bundle


@dataclass
class BundleParts:
    """What a training recipe hands the Trainer to write as a bundle: the typed config of its kind, the
    components (registered modules, or loaded bundles to nest), the weights' dtype, and extra files
    (name → writer(path)) such as an LDM's prompt-embedding cache."""

    config: BundleConfig
    components: dict[str, nn.Module | Bundle]
    dtype: torch.dtype | None = None
    files: dict[str, Callable[[Path], object]] = field(default_factory=dict)


def write_bundle(folder: str | Path, parts: BundleParts) -> Path:
    """Write `parts` atomically as a bundle whose config.json is `parts.config` (schema_version current)."""
    config = parts.config.to_json()
    for key in ("kind", "components", "genvision_version", "schema_version"):
        config.pop(key, None)
    config = {"schema_version": SCHEMA_VERSION, **config}
    return save_bundle(
        folder, parts.config.kind, parts.components, config, dtype=parts.dtype, files=parts.files
    )


def save_bundle(
    folder: str | Path,
    kind: str,
    components: dict[str, nn.Module | Bundle],
    config: dict[str, Any],
    dtype: torch.dtype | None = None,
    files: dict[str, Callable[[Path], object]] | None = None,
) -> Path:
    """Write a bundle atomically (built in a temporary folder, then renamed over `folder`)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        tmp.chmod(umask_mode(0o777))  # mkdtemp's 0700 would hide the bundle from everyone else
        for name, comp in components.items():
            if isinstance(comp, Bundle):
                shutil.copytree(comp.path, tmp / name)
            else:
                save_module(tmp / name, comp, dtype=dtype)
        for name, write in (files or {}).items():
            write(tmp / name)
        full = {"genvision_version": __version__, "kind": kind, "components": list(components), **config}
        (tmp / CONFIG_NAME).write_text(json.dumps(full, indent=2))
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old)
        else:
            tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return folder
