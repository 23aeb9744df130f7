"""The inference backends a loaded model can run on, and the device and precision each accepts.

Kept apart from `export.backend` (which imports onnxruntime and the loaded-model classes) so that
`genvision.load` can check a backend name without importing either.
"""

from __future__ import annotations

import torch

from genvision.errors import GenvisionError
from genvision.runtime import resolve_device

BACKENDS = ("torch", "onnx")


def check_backend(backend: str, device: str | torch.device = "cpu", precision: str = "auto") -> str:
    """The backend name, checked; the onnx backend takes device auto or cpu and precision auto or fp32."""
    if backend not in BACKENDS:
        raise GenvisionError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if backend == "onnx":
        if device != "auto" and resolve_device(str(device)).type != "cpu":
            raise GenvisionError(
                f"the onnx backend runs on the CPU, not {device}: use --device cpu or --backend torch"
            )
        if precision not in ("auto", "fp32"):
            raise GenvisionError(
                f"the onnx backend runs in fp32, not {precision}: drop --precision or use --backend torch"
            )
    return backend
