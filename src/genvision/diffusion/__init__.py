"""Diffusion core: schedules, forward process, losses, timestep spacing, samplers, guidance."""

from genvision.diffusion.forward import q_posterior, q_sample
from genvision.diffusion.losses import diffusion_loss, min_snr_weight, sample_timesteps
from genvision.diffusion.predictions import PREDICTIONS, to_x0_eps, training_target
from genvision.diffusion.schedules import SCHEDULES, NoiseSchedule, ScheduleConfig
from genvision.diffusion.timesteps import SPACINGS, sampling_timesteps, timestep_pairs

__all__ = [
    "PREDICTIONS",
    "SCHEDULES",
    "SPACINGS",
    "NoiseSchedule",
    "ScheduleConfig",
    "diffusion_loss",
    "min_snr_weight",
    "q_posterior",
    "q_sample",
    "sample_timesteps",
    "sampling_timesteps",
    "timestep_pairs",
    "to_x0_eps",
    "training_target",
]
