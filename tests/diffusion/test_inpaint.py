"""Inpainting with closed-form denoisers: the exact ε-predictor of a known Gaussian data distribution."""

import pytest
import torch

from genvision.data.masks import half_fill
from genvision.diffusion.inpaint import Resampling, check_keep, inpaint_sample, renoise, repaint_levels
from genvision.diffusion.samplers import ddim_sample, ddpm_sample
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import GenvisionError
from genvision.seeding import PerImageRNG

SCHEDULE = NoiseSchedule(num_timesteps=1000)


def constant_image_eps(x, t):
    """Exact ε̂ for data x_0 = c·1, c ~ N(0, 1) (a rank-one Gaussian): E[x_0|x_t] = a d mean(x_t)/(a²d + σ²) · 1."""
    ab = SCHEDULE.alpha_bar_at(t, x.ndim)
    a, s = ab.sqrt(), (1 - ab).sqrt()
    d = x[0].numel()
    x0 = a * d * x.mean(dim=(1, 2, 3), keepdim=True) / (a * a * d + s * s)
    return (x - a * x0) / s


def iid_eps(x, t):
    """Exact ε̂ for data x_0 ~ N(0.5, 0.25² I): ε̂ = σ (x_t − a μ) / (a² s² + σ²)."""
    ab = SCHEDULE.alpha_bar_at(t, x.ndim)
    a, s = ab.sqrt(), (1 - ab).sqrt()
    return s * (x - a * 0.5) / (a * a * 0.0625 + s * s)


def constant_batch(batch=32, size=8, seed=0):
    c = torch.randn(batch, 1, 1, 1, generator=torch.Generator().manual_seed(seed))
    return c.expand(batch, 1, size, size).clone(), c


@pytest.mark.parametrize("sampler", ["ddim", "ddpm"])
def test_known_region_is_exact_and_hole_agrees_with_it(sampler):
    z0, c = constant_batch()
    keep = 1 - half_fill(8, 8)[None, None]
    out = inpaint_sample(
        constant_image_eps,
        SCHEDULE,
        z0,
        keep,
        sampler=sampler,
        steps=50,
        noise=PerImageRNG(0, range(32)),
        known_noise=PerImageRNG(1, range(32)),
    )
    assert torch.equal(out[..., :4], z0[..., :4])
    assert (out[..., 4:] - c).abs().mean() < 0.1  # the hole continues the constant image
    assert (out[..., 4:] - c).abs().mean() < 0.2 * (torch.randn(32, 1, 1, 1) - c).abs().mean()


def test_repaint_resampling_harmonises_better():
    z0, c = constant_batch(64)
    keep = 1 - half_fill(8, 8)[None, None]
    kwargs = dict(
        sampler="ddim", steps=50, noise=PerImageRNG(0, range(64)), known_noise=PerImageRNG(1, range(64))
    )
    plain = inpaint_sample(constant_image_eps, SCHEDULE, z0, keep, **kwargs)
    kwargs.update(noise=PerImageRNG(0, range(64)), known_noise=PerImageRNG(1, range(64)))
    repaint = inpaint_sample(constant_image_eps, SCHEDULE, z0, keep, resample=Resampling(5, 5), **kwargs)
    err_plain = (plain[..., 4:] - c).abs().mean()
    err_repaint = (repaint[..., 4:] - c).abs().mean()
    assert err_repaint < 0.5 * err_plain


def test_empty_hole_returns_input():
    z0 = torch.randn(4, 1, 8, 8)
    out = inpaint_sample(
        iid_eps,
        SCHEDULE,
        z0,
        torch.ones(1, 1, 8, 8),
        sampler="ddpm",
        steps=10,
        noise=PerImageRNG(0, range(4)),
    )
    assert torch.equal(out, z0)


@pytest.mark.parametrize("sampler,run", [("ddim", ddim_sample), ("ddpm", ddpm_sample)])
def test_full_hole_is_unconditional_sampling(sampler, run):
    z0 = torch.randn(4, 1, 8, 8)
    x_T = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(5))
    options = {"eta": 0.5} if sampler == "ddim" else {}
    reference = run(iid_eps, SCHEDULE, x_T, steps=20, noise=PerImageRNG(0, range(4)), **options)
    out = inpaint_sample(
        iid_eps,
        SCHEDULE,
        z0,
        torch.zeros(4, 1, 8, 8),
        sampler=sampler,
        steps=20,
        x_T=x_T,
        noise=PerImageRNG(0, range(4)),
        known_noise=PerImageRNG(9, range(4)),
        **options,
    )
    assert torch.allclose(out, reference, atol=1e-6)


def test_repaint_schedule():
    # no resampling: straight down
    assert repaint_levels(5) == [0, 1, 2, 3, 4, 5]
    levels = repaint_levels(12, Resampling(jump_length=3, jump_count=3))
    assert levels[0] == 0 and levels[-1] == 12
    forward = sum(1 for a, b in zip(levels, levels[1:]) if b == a + 1)
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b < a]
    assert all(a - b == 3 for a, b in jumps)
    assert sorted({a for a, _ in jumps}) == [5, 8, 11]  # every 3rd level back from the last model step
    assert len(jumps) == 3 * 2  # each jump level jumps r - 1 = 2 times
    assert forward == 12 + len(jumps) * 3  # every re-noised segment is denoised again


def test_renoise_marginal_matches_forward_process():
    """q(x_u|x_t) composed with q(x_t|x_0) must give q(x_u|x_0): variance 1 − ᾱ_u for x_0 = 0."""
    t, u = torch.full((20000,), 300), torch.full((20000,), 600)
    x_t = (1 - SCHEDULE.alpha_bar[300]).sqrt() * torch.randn(20000, 1, 1, 1)
    x_u = renoise(SCHEDULE, x_t, t, u, torch.randn(20000, 1, 1, 1))
    assert x_u.var().item() == pytest.approx(1 - SCHEDULE.alpha_bar[600].item(), rel=0.03)


def test_mask_size_mismatch_is_explained():
    with pytest.raises(GenvisionError, match="resize it first"):
        check_keep(torch.ones(1, 1, 28, 28), torch.zeros(2, 4, 7, 7))
    with pytest.raises(GenvisionError, match="keep masks for a batch"):
        check_keep(torch.ones(3, 1, 7, 7), torch.zeros(2, 4, 7, 7))
    assert check_keep(torch.ones(7, 7), torch.zeros(2, 4, 7, 7)).shape == (1, 1, 7, 7)


def test_multistep_solver_rejected():
    with pytest.raises(GenvisionError, match="ddpm and ddim"):
        inpaint_sample(iid_eps, SCHEDULE, torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4), sampler="dpmpp")


def test_resampling_parse():
    assert Resampling.parse("10,10") == Resampling(10, 10)
    assert Resampling.parse(None) is None
    with pytest.raises(GenvisionError):
        Resampling.parse("10")
