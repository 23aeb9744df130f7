"""In-domain encoder (Zhu et al. 2020, In-Domain GAN Inversion §3.2): E: x → W+ trained through a frozen G.

The encoder is trained on real images so that its codes are ones G decodes back to the image ("in domain"):

    L_E = λ_pix ‖x − G(E(x))‖²/P + λ_perc d(x, G(E(x))) + λ_adv softplus(−D(G(E(x))))  [+ λ_lat ‖E(G(w)) − w‖²/D]
    L_D = softplus(D(G(E(x)))) + softplus(−D(x)) + (γ/2) ‖∇_x D(x)‖²                  (non-saturating + R1)

The optional latent term on sampled w (not in the paper) anchors E to G's own codes early in training.
With a class-conditional D (and G), `labels` are the real images' classes: D judges G(E(x)) as an image of x's class.
G runs with its fixed noise maps, so a stored W+ code alone reproduces its image. `encode` gives the codes;
domain-regularised optimisation that starts from them lives in `inversion.projection` (domain_weight > 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.losses.adversarial import discriminator_loss, generator_loss, r1_penalty

Perceptual = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class EncoderLossWeights:
    pixel: float = 1.0
    perceptual: float = 1.0
    adversarial: float = 0.05
    latent: float = 0.0
    r1_gamma: float = 1.0


def reconstruct(generator: nn.Module, ws: torch.Tensor) -> torch.Tensor:
    """G(ws) with the generator's fixed noise maps (the decoding used for every inversion code)."""
    return generator.synthesis(ws, noise_mode="const")


def encode(encoder: nn.Module, images: torch.Tensor, space: str = "w+") -> torch.Tensor:
    """W+ codes [N, num_ws, w_dim]; in W space every layer gets the layer-mean code."""
    ws = encoder(images)
    return ws.mean(dim=1, keepdim=True).expand_as(ws).contiguous() if space == "w" else ws


def encoder_loss(
    encoder: nn.Module,
    generator: nn.Module,
    images: torch.Tensor,
    weights: EncoderLossWeights,
    perceptual: Perceptual | None = None,
    discriminator: nn.Module | None = None,
    sampled_ws: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """L_E on a batch of real images (generator frozen by the caller); returns (loss, logs)."""
    recon = reconstruct(generator, encoder(images))
    pixel = (recon - images).pow(2).mean()
    loss = weights.pixel * pixel
    logs = {"enc_mse": float(pixel.detach())}
    if perceptual is not None and weights.perceptual > 0:
        perc = perceptual(recon, images).mean()
        loss = loss + weights.perceptual * perc
        logs["enc_perceptual"] = float(perc.detach())
    if discriminator is not None and weights.adversarial > 0:
        adv = generator_loss("non_saturating", discriminate(discriminator, recon, labels))
        loss = loss + weights.adversarial * adv
        logs["enc_adv"] = float(adv.detach())
    if sampled_ws is not None and weights.latent > 0:
        with torch.no_grad():
            fake = reconstruct(generator, sampled_ws)
        latent = (encoder(fake) - sampled_ws).pow(2).mean()
        loss = loss + weights.latent * latent
        logs["enc_latent"] = float(latent.detach())
    return loss, logs


def discriminate(discriminator: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """D(x), or D(x, y) when labels are given (a class-conditional discriminator)."""
    return discriminator(images) if labels is None else discriminator(images, labels)


def encoder_discriminator_loss(
    discriminator: nn.Module,
    encoder: nn.Module,
    generator: nn.Module,
    images: torch.Tensor,
    r1_gamma: float,
    labels: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """L_D: real images against their reconstructions G(E(x)), with an R1 penalty on the real ones."""
    with torch.no_grad():
        recon = reconstruct(generator, encoder(images))
    real = images.detach().requires_grad_(r1_gamma > 0)
    real_logits = discriminate(discriminator, real, labels)
    loss = discriminator_loss("non_saturating", real_logits, discriminate(discriminator, recon, labels))
    logs = {"enc_d_loss": float(loss.detach())}
    if r1_gamma > 0:
        r1 = r1_penalty(real_logits, real)
        loss = loss + 0.5 * r1_gamma * r1
        logs["enc_r1"] = float(r1.detach())
    return loss, logs
