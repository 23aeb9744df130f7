import math

import numpy as np
import pytest
import torch

from genvision.diffusion import NoiseSchedule, ScheduleConfig
from genvision.diffusion.schedules import make_betas
from genvision.errors import GenvisionError


def reference(betas: np.ndarray) -> dict[str, np.ndarray]:
    """The report's formulas, written independently in float64 numpy (0-indexed t, ᾱ_{-1} = 1)."""
    alphas = 1 - betas
    ab = np.cumprod(alphas)
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    return {
        "alpha_bar": ab,
        "post_var": betas * (1 - ab_prev) / (1 - ab),
        "c0": np.sqrt(ab_prev) * betas / (1 - ab),
        "ct": np.sqrt(alphas) * (1 - ab_prev) / (1 - ab),
    }


def test_linear_schedule_matches_ddpm_paper():
    s = NoiseSchedule()  # defaults: linear 1e-4 → 0.02, T = 1000
    assert s.num_timesteps == 1000 and s.betas.dtype == torch.float32
    assert s.betas[0].item() == pytest.approx(1e-4) and s.betas[-1].item() == pytest.approx(0.02)
    ref = reference(np.linspace(1e-4, 0.02, 1000))
    np.testing.assert_allclose(s.alpha_bar.numpy(), ref["alpha_bar"], rtol=1e-6)
    # DDPM paper: ᾱ_T ≈ 4.04e-5 for this schedule
    assert s.alpha_bar[-1].item() == pytest.approx(4.035e-5, rel=1e-3)


def test_linear_schedule_rescales_for_other_lengths():
    """Nichol & Dhariwal: β scaled by 1000/T, so x_{T-1} is pure noise whatever T."""
    short = NoiseSchedule(num_timesteps=100)
    np.testing.assert_allclose(short.betas.numpy(), np.linspace(1e-3, 0.2, 100), rtol=1e-6)
    assert short.alpha_bar[-1].item() < 1e-4
    assert NoiseSchedule(num_timesteps=10).betas.max().item() == pytest.approx(0.999)


def test_scaled_linear_and_cosine_closed_forms():
    sl = NoiseSchedule(name="scaled_linear", beta_start=0.00085, beta_end=0.012)
    np.testing.assert_allclose(sl.betas.numpy(), np.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2, rtol=1e-6)
    cos = NoiseSchedule(name="cosine")
    f = lambda t: math.cos((t / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 10, 500, 900):  # ᾱ_t = f(t+1)/f(0) wherever β was not clipped
        assert cos.alpha_bar[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-5)
    assert cos.betas.max().item() == pytest.approx(0.999)


@pytest.mark.parametrize("name", ["linear", "scaled_linear", "cosine"])
def test_posterior_coefficients_against_float64_reference(name):
    s = NoiseSchedule(name=name)
    ref = reference(make_betas(s.config).numpy())
    np.testing.assert_allclose(s.posterior_variance.numpy(), ref["post_var"], rtol=2e-5, atol=1e-12)
    np.testing.assert_allclose(s.posterior_mean_coef_x0.numpy(), ref["c0"], rtol=2e-5)
    np.testing.assert_allclose(s.posterior_mean_coef_xt.numpy(), ref["ct"], rtol=2e-5, atol=1e-7)
    # β̃_0 = 0 exactly; its log is clipped to log β̃_1
    assert s.posterior_variance[0].item() == 0
    assert s.posterior_log_variance_clipped[0].item() == pytest.approx(math.log(ref["post_var"][1]), rel=1e-6)
    np.testing.assert_allclose(
        s.posterior_log_variance_clipped[1:].numpy(), np.log(ref["post_var"][1:]), rtol=1e-5
    )


def test_batched_lookups_broadcast_and_handle_clean_data_index():
    s = NoiseSchedule()
    t = torch.tensor([0, 999, -1, 10])
    ab = s.alpha_bar_at(t, ndim=4)
    assert ab.shape == (4, 1, 1, 1)
    assert ab[2].item() == 1.0 and ab[0].item() == pytest.approx(1 - 1e-4)
    assert s.alpha_bar_at(t, 4, float64=True).dtype == torch.float64
    assert s.lookup("betas", t[:2], ndim=2).shape == (2, 1)
    snr = s.snr(torch.tensor([0, 999]))
    assert snr[0].item() == pytest.approx((1 - 1e-4) / 1e-4, rel=1e-4) and snr[1] < 1e-4


def test_config_round_trip_and_errors():
    s = NoiseSchedule(name="cosine", num_timesteps=200)
    again = NoiseSchedule.from_dict(s.to_dict())
    assert torch.equal(again.alpha_bar, s.alpha_bar) and again.num_timesteps == 200
    with pytest.raises(GenvisionError, match="unknown noise schedule 'quadratic'"):
        NoiseSchedule(name="quadratic")
    with pytest.raises(GenvisionError, match="unknown schedule setting 'bogus'"):
        ScheduleConfig.from_dict({"bogus": 1})
    with pytest.raises(GenvisionError, match="timesteps must lie"):
        s.validate_timesteps(torch.tensor([200]))
