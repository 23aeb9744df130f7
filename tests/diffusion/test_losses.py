import pytest
import torch

from genvision.diffusion import (
    NoiseSchedule,
    diffusion_loss,
    min_snr_weight,
    q_sample,
    to_x0_eps,
    training_target,
)
from genvision.diffusion.losses import sample_timesteps
from genvision.errors import GenvisionError


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_true_target_converts_back_to_x0_and_eps(prediction):
    s = NoiseSchedule(name="cosine")
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(8, 1, 4, 4, generator=g), torch.randn(8, 1, 4, 4, generator=g)
    t = torch.tensor([0, 1, 10, 100, 500, 900, 990, 999])
    xt = q_sample(s, x0, t, noise)
    x0_hat, eps_hat = to_x0_eps(s, xt, t, training_target(s, x0, noise, t, prediction), prediction)
    # x0 from ε at t = 999 divides by √ᾱ ≈ 0.006: compare where the conversion is well conditioned
    keep = slice(0, 7) if prediction == "eps" else slice(None)
    torch.testing.assert_close(x0_hat[keep], x0[keep], atol=2e-3, rtol=1e-3)
    keep = slice(1, None) if prediction == "x0" else slice(None)  # ε from x0 at t = 0 divides by 0.01
    torch.testing.assert_close(eps_hat[keep], noise[keep], atol=2e-3, rtol=1e-3)


def test_v_target_is_alpha_eps_minus_sigma_x0():
    s = NoiseSchedule()
    x0, noise, t = torch.ones(1, 1), torch.full((1, 1), 2.0), torch.tensor([400])
    a = s.alpha_bar[400].item()
    assert training_target(s, x0, noise, t, "v").item() == pytest.approx(a**0.5 * 2 - (1 - a) ** 0.5)


def test_clip_x0_clamps_and_recomputes_eps_consistently():
    s = NoiseSchedule()
    xt, t = torch.full((1, 1), 3.0), torch.tensor([10])
    x0, eps = to_x0_eps(s, xt, t, torch.full((1, 1), 2.5), "x0", clip_x0=1.0)
    a = s.alpha_bar[10].item()
    assert x0.item() == 1.0
    assert (a**0.5 * x0 + (1 - a) ** 0.5 * eps).item() == pytest.approx(3.0, rel=1e-5)


def test_loss_is_zero_for_the_perfect_model_and_mse_otherwise():
    s = NoiseSchedule()
    g = torch.Generator().manual_seed(1)
    x0, noise = torch.randn(4, 1, 3, 3, generator=g), torch.randn(4, 1, 3, 3, generator=g)
    t = torch.tensor([3, 30, 300, 900])
    perfect = diffusion_loss(lambda x, tt: noise, s, x0, t, noise)
    assert perfect.shape == (4,) and perfect.abs().max() == 0
    zero = diffusion_loss(lambda x, tt: torch.zeros_like(x), s, x0, t, noise, prediction="x0")
    torch.testing.assert_close(zero, x0.pow(2).flatten(1).mean(1))


def test_min_snr_weights():
    s = NoiseSchedule()
    t = torch.tensor([0, 500, 999])
    snr = s.snr(t)
    gamma = 5.0
    torch.testing.assert_close(min_snr_weight(s, t, "eps", gamma), snr.clamp(max=gamma) / snr)
    torch.testing.assert_close(min_snr_weight(s, t, "x0", gamma), snr.clamp(max=gamma))
    torch.testing.assert_close(min_snr_weight(s, t, "v", gamma), snr.clamp(max=gamma) / (snr + 1))
    # low-noise steps (SNR ≫ γ) are down-weighted, high-noise ones keep weight 1 for ε
    w = min_snr_weight(s, t, "eps", gamma)
    assert w[0] < 1e-3 and w[2].item() == pytest.approx(1.0)
    weighted = diffusion_loss(
        lambda x, tt: torch.zeros_like(x), s, torch.zeros(3, 2), t, torch.ones(3, 2), min_snr_gamma=gamma
    )
    torch.testing.assert_close(weighted, w)
    with pytest.raises(GenvisionError, match="unknown prediction type"):
        min_snr_weight(s, t, "score", gamma)


def test_sample_timesteps_uniform_and_reproducible():
    s = NoiseSchedule(num_timesteps=10)
    t1 = sample_timesteps(s, 10_000, torch.Generator().manual_seed(3), torch.device("cpu"))
    t2 = sample_timesteps(s, 10_000, torch.Generator().manual_seed(3), torch.device("cpu"))
    assert torch.equal(t1, t2) and t1.dtype == torch.int64
    counts = torch.bincount(t1, minlength=10)
    assert counts.min() > 900 and counts.max() < 1100
