"""Safetensors files that refuse pickles: nested state (dicts, lists, tensors, numbers) without torch.load.

A nested structure is flattened to named tensors plus a JSON skeleton kept in the safetensors metadata,
so optimizer states and RNG states round-trip without unpickling anything.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from genvision.errors import BundleError
from genvision.io.atomic import atomic_path

PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl")
_SKELETON_KEY = "genvision.skeleton"


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Atomically write a flat dict of tensors (made contiguous, on CPU)."""
    clean = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(clean, str(tmp), metadata=metadata)


def load_tensors(path: str | Path, trust_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Read a safetensors file; pickled formats are refused unless `trust_pickle`."""
    path = Path(path)
    if path.suffix in PICKLE_SUFFIXES:
        if not trust_pickle:
            raise BundleError(
                f"{path} is a pickle file, which can run arbitrary code when loaded; "
                "convert it to safetensors or pass --trust-pickle if you trust its source"
            )
        obj = torch.load(path, map_location="cpu", weights_only=False)
        return obj.get("state_dict", obj) if isinstance(obj, dict) else obj
    if not path.is_file():
        raise BundleError(f"weights file {path} does not exist")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{path} is not a readable safetensors file (truncated or corrupt?): {exc}") from exc


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
            import numpy as np

            return np.asarray(skel["__ndarray__"], dtype=skel["dtype"])
    if isinstance(skel, list):
        return [_unflatten(v, tensors) for v in skel]
    return skel


def save_state(path: str | Path, state: dict[str, Any]) -> None:
    """Atomically save a nested state (checkpoint) as safetensors + JSON skeleton."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, "s", tensors)
    save_tensors(path, tensors, metadata={_SKELETON_KEY: json.dumps(skeleton)})


def load_state(path: str | Path, trust_pickle: bool = False) -> dict[str, Any]:
    """Load a nested state written by `save_state`."""
    path = Path(path)
    if path.suffix in PICKLE_SUFFIXES:
        return load_tensors(path, trust_pickle=trust_pickle)
    if not path.is_file():
        raise BundleError(f"checkpoint {path} does not exist")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"checkpoint {path} is truncated or corrupt: {exc}") from exc
    if _SKELETON_KEY not in meta:
        raise BundleError(f"{path} is a safetensors file but not a genvision checkpoint (no skeleton metadata)")
    return _unflatten(json.loads(meta[_SKELETON_KEY]), tensors)
