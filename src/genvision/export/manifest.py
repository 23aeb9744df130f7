"""The export folder's `manifest.json` and its arrays: plain JSON plus raw little-endian arrays, no torch.

    DIR/manifest.json        {"format": "genvision-onnx", "format_version": 1, "kind", "graphs", "arrays", ...}
    DIR/<graph>.onnx         one ONNX graph per network (unet, encoder, decoder, generator, mapping, synthesis)
    DIR/arrays/<name>.bin    C-order little-endian data, described in manifest["arrays"][name] =
                             {"file": "arrays/<name>.bin", "dtype": "float32" | "float64" | "int64" | "uint8", "shape": [...]}

A reader needs nothing but a JSON parser and typed arrays (`new Float32Array(buffer)` in JavaScript,
`np.fromfile` in Python). docs/onnx.md describes every field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from genvision.errors import BundleError
from genvision.io.atomic import atomic_path

FORMAT = "genvision-onnx"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
ARRAYS_DIR = "arrays"
DTYPES = ("float32", "float64", "int64", "uint8")


def is_export(folder: str | Path) -> bool:
    """Whether `folder` holds a genvision ONNX export (a manifest.json of this format)."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def write_array(folder: Path, name: str, values: np.ndarray) -> dict[str, Any]:
    """Write `values` as DIR/arrays/<name>.bin and return its manifest entry."""
    values = np.ascontiguousarray(values)
    if values.dtype.name not in DTYPES:
        raise ValueError(f"array {name!r}: dtype {values.dtype} is not one of {DTYPES}")
    rel = f"{ARRAYS_DIR}/{name}.bin"
    (folder / ARRAYS_DIR).mkdir(parents=True, exist_ok=True)
    values.astype(values.dtype.newbyteorder("<"), copy=False).tofile(folder / rel)
    return {"file": rel, "dtype": values.dtype.name, "shape": list(values.shape)}


def read_array(folder: str | Path, entry: dict[str, Any]) -> np.ndarray:
    """The array an `arrays` entry describes, checked against its shape."""
    path = Path(folder) / entry["file"]
    if not path.is_file():
        raise BundleError(f"export {folder} is missing {entry['file']}; export the bundle again")
    values = np.fromfile(path, dtype=np.dtype(entry["dtype"]).newbyteorder("<"))
    shape = tuple(entry["shape"])
    if values.size != int(np.prod(shape)):
        raise BundleError(f"{path} holds {values.size} values, not {shape}; export the bundle again")
    return values.reshape(shape).astype(entry["dtype"])


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    with atomic_path(folder / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    return folder / MANIFEST_NAME


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of an export folder; errors name what is wrong and what to do."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise BundleError(f"{folder} holds no {MANIFEST_NAME}: it is not a genvision ONNX export")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); export the bundle again") from exc
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{path} is not a {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"{path} has format_version {manifest.get('format_version')}; this genvision reads "
            f"{FORMAT_VERSION}: export the bundle again"
        )
    return manifest
