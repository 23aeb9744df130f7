"""The adaptive adversarial weight of VQGAN (Esser et al., 2021), measured at the decoder's last layer G_L:

    λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + δ),   δ = 1e-4,   clamped to [0, max_weight] and detached

so the adversarial gradient reaching the decoder has the size of the reconstruction (L1/L2 + perceptual)
gradient. Before `disc_start` the autoencoder recipe adds no adversarial term and does not train the discriminator.
"""

from __future__ import annotations

import torch


def adaptive_generator_weight(
    rec_loss: torch.Tensor,
    adv_loss: torch.Tensor,
    last_layer: torch.Tensor,
    max_weight: float = 1e4,
    delta: float = 1e-4,
) -> torch.Tensor:
    """λ from the gradient norms of the two losses w.r.t. `last_layer` (graphs are kept for the backward pass)."""
    (rec_grad,) = torch.autograd.grad(rec_loss, last_layer, retain_graph=True)
    (adv_grad,) = torch.autograd.grad(adv_loss, last_layer, retain_graph=True)
    weight = rec_grad.float().norm() / (adv_grad.float().norm() + delta)
    return weight.clamp(0.0, max_weight).detach()
