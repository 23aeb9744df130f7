"""Progressive distillation (Salimans & Ho 2022, algorithm 2): the target that makes one student DDIM step
land where k ≥ 2 deterministic teacher DDIM steps land (the paper's k = 2).

With α_t = √ᾱ_t, σ_t = √(1 − ᾱ_t) and a teacher grid t = t_0 > t_1 > … > t_k = t'' (−1 is clean data: α = 1,
σ = 0):

    z_t_{j+1} = DDIM_teacher(z_t_j, t_j → t_{j+1})  (j = 0 … k−1, η = 0),   z_t'' = z_t_k
    x̃         = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t)

so that one DDIM step of a model predicting x̂_0 = x̃ at t, z = α_t'' x̃ + σ_t'' (z_t − α_t x̃)/σ_t, is z_t''
exactly. A guided teacher's output ε̃ = ε_u + w (ε_c − ε_u) is folded into its steps, so the student learns the
guided trajectory (one network call per step, guidance 1 at sampling).

The student is fitted by MSE in its own output space: for ε that is SNR·‖x̂ − x̃‖², for v it is (1 + SNR)·‖x̂ − x̃‖²
(the smooth form of the paper's truncated-SNR weight max(SNR, 1)), for x0 the plain ‖x̂ − x̃‖².
"""

from __future__ import annotations

import torch

from genvision.diffusion.predictions import check_prediction, training_target
from genvision.diffusion.samplers.base import ModelFn
from genvision.diffusion.samplers.ddim import ddim_step
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import sampling_timesteps
from genvision.errors import GenvisionError


def distillation_rows(
    num_timesteps: int, student_steps: int, substeps: int = 2, spacing: str = "trailing"
) -> torch.Tensor:
    """[N, k+1] int64 rows (t, t_1, …, t_k): student step i from t to t_k through the teacher's k − 1 points.

    The teacher samples with kN steps and the student with N on the same spacing; the student's grid must be
    every k-th point of the teacher's (true for trailing spacing whenever T/(kN) is a multiple of 1/2)."""
    if isinstance(substeps, bool) or not isinstance(substeps, int) or substeps < 2:
        raise GenvisionError(f"teacher substeps per student step must be an integer >= 2, got {substeps!r}")
    k = substeps
    teacher = sampling_timesteps(num_timesteps, k * student_steps, spacing) + [-1]
    student = sampling_timesteps(num_timesteps, student_steps, spacing) + [-1]
    if teacher[::k] != student:
        raise GenvisionError(
            f"{spacing} spacing of {num_timesteps} timesteps: the {student_steps}-step grid is not every "
            f"{'other' if k == 2 else f'{k}th'} point of the {k * student_steps}-step grid; "
            "choose another step count"
        )
    rows = [teacher[k * i : k * i + k + 1] for i in range(student_steps)]
    return torch.tensor(rows, dtype=torch.int64)


def landing_x0_target(
    schedule: NoiseSchedule,
    z_t: torch.Tensor,
    z_next: torch.Tensor,
    t: torch.Tensor,
    t_next: torch.Tensor,
) -> torch.Tensor:
    """x̃ = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t), coefficients in float64."""
    ab_t = schedule.alpha_bar_at(t, z_t.ndim, float64=True)
    ab_n = schedule.alpha_bar_at(t_next, z_t.ndim, float64=True)
    ratio = ((1 - ab_n) / (1 - ab_t)).sqrt()
    denom = ab_n.sqrt() - ratio * ab_t.sqrt()
    return ((z_next.double() - ratio * z_t.double()) / denom).float()


@torch.no_grad()
def teacher_substeps(
    teacher: ModelFn,
    schedule: NoiseSchedule,
    z_t: torch.Tensor,
    row: torch.Tensor,
    prediction: str,
    clip_x0: float | None = None,
) -> torch.Tensor:
    """z_t_k after the teacher's DDIM steps t → t_1 → … → t_k; `row` is [B, k+1] (per-sample timesteps)."""
    z = z_t
    for j in range(row.shape[1] - 1):
        t, s = row[:, j], row[:, j + 1]
        z = ddim_step(schedule, z, t, s, teacher(z, t), prediction=prediction, clip_x0=clip_x0)
    return z


def student_target(
    schedule: NoiseSchedule, z_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor, prediction: str
) -> torch.Tensor:
    """What a student of `prediction` type should output at (z_t, t) for its x̂_0 to be `x0`."""
    check_prediction(prediction)
    ab = schedule.alpha_bar_at(t, z_t.ndim, float64=True)
    eps = ((z_t.double() - ab.sqrt() * x0.double()) / (1 - ab).sqrt()).float()
    return training_target(schedule, x0, eps, t, prediction)


def student_step(
    schedule: NoiseSchedule, z_t: torch.Tensor, row: torch.Tensor, out: torch.Tensor, prediction: str
) -> torch.Tensor:
    """The student's one DDIM step t → t_k from its output (what the target is built to land exactly)."""
    return ddim_step(schedule, z_t, row[:, 0], row[:, -1], out, prediction=prediction)


def distillation_loss(
    schedule: NoiseSchedule,
    student_out: torch.Tensor,
    z_t: torch.Tensor,
    t: torch.Tensor,
    x0_target: torch.Tensor,
    prediction: str,
) -> torch.Tensor:
    """Per-sample MSE between the student's output and the output whose x̂_0 is the target (see above)."""
    target = student_target(schedule, z_t, t, x0_target, prediction)
    return (student_out.float() - target).pow(2).flatten(1).mean(1)


def landing_loss(
    schedule: NoiseSchedule,
    student_out: torch.Tensor,
    z_t: torch.Tensor,
    row: torch.Tensor,
    z_next: torch.Tensor,
    prediction: str,
) -> torch.Tensor:
    """Per-sample ‖ẑ_t'' − z_t''‖²: where the student's one step lands against the teacher's k. In x space this
    weights ‖x̂ − x̃‖² by (α_t'' − σ_t'' α_t/σ_t)², so a step whose x̂_0 error is amplified counts as much as it
    moves the sample (for ε-students of trailing 4-step grids the first step weighs ~70x the last)."""
    landed = student_step(schedule, z_t, row, student_out.float(), prediction)
    return (landed - z_next).pow(2).flatten(1).mean(1)
