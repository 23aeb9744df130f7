"""Vector-quantisation losses (van den Oord et al., 2017), with sg[·] the stop-gradient:

    L_codebook   = ‖sg[z_e] − e‖²      moves the chosen codes towards the encoder outputs
    L_commitment = ‖z_e − sg[e]‖²      keeps the encoder committed to its codes
    L_vq = L_codebook + β · L_commitment,  β = 0.25

With an EMA codebook the codes are moved by moving averages instead, so only β · L_commitment is used.
"""

from __future__ import annotations

import torch


def codebook_loss(z_e: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """‖sg[z_e] − e‖² (mean): gradients reach the codebook only."""
    return (z_e.detach().float() - codes.float()).pow(2).mean()


def commitment_loss(z_e: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """‖z_e − sg[e]‖² (mean): gradients reach the encoder only."""
    return (z_e.float() - codes.detach().float()).pow(2).mean()


def vq_loss(
    z_e: torch.Tensor, codes: torch.Tensor, beta: float = 0.25, ema_codebook: bool = False
) -> torch.Tensor:
    """L_codebook + β L_commitment; the codebook term is dropped when the codebook is updated by EMA."""
    commit = beta * commitment_loss(z_e, codes)
    return commit if ema_codebook else codebook_loss(z_e, codes) + commit
