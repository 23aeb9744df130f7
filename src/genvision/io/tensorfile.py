"""Safetensors files that refuse pickles: nested state (dicts, lists, tensors, numbers) without torch.load.

Foreign PyTorch state dicts (`.pt`, `.pth`, `.ckpt`, `.bin`) are read only through `torch.load(weights_only=True)`;
nothing is ever loaded with the full unpickler, so there is no "trust this pickle" switch.

A nested structure is flattened to named tensors plus a JSON skeleton kept in the safetensors metadata,
so optimizer states and RNG states round-trip without unpickling anything.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from genvision.errors import BundleError
from genvision.io.atomic import atomic_path

PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl")
TORCH_SAVE_SUFFIXES = (
    ".pt",
    ".pth",
    ".ckpt",
    ".bin",
)  # torch.save files: read with the weights-only unpickler
_SKELETON_KEY = "genvision.skeleton"


def save_tensors(
    path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> None:
    """Atomically write a flat dict of tensors (made contiguous, on CPU)."""
    clean = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(clean, str(tmp), metadata=metadata)


def load_torch_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A foreign PyTorch state dict (`torch.save(model.state_dict())`, or a checkpoint holding "state_dict").

    Read only with `torch.load(weights_only=True)`, PyTorch's restricted unpickler: tensors, numbers, strings
    and containers load; any other Python object (the way a pickle runs code) is refused, never imported.
    """
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"weights file {path} does not exist")
    if path.suffix not in TORCH_SAVE_SUFFIXES:
        raise BundleError(
            f"{path} is a plain pickle; genvision never unpickles those. Save the weights with "
            "torch.save(model.state_dict()) or safetensors instead"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # the restricted unpickler refused it, or the file is not a torch.save archive
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise BundleError(
            f"{path} is not a plain PyTorch state dict (genvision reads .pt files only with "
            f"torch.load(weights_only=True), which refused it: {reason}); export a state dict "
            "or a safetensors file"
        ) from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj:
        raise BundleError(f"{path} holds a {type(obj).__name__}, not a state dict of named tensors")
    bad = [k for k, v in obj.items() if not (isinstance(k, str) and isinstance(v, torch.Tensor))]
    if bad:
        raise BundleError(f"{path} is not a flat state dict: entry {bad[0]!r} is not a named tensor")
    return obj


def load_tensors(path: str | Path, trust_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Read a safetensors file, or a PyTorch `.pt`/`.pth`/`.ckpt`/`.bin` state dict (weights-only unpickler).

    Nothing is ever unpickled with the full unpickler; `trust_pickle` is accepted for old callers and ignored.
    """
    del trust_pickle
    path = Path(path)
    if path.suffix in PICKLE_SUFFIXES:
        return load_torch_state_dict(path)
    if not path.is_file():
        raise BundleError(f"weights file {path} does not exist")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(
            f"{path} is not a readable safetensors file (truncated or corrupt?): {exc}"
        ) from exc


def _flatten(obj: Any, prefix: str, out: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
        return {"__tensor__": prefix}
    if isinstance(obj, dict):
        if not all(isinstance(k, (str, int)) for k in obj):
            raise TypeError(f"cannot store dict keys of type {[type(k) for k in obj]}")
        return {"__dict__": [[k, _flatten(v, f"{prefix}.{k}", out)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{prefix}.{i}", out) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    raise TypeError(f"cannot store object of type {type(obj).__name__} at {prefix}")


def _unflatten(skel: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(skel, dict):
        if "__tensor__" in skel:
            return tensors[skel["__tensor__"]]
        if "__dict__" in skel:
            return {k: _unflatten(v, tensors) for k, v in skel["__dict__"]}
        if "__tuple__" in skel:
            return tuple(_unflatten(v, tensors) for v in skel["__tuple__"])
        if "__ndarray__" in skel:
            return np.asarray(skel["__ndarray__"], dtype=skel["dtype"])
    if isinstance(skel, list):
        return [_unflatten(v, tensors) for v in skel]
    return skel


def save_state(path: str | Path, state: dict[str, Any]) -> None:
    """Atomically save a nested state (checkpoint) as safetensors + JSON skeleton."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, "s", tensors)
    save_tensors(path, tensors, metadata={_SKELETON_KEY: json.dumps(skeleton)})


def load_state(path: str | Path) -> dict[str, Any]:
    """Load a nested state written by `save_state`; pickled checkpoints are refused."""
    path = Path(path)
    if path.suffix in PICKLE_SUFFIXES:
        raise BundleError(
            f"{path} is a pickle; genvision checkpoints are safetensors files (step_XXXXXXXX.safetensors) "
            "and pickled ones are never loaded"
        )
    if not path.is_file():
        raise BundleError(f"checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"checkpoint {path} is truncated or corrupt: {exc}") from exc
    if _SKELETON_KEY not in meta:
        raise BundleError(
            f"{path} is a safetensors file but not a genvision checkpoint (no skeleton metadata)"
        )
    return _unflatten(json.loads(meta[_SKELETON_KEY]), tensors)
