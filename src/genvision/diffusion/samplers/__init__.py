"""Samplers by name: `ddpm` (ancestral), `ddim` (η), `dpmpp` (DPM-Solver++ 2M).

    x0 = sample("ddim", model_fn, schedule, x_T, prediction="eps", steps=50, noise=PerImageRNG(0, range(B)))

Step functions (`ddpm_step`, `ddim_step`, `dpmpp_2m_step`) are exported for callers that interleave their
own work between steps (inpainting); `q_sample` renoises known regions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.predictions import check_prediction
from genvision.diffusion.samplers.base import Callback, ModelFn, NoiseSource, StepUpdate, draw_noise, run_loop
from genvision.diffusion.samplers.ddim import ddim_sample, ddim_step, ddim_update
from genvision.diffusion.samplers.ddpm import ddpm_sample, ddpm_step, ddpm_update
from genvision.diffusion.samplers.dpm_solver import History, dpmpp_2m_sample, dpmpp_2m_step
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import GenvisionError
from genvision.plugins import plugin

SAMPLERS = {"ddpm": ddpm_sample, "ddim": ddim_sample, "dpmpp": dpmpp_2m_sample}
# options that only some samplers take
_SPECIFIC = {"eta": ("ddim",), "variance": ("ddpm",)}


def check_sampler(name: str) -> str:
    if name not in SAMPLERS and (found := plugin("genvision.samplers", name, Callable)) is not None:
        SAMPLERS[name] = found  # a sampler of another package (genvision.plugins), loaded on first use
    if name not in SAMPLERS:
        raise GenvisionError(f"unknown sampler {name!r}: choose one of {', '.join(SAMPLERS)}")
    return name


def sample(
    name: str,
    model_fn: ModelFn,
    schedule: NoiseSchedule,
    x_T: torch.Tensor,
    *,
    prediction: str = "eps",
    steps: int | None = None,
    **options: Any,
):
    """Run sampler `name`; options set to None are dropped, options a sampler does not take are errors."""
    check_sampler(name)
    check_prediction(prediction)
    options = {k: v for k, v in options.items() if v is not None}
    for key, owners in _SPECIFIC.items():
        if key in options and name not in owners:
            raise GenvisionError(f"option {key!r} applies to the {'/'.join(owners)} sampler, not {name!r}")
    if steps is not None:
        options["steps"] = steps
    return SAMPLERS[name](model_fn, schedule, x_T, prediction=prediction, **options)


__all__ = [
    "SAMPLERS",
    "Callback",
    "History",
    "ModelFn",
    "NoiseSource",
    "StepUpdate",
    "check_sampler",
    "ddim_sample",
    "ddim_step",
    "ddim_update",
    "ddpm_sample",
    "ddpm_step",
    "ddpm_update",
    "dpmpp_2m_sample",
    "dpmpp_2m_step",
    "draw_noise",
    "q_sample",
    "run_loop",
    "sample",
]
