"""Progressive-distillation maths against closed forms, and a short distillation of a tiny 2-D denoiser."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from genvision.diffusion.distill import (
    distillation_loss,
    distillation_rows,
    landing_loss,
    landing_x0_target,
    student_step,
    student_target,
    teacher_substeps,
)
from genvision.diffusion.predictions import training_target
from genvision.diffusion.samplers.ddim import ddim_step
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import GenvisionError

MU, S = 0.7, 0.4  # data x_0 ~ N(MU, S²) per coordinate


def gaussian_eps(schedule: NoiseSchedule):
    """The exact ε-prediction for N(MU, S²) data: E[ε | z_t] = σ (z − a MU) / (a² S² + σ²)."""

    def fn(z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = schedule.alpha_bar_at(t, z.ndim, float64=True)
        a, s = ab.sqrt(), (1 - ab).sqrt()
        return (s * (z.double() - a * MU) / (ab * S**2 + 1 - ab)).float()

    return fn


def closed_form(ab: np.ndarray, z: np.ndarray, ts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Float64 numpy: exact DDIM steps ts[0] → ts[1] → … → ts[k] of the Gaussian teacher, and x̃ (the paper's)."""

    def alpha_bar(t):
        return 1.0 if t < 0 else ab[t]

    x = z
    for t, s in zip(ts, ts[1:]):
        a_t, a_s = alpha_bar(t), alpha_bar(s)
        eps = math.sqrt(1 - a_t) * (x - math.sqrt(a_t) * MU) / (a_t * S**2 + 1 - a_t)
        x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        x = math.sqrt(a_s) * x0 + math.sqrt(1 - a_s) * eps
    a_t, a_n = alpha_bar(ts[0]), alpha_bar(ts[-1])
    r = math.sqrt(1 - a_n) / math.sqrt(1 - a_t)
    return x, (x - r * z) / (math.sqrt(a_n) - r * math.sqrt(a_t))


GRIDS = {
    2: [[999, 874, 749], [749, 624, 499], [499, 374, 249], [249, 124, -1]],
    4: [
        [999, 937, 874, 811, 749],
        [749, 687, 624, 561, 499],
        [499, 437, 374, 311, 249],
        [249, 187, 124, 61, -1],
    ],
}


@pytest.mark.parametrize(
    ("k", "rows"), [(2, [0, 1, 2]), (2, [3]), (4, [0, 2]), (4, [3])]
)  # inner steps, and the last step that ends at x_0
def test_target_and_student_step_match_the_closed_form_k_step_ddim(k, rows):
    schedule = NoiseSchedule(num_timesteps=1000)
    grid = distillation_rows(1000, 4, k)
    assert grid.tolist() == GRIDS[k]
    gen = torch.Generator().manual_seed(0)
    ab = schedule.alpha_bar_ext64[1:].numpy()
    for row in rows:
        triple = grid[row].expand(6, k + 1)
        z = torch.randn(6, 1, 3, 3, generator=gen)
        z_next = teacher_substeps(gaussian_eps(schedule), schedule, z, triple, "eps")
        want_z, want_x = closed_form(ab, z.double().numpy(), triple[0].tolist())
        np.testing.assert_allclose(z_next.double().numpy(), want_z, rtol=1e-4, atol=1e-5)
        target = landing_x0_target(schedule, z, z_next, triple[:, 0], triple[:, -1])
        np.testing.assert_allclose(target.double().numpy(), want_x, rtol=1e-4, atol=1e-4)
        if triple[0, -1] < 0:  # the last step: the target is where the teacher lands, x_0 itself
            torch.testing.assert_close(target, z_next)
        for prediction in ("eps", "x0", "v"):  # one student DDIM step with the target output lands exactly
            out = student_target(schedule, z, triple[:, 0], target, prediction)
            landed = student_step(schedule, z, triple, out, prediction)
            np.testing.assert_allclose(landed.double().numpy(), want_z, rtol=1e-4, atol=1e-4)
            loss = distillation_loss(schedule, out, z, triple[:, 0], target, prediction)
            assert loss.shape == (6,) and float(loss.max()) < 1e-8
            assert float(landing_loss(schedule, out, z, triple, z_next, prediction).max()) < 1e-8
        # an x0 error δ moves the landing point by (α_t'' − σ_t'' α_t/σ_t) δ
        a_t, a_n = [1.0 if k < 0 else float(ab[k]) for k in (triple[0, 0], triple[0, -1])]
        gain = math.sqrt(a_n) - math.sqrt(1 - a_n) * math.sqrt(a_t) / math.sqrt(1 - a_t)
        landed = landing_loss(schedule, target + 0.01, z, triple, z_next, "x0")
        np.testing.assert_allclose(landed.numpy(), (gain * 0.01) ** 2, rtol=1e-3)


def test_student_targets_are_the_training_targets_of_their_x0_and_noise():
    schedule = NoiseSchedule(num_timesteps=100)
    gen = torch.Generator().manual_seed(1)
    x0, noise = torch.randn(4, 2, generator=gen), torch.randn(4, 2, generator=gen)
    t = torch.tensor([0, 10, 50, 99])
    ab = schedule.alpha_bar_at(t, 2)
    z = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    for prediction in ("eps", "x0", "v"):
        want = training_target(schedule, x0, noise, t, prediction)
        torch.testing.assert_close(student_target(schedule, z, t, x0, prediction), want, atol=2e-5, rtol=1e-4)


def test_grids_that_do_not_nest_are_refused():
    assert distillation_rows(100, 1).tolist() == [[99, 49, -1]]
    assert distillation_rows(1000, 1, 8).tolist() == [[999, 874, 749, 624, 499, 374, 249, 124, -1]]
    with pytest.raises(GenvisionError, match="not every other point"):
        distillation_rows(1000, 4, spacing="leading")
    with pytest.raises(GenvisionError, match="not every 4th point"):
        distillation_rows(1000, 4, 4, spacing="leading")
    with pytest.raises(GenvisionError, match="integer >= 2"):
        distillation_rows(1000, 4, 1)


class TinyDenoiser(torch.nn.Module):
    """A 2-layer MLP on 2-D points and a sinusoidal time feature."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.SiLU(), torch.nn.Linear(64, 2))

    def forward(self, x, t):
        phase = t.float()[:, None] / 100 * math.pi
        return self.net(torch.cat([x, phase.sin(), phase.cos()], 1))


def mixture(n: int, gen: torch.Generator) -> torch.Tensor:
    """Four tight clusters at (±1, ±1): far from Gaussian, so few DDIM steps of the teacher miss."""
    centres = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    return centres[torch.randint(0, 4, (n,), generator=gen)] + 0.05 * torch.randn(n, 2, generator=gen)


def tiny_teacher(schedule: NoiseSchedule, gen: torch.Generator) -> TinyDenoiser:
    """An ε-prediction TinyDenoiser trained for 400 steps on the mixture (frozen)."""
    torch.manual_seed(0)
    teacher = TinyDenoiser()
    opt = torch.optim.Adam(teacher.parameters(), lr=3e-3)
    for _ in range(400):
        x0 = mixture(256, gen)
        t = torch.randint(0, 100, (256,), generator=gen)
        noise = torch.randn(256, 2, generator=gen)
        ab = schedule.alpha_bar_at(t, 2)
        loss = (teacher(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t) - noise).pow(2).mean()
        opt.zero_grad(), loss.backward(), opt.step()
    return teacher.requires_grad_(False)


@pytest.mark.parametrize(
    ("prediction", "objective"), [("eps", "output"), ("v", "output"), ("eps", "landing")]
)
def test_after_a_short_run_one_student_step_is_closer_to_two_teacher_steps_than_one_teacher_step(
    prediction, objective
):
    schedule = NoiseSchedule(num_timesteps=100)
    gen = torch.Generator().manual_seed(0)
    teacher = tiny_teacher(schedule, gen)
    student = copy.deepcopy(teacher).requires_grad_(True)
    triples = distillation_rows(100, 2)  # teacher 4 steps, student 2
    opt = torch.optim.Adam(student.parameters(), lr=2e-3)

    def batch(n):
        triple = triples[torch.randint(0, len(triples), (n,), generator=gen)]
        ab = schedule.alpha_bar_at(triple[:, 0], 2)
        return triple, ab.sqrt() * mixture(n, gen) + (1 - ab).sqrt() * torch.randn(n, 2, generator=gen)

    for _ in range(300):
        triple, z = batch(256)
        z_next = teacher_substeps(teacher, schedule, z, triple, "eps")
        target = landing_x0_target(schedule, z, z_next, triple[:, 0], triple[:, -1])
        out = student(z, triple[:, 0])
        if objective == "landing":
            loss = landing_loss(schedule, out, z, triple, z_next, prediction).mean()
        else:
            loss = distillation_loss(schedule, out, z, triple[:, 0], target, prediction).mean()
        opt.zero_grad(), loss.backward(), opt.step()
    triple, z = batch(2000)
    with torch.no_grad():
        two = teacher_substeps(teacher, schedule, z, triple, "eps")
        one = ddim_step(schedule, z, triple[:, 0], triple[:, -1], teacher(z, triple[:, 0]))
        mine = student_step(schedule, z, triple, student(z, triple[:, 0]), prediction)
    student_error = float((mine - two).pow(2).sum(1).mean())
    teacher_error = float((one - two).pow(2).sum(1).mean())
    assert student_error < 0.3 * teacher_error, (student_error, teacher_error)
