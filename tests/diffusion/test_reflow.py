"""Reflow maths against closed forms, and a short reflow of a tiny 2-D denoiser on its teacher's pairs."""

from __future__ import annotations

import copy

import pytest
import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.predictions import to_x0_eps, training_target
from genvision.diffusion.reflow import reflow_loss
from genvision.diffusion.samplers.ddim import ddim_step
from genvision.diffusion.schedules import NoiseSchedule
from genvision.diffusion.timesteps import sampling_timesteps
from tests.diffusion.test_distill import tiny_teacher


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_a_ddim_step_with_the_exact_target_lands_on_the_pair_line_for_every_t_and_s(prediction):
    schedule = NoiseSchedule(num_timesteps=30)
    gen = torch.Generator().manual_seed(1)
    x, eps = torch.randn(3, 1, 4, 4, generator=gen), torch.randn(3, 1, 4, 4, generator=gen)
    pairs = [(t, s) for t in range(30) for s in range(-1, t)]
    t = torch.tensor([p[0] for p in pairs]).repeat_interleave(3)
    s = torch.tensor([p[1] for p in pairs]).repeat_interleave(3)
    xs, es = x.repeat(len(pairs), 1, 1, 1), eps.repeat(len(pairs), 1, 1, 1)
    z_t = q_sample(schedule, xs, t, es)
    out = training_target(schedule, xs, es, t, prediction)
    landed = ddim_step(schedule, z_t, t, s, out, prediction=prediction)
    ab_s = schedule.alpha_bar_at(s, 4, float64=True)
    expected = ab_s.sqrt() * xs.double() + (1 - ab_s).sqrt() * es.double()
    torch.testing.assert_close(landed.double(), expected, atol=2e-4, rtol=0)
    x0, e = to_x0_eps(schedule, z_t, t, out, prediction)  # the target's x̂_0 is the pair's x, its ε̂ its ε
    torch.testing.assert_close(x0, xs, atol=1e-4, rtol=0)
    torch.testing.assert_close(e[t > 0], es[t > 0], atol=1e-3, rtol=0)


def test_the_v_target_is_alpha_eps_minus_sigma_x_and_the_loss_vanishes_on_it():
    schedule = NoiseSchedule(num_timesteps=100)
    gen = torch.Generator().manual_seed(2)
    x, eps = torch.randn(4, 2, generator=gen), torch.randn(4, 2, generator=gen)
    t = torch.tensor([0, 10, 50, 99])
    a, s = schedule.alpha_bar_at(t, 2).sqrt(), (1 - schedule.alpha_bar_at(t, 2)).sqrt()
    torch.testing.assert_close(training_target(schedule, x, eps, t, "v"), a * eps - s * x)
    exact = lambda z, tt: a * eps - s * x  # noqa: E731
    assert float(reflow_loss(exact, schedule, x, eps, t, "v").max()) < 1e-10
    off = lambda z, tt: a * eps - s * x + 0.1  # noqa: E731
    torch.testing.assert_close(reflow_loss(off, schedule, x, eps, t, "v"), torch.full((4,), 0.01))


# (an ε-student's one step from T is hopeless: x̂_0 = (z − σ ε̂)/α_T amplifies its error by 1/α_T)
@pytest.mark.parametrize("prediction", ["v", "x0"])
def test_after_a_short_run_one_student_step_lands_closer_to_the_pair_than_one_teacher_step(prediction):
    """Pairs from the (ε-)teacher's 20 DDIM steps; the student (the teacher's weights, the output reread in its
    own prediction type) after 300 steps: its one DDIM step from ε lands nearer the pair's x."""
    schedule = NoiseSchedule(num_timesteps=100)
    gen = torch.Generator().manual_seed(0)
    teacher = tiny_teacher(schedule, gen)

    @torch.no_grad()
    def teacher_sample(eps: torch.Tensor) -> torch.Tensor:
        z, grid = eps, [*sampling_timesteps(100, 20, "trailing"), -1]
        for t, s in zip(grid[:-1], grid[1:]):
            tt = torch.full((len(z),), t)
            z = ddim_step(schedule, z, tt, torch.full_like(tt, s), teacher(z, tt))
        return z

    eps = torch.randn(4096, 2, generator=gen)
    x = teacher_sample(eps)
    student = copy.deepcopy(teacher).requires_grad_(True)
    opt = torch.optim.Adam(student.parameters(), lr=2e-3)
    for _ in range(300):
        i = torch.randint(0, len(x), (256,), generator=gen)
        t = torch.randint(0, 100, (256,), generator=gen)
        loss = reflow_loss(student, schedule, x[i], eps[i], t, prediction).mean()
        opt.zero_grad(), loss.backward(), opt.step()
    e2 = torch.randn(2000, 2, generator=gen)
    x2 = teacher_sample(e2)
    first, last = torch.full((2000,), 99), torch.full((2000,), -1)
    with torch.no_grad():
        one = ddim_step(schedule, e2, first, last, teacher(e2, first))
        mine = ddim_step(schedule, e2, first, last, student(e2, first), prediction=prediction)
    student_error = float((mine - x2).pow(2).sum(1).mean())
    teacher_error = float((one - x2).pow(2).sum(1).mean())
    assert student_error < 0.3 * teacher_error, (student_error, teacher_error)
