"""Where genvision keeps datasets, weights and caches: $GENVISION_HOME, default ~/.cache/genvision."""

from __future__ import annotations

import os
from pathlib import Path


def genvision_home() -> Path:
    return Path(os.environ.get("GENVISION_HOME", Path.home() / ".cache" / "genvision")).expanduser()


def data_home(name: str) -> Path:
    """The default folder of dataset `name` ($GENVISION_HOME/data/NAME)."""
    return genvision_home() / "data" / name


def onnx_cache_home() -> Path:
    """Where the onnx backend keeps its exports: $GENVISION_ONNX_CACHE, default $GENVISION_HOME/cache/onnx (a
    folder several users or processes can share: each export appears by one rename)."""
    default = genvision_home() / "cache" / "onnx"
    return Path(os.environ.get("GENVISION_ONNX_CACHE", default)).expanduser()


def weights_home() -> Path:
    return genvision_home() / "weights"
