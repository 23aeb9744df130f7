"""Samplers by name, from one table (`registry.SAMPLERS`): `ddpm` (ancestral), `ddim` (η), `dpmpp`
(DPM-Solver++ 2M), and whatever else has a row there.

    x0 = sample("ddim", model_fn, schedule, x_T, prediction="eps", steps=50, noise=PerImageRNG(0, range(B)))

Step functions (`ddpm_step`, `ddim_step`, `dpmpp_2m_step`) are exported for callers that interleave their
own work between steps (inpainting); `q_sample` renoises known regions.
"""

from __future__ import annotations

from typing import Any

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.predictions import check_prediction
from genvision.diffusion.samplers.base import Callback, ModelFn, NoiseSource, StepUpdate, draw_noise, run_loop
from genvision.diffusion.samplers.ddim import ddim_sample, ddim_step, ddim_update
from genvision.diffusion.samplers.ddpm import ddpm_sample, ddpm_step, ddpm_update
from genvision.diffusion.samplers.dpm_solver import History, dpmpp_2m_sample, dpmpp_2m_step
from genvision.diffusion.samplers.registry import (
    COMMON_ARGS,
    SAMPLERS,
    Option,
    Sampler,
    inpainting_row,
    inpainting_samplers,
    sampler_row,
)
from genvision.diffusion.schedules import NoiseSchedule


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
    """Run sampler `name` for `steps` (None: the row's default). Besides the arguments every sampler takes
    (spacing, noise, clip_x0, callback, return_trajectory), `options` are the row's own (eta, variance, ...):
    those set to None take their defaults, others are one-line errors."""
    row = sampler_row(name)
    check_prediction(prediction)
    common = {key: options.pop(key) for key in COMMON_ARGS if key in options}
    if "spacing" in common:
        common["spacing"] = row.spacing_for(common["spacing"])
    given = row.resolve({key: value for key, value in options.items() if value is not None})
    steps = row.steps_for(schedule.num_timesteps) if steps is None else steps
    return row.sample(model_fn, schedule, x_T, prediction=prediction, steps=steps, **common, **given)


__all__ = [
    "SAMPLERS",
    "Callback",
    "History",
    "ModelFn",
    "NoiseSource",
    "Option",
    "Sampler",
    "StepUpdate",
    "ddim_sample",
    "ddim_step",
    "ddim_update",
    "ddpm_sample",
    "ddpm_step",
    "ddpm_update",
    "dpmpp_2m_sample",
    "dpmpp_2m_step",
    "draw_noise",
    "inpainting_row",
    "inpainting_samplers",
    "q_sample",
    "run_loop",
    "sample",
    "sampler_row",
]
