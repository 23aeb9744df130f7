"""Classifier-free guidance (Ho & Salimans 2022) as a wrapper around a conditional model.

    ε̃ = ε_u + s (ε_c - ε_u)

ε_u is the model's output with the null condition, ε_c with the real one; s = 1 is plain conditional
sampling, s = 0 unconditional. The combination is linear, so it applies equally to ε, x0 or v outputs.
Both passes run as one batch of 2B.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from genvision.diffusion.samplers.base import ModelFn


def cfg_combine(out_uncond: torch.Tensor, out_cond: torch.Tensor, scale: float) -> torch.Tensor:
    """ε_u + s (ε_c - ε_u)."""
    return out_uncond + scale * (out_cond - out_uncond)


def _concat(a: Any, b: Any) -> Any:
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b.to(a.device)], dim=0)
    if a is None and b is None:
        return None
    raise TypeError("conditions must be tensors (or None in both the conditional and null inputs)")


def classifier_free_guidance(
    model: Callable[..., torch.Tensor], cond: dict[str, Any], uncond: dict[str, Any], scale: float
) -> ModelFn:
    """A `model_fn(x_t, t)` that evaluates `model(x, t, **cond)` and `model(x, t, **uncond)` and combines them.

    `cond` and `uncond` hold keyword tensors of batch B with the same keys, e.g.
    {"class_labels": y} and {"class_labels": full_like(y, null_class)}, or {"context": c} and
    {"context": unet.null_context_like(B, L)}. Scale 1 skips the unconditional pass.
    """
    if set(cond) != set(uncond):
        raise ValueError(f"cond and uncond need the same keys, got {sorted(cond)} and {sorted(uncond)}")

    def model_fn(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if scale == 1.0:
            return model(x, t, **cond)
        both = {k: _concat(uncond[k], cond[k]) for k in cond}
        out = model(torch.cat([x, x]), torch.cat([t, t]), **both)
        out_uncond, out_cond = out.chunk(2)
        return cfg_combine(out_uncond, out_cond, scale)

    return model_fn
