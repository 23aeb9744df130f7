"""Adversarial objectives on discriminator logits (pre-sigmoid scores).

Goodfellow et al.'s value function, min_G max_D V(D, G) with D = sigmoid(logit),
    V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))]
(the report prints the second term as "1 − log D(G(z))"; the paper's term is log(1 − D(G(z))), used here):
- "minimax":          D maximises V; G minimises E_z[log(1 − D(G(z)))] — the report's objective.
- "non_saturating":   D as above; G maximises E_z[log D(G(z))] instead (the default).
- "hinge":            D: E[relu(1 − D(x))] + E[relu(1 + D(G(z)))];  G: −E[D(G(z))].
- "least_squares":    D: ½E[(D(x) − 1)²] + ½E[D(G(z))²];  G: ½E[(D(G(z)) − 1)²].

Why non-saturating is the default: early in training D easily rejects G's samples, so its fake logits l are very
negative. The minimax generator loss log(1 − sigmoid(l)) = −softplus(l) has gradient −sigmoid(l) → 0 there: G
receives almost no signal exactly when it is worst. −log sigmoid(l) = softplus(−l) has gradient −sigmoid(−l) → −1
in the same regime, while both losses share the same fixed point (p_g = p_data) and D's objective is unchanged.

Optional regularisers: one-sided label smoothing (`real_label` < 1 on real images only, Salimans et al. 2016) and
the R1 gradient penalty on real images (Mescheder et al. 2018).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

GanLoss = Literal["minimax", "non_saturating", "hinge", "least_squares"]
GAN_LOSSES = ("minimax", "non_saturating", "hinge", "least_squares")
DEFAULT_GAN_LOSS: GanLoss = "non_saturating"


def discriminator_loss(
    kind: GanLoss, real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0
) -> torch.Tensor:
    """The discriminator's loss (to minimise), −V(D, G) for the BCE kinds.

    `real_label` < 1 is one-sided label smoothing: real targets become `real_label`, fake targets stay 0 (for
    least squares the real target becomes `real_label`; hinge has no targets and ignores it).
    """
    real_logits, fake_logits = real_logits.float(), fake_logits.float()
    if kind in ("minimax", "non_saturating"):
        real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return real + fake
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    if kind == "least_squares":
        return 0.5 * ((real_logits - real_label) ** 2).mean() + 0.5 * (fake_logits**2).mean()
    raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def generator_loss(kind: GanLoss, fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's loss (to minimise) on the discriminator's logits for generated images."""
    fake_logits = fake_logits.float()
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()  # log(1 − sigmoid(l)) = −softplus(l)
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()  # −log sigmoid(l)
    if kind == "hinge":
        return -fake_logits.mean()
    if kind == "least_squares":
        return 0.5 * ((fake_logits - 1.0) ** 2).mean()
    raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1 = E[‖∇_x D(x)‖²] on real images (Mescheder et al.); `real_images` must require grad.

    The training loss adds (γ/2)·R1 to D's loss; the graph is kept so the penalty itself can be backpropagated.
    """
    (grad,) = torch.autograd.grad(real_logits.float().sum(), real_images, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()
