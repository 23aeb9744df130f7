"""The inference backends a loaded model can run on, and the device and precision each accepts.

    check_backend("onnx", "cuda")                        # GenvisionError: the onnx backend runs on the CPU
    resolve_backend("auto", "auto", "auto", "ldm")       # "onnx" on a CPU machine with onnxruntime, else "torch"

Kept apart from `export.backend` (which imports the loaded-model classes) so that `genvision.load` can check a
backend name without importing them.
"""

from __future__ import annotations

import importlib.util

import torch

from genvision.errors import GenvisionError
from genvision.runtime import resolve_device

BACKENDS = ("auto", "torch", "onnx")
EXPORTED_KINDS = ("ddpm", "ldm", "dcgan", "cgan", "stylegan", "vae", "vqvae", "autoencoder")


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


def resolve_backend(backend: str, device: str | torch.device, precision: str, kind: str) -> str:
    """ "auto" → "onnx" where it runs the same samplers faster: the "onnx" extra installed, the device the CPU,
    precision fp32, a kind with exported generators (benchmarks/onnx_inference.py: 1.5–2.1× a whole 64-sample
    call on a 2-core Xeon, the lowest 1.52× in three quiet runs); otherwise "torch". Other names are checked and returned."""
    if check_backend(backend, device, precision) != "auto":
        return backend
    on_cpu = resolve_device(str(device)).type == "cpu"
    wanted = on_cpu and precision in ("auto", "fp32") and kind in EXPORTED_KINDS
    return "onnx" if wanted and all(installed(name) for name in ("onnx", "onnxruntime")) else "torch"


def installed(module: str) -> bool:
    """Whether `module` can be imported (found on the path; not imported here)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module set to None in sys.modules
        return False
