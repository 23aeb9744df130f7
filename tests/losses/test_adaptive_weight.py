"""λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-4), clamped, checked against hand-computed gradients."""
import torch

from genvision.losses.adaptive_weight import adaptive_generator_weight, disc_factor


def test_adaptive_weight_is_the_ratio_of_gradient_norms():
    w = torch.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = torch.tensor([2.0, 1.0])
    out = w @ x
    rec = (out ** 2).sum()  # ∇_w = 2 out xᵀ
    adv = -out.sum() * 3.0  # ∇_w = −3 · 1 xᵀ
    expected_rec = (2 * out.detach()[:, None] * x[None]).norm()
    expected_adv = (torch.full((2, 1), -3.0) * x[None]).norm()
    lam = adaptive_generator_weight(rec, adv, w)
    assert torch.isclose(lam, expected_rec / (expected_adv + 1e-4))
    assert not lam.requires_grad
    (rec + lam * adv).backward()  # graphs were retained for the real backward pass
    assert w.grad is not None


def test_adaptive_weight_is_clamped_and_zero_before_disc_start():
    w = torch.ones(3, requires_grad=True)
    lam = adaptive_generator_weight((w * 1e6).sum(), (w * 0.0).sum(), w, max_weight=1e4)
    assert lam.item() == 1e4
    assert disc_factor(99, disc_start=100) == 0.0 and disc_factor(100, disc_start=100) == 1.0
