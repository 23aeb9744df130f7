"""Files that commands exchange: inversion codes (`genvision invert` → `edit`) and attribute directions.

Codes: safetensors with "ws" [N, num_ws, w_dim] float32, plus "noise.<j>" maps when noise was optimised; the
space, method and model in the metadata. Directions: one unit vector [w_dim] per attribute name, with the SVM's
accuracy and the number of codes it was fitted on in the metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genvision.errors import GenvisionError
from genvision.generators import Inversion
from genvision.io.tensorfile import load_tensors, save_tensors


def save_codes(path: str | Path, result: Inversion, model_ref: str) -> Path:
    tensors = {"ws": result.ws}
    for j, m in enumerate(result.noise or []):
        tensors[f"noise.{j}"] = m
    meta = {**result.info, "model": str(model_ref), "count": str(len(result.ws))}
    save_tensors(path, tensors, metadata={"genvision": json.dumps(meta)})
    return Path(path)


def load_codes(path: str | Path) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
    """W+ codes [N, num_ws, w_dim] and, when stored, the noise maps of a codes file."""
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(
            f"codes file {path} does not exist; write one with `genvision invert ... --out {path}`"
        )
    tensors = load_tensors(path)
    if "ws" not in tensors:
        raise GenvisionError(f"{path} holds no 'ws' tensor; it is not a genvision codes file")
    ws = tensors["ws"].float()
    if ws.ndim != 3 or not torch.isfinite(ws).all():
        raise GenvisionError(
            f"{path} holds codes of shape {list(ws.shape)} (or non-finite values); expected finite "
            "[N, num_ws, w_dim]"
        )
    maps = sorted((k for k in tensors if k.startswith("noise.")), key=lambda k: int(k.split(".")[1]))
    return ws, [tensors[k].float() for k in maps] or None


def save_directions(
    path: str | Path, directions: dict[str, tuple[torch.Tensor, float, int]], model_ref: str
) -> Path:
    """directions: name → (unit vector, SVM accuracy, number of codes)."""
    meta = {name: {"accuracy": acc, "count": count} for name, (_, acc, count) in directions.items()}
    save_tensors(
        path,
        {name: vec for name, (vec, _, _) in directions.items()},
        metadata={"genvision": json.dumps({"model": str(model_ref), "directions": meta})},
    )
    return Path(path)


def load_directions(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"directions file {path} does not exist; make one with `genvision directions`")
    return {k: v.float() for k, v in load_tensors(path).items()}
