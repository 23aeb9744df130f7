"""VQ losses put their gradients on the right side of the stop-gradient."""

import torch

from genvision.losses.vq import codebook_loss, commitment_loss, vq_loss


def _pair():
    z_e = torch.tensor([[1.0, 2.0], [0.0, -1.0]], requires_grad=True)
    codes = torch.tensor([[0.0, 2.0], [1.0, -1.0]], requires_grad=True)
    return z_e, codes


def test_codebook_loss_moves_only_the_codes():
    z_e, codes = _pair()
    codebook_loss(z_e, codes).backward()
    assert z_e.grad is None
    assert torch.allclose(codes.grad, 2 * (codes - z_e).detach() / 4)


def test_commitment_loss_moves_only_the_encoder():
    z_e, codes = _pair()
    commitment_loss(z_e, codes).backward()
    assert codes.grad is None
    assert torch.allclose(z_e.grad, 2 * (z_e - codes).detach() / 4)


def test_vq_loss_weights_commitment_by_beta_and_drops_codebook_term_with_ema():
    z_e, codes = _pair()
    mse = ((z_e - codes) ** 2).mean()  # = 0.5
    assert torch.isclose(vq_loss(z_e, codes, beta=0.25), 1.25 * mse)
    assert torch.isclose(vq_loss(z_e, codes, beta=0.25, ema_codebook=True), 0.25 * mse)
