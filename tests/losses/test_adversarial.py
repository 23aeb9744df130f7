"""Adversarial losses against their closed forms on hand-picked logits."""

import math

import pytest
import torch

from genvision.losses.adversarial import GAN_LOSSES, discriminator_loss, generator_loss, r1_penalty

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values) -> float:
    return sum(values) / len(values)


@pytest.mark.parametrize("kind", ["minimax", "non_saturating"])
def test_bce_discriminator_is_negative_value_function(kind):
    # −V = −E[log σ(l_r)] − E[log(1 − σ(l_f))] = E[softplus(−l_r)] + E[softplus(l_f)]
    expected = mean([softplus(-r) for r in REAL.tolist()]) + mean([softplus(f) for f in FAKE.tolist()])
    assert discriminator_loss(kind, REAL, FAKE).item() == pytest.approx(expected, rel=1e-6)


def test_bce_at_zero_logits_is_two_log_two():
    zero = torch.zeros(4)
    assert discriminator_loss("minimax", zero, zero).item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert generator_loss("non_saturating", zero).item() == pytest.approx(math.log(2), rel=1e-6)
    assert generator_loss("minimax", zero).item() == pytest.approx(-math.log(2), rel=1e-6)


def test_one_sided_label_smoothing_changes_only_the_real_term():
    # real term: −[0.9 log σ(l) + 0.1 log(1 − σ(l))]; the fake term keeps target 0.
    real = mean([-(0.9 * math.log(sigmoid(r)) + 0.1 * math.log(1 - sigmoid(r))) for r in REAL.tolist()])
    fake = mean([softplus(f) for f in FAKE.tolist()])
    got = discriminator_loss("non_saturating", REAL, FAKE, real_label=0.9).item()
    assert got == pytest.approx(real + fake, rel=1e-6)


def test_generator_losses_closed_forms():
    assert generator_loss("minimax", FAKE).item() == pytest.approx(
        mean([-softplus(f) for f in FAKE.tolist()])
    )
    assert generator_loss("non_saturating", FAKE).item() == pytest.approx(
        mean([softplus(-f) for f in FAKE.tolist()])
    )
    assert generator_loss("hinge", FAKE).item() == pytest.approx(1.25)  # −mean(0.5, −3)
    assert generator_loss("least_squares", FAKE).item() == pytest.approx(0.5 * mean([0.25, 16.0]))


def test_hinge_and_least_squares_discriminator():
    # hinge: relu(1−2)=0, relu(1+1)=2 → 1; relu(1.5)=1.5, relu(−2)=0 → 0.75
    assert discriminator_loss("hinge", REAL, FAKE).item() == pytest.approx(1.75)
    # LS: ½ mean((2−1)², (−1−1)²) + ½ mean(0.25, 9) = 1.25 + 2.3125
    assert discriminator_loss("least_squares", REAL, FAKE).item() == pytest.approx(3.5625)


def test_non_saturating_keeps_gradient_where_minimax_saturates():
    confident_fake = torch.tensor([-8.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss("minimax", confident_fake), confident_fake)
    (g_ns,) = torch.autograd.grad(generator_loss("non_saturating", confident_fake), confident_fake)
    assert g_mm.item() == pytest.approx(-sigmoid(-8.0), rel=1e-5)  # ≈ −3e-4: vanishing
    assert g_ns.item() == pytest.approx(-sigmoid(8.0), rel=1e-5)  # ≈ −1: strong
    assert abs(g_ns.item()) > 1000 * abs(g_mm.item())


def test_r1_penalty_closed_form():
    # D(x) = ½‖x‖² per image → ∇_x D = x → R1 = mean over images of ‖x‖²
    x = torch.tensor([[[[1.0, 2.0]]], [[[3.0, 0.0]]]], requires_grad=True)
    logits = 0.5 * x.pow(2).flatten(1).sum(1)
    assert r1_penalty(logits, x).item() == pytest.approx((5.0 + 9.0) / 2)


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match="non_saturating"):
        discriminator_loss("wasserstein", REAL, FAKE)
    with pytest.raises(ValueError, match="hinge"):
        generator_loss("wasserstein", FAKE)
    assert set(GAN_LOSSES) == {"minimax", "non_saturating", "hinge", "least_squares"}
