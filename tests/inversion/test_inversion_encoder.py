"""In-domain encoder: its losses train E to reconstruct through a frozen G; D loss carries R1."""

import torch

from genvision.inversion.encoder import (
    EncoderLossWeights,
    encode,
    encoder_discriminator_loss,
    encoder_loss,
    reconstruct,
)
from genvision.models.stylegan import StyleGANDiscriminator


def test_encode_w_space_shares_one_code(tiny_encoder):
    x = torch.randn(3, 1, 28, 28)
    ws = encode(tiny_encoder, x, space="w")
    assert torch.allclose(ws, tiny_encoder(x).mean(dim=1, keepdim=True).expand_as(ws))
    assert torch.equal(encode(tiny_encoder, x, space="w+"), tiny_encoder(x))


def test_encoder_training_reduces_reconstruction_error(tiny_generator, tiny_encoder, generated_targets):
    g, e = tiny_generator.requires_grad_(False), tiny_encoder
    true_ws, images = generated_targets(g, 8)
    torch.manual_seed(0)
    d = StyleGANDiscriminator(resolution=28, channel_base=224, channel_max=16)
    opt_e = torch.optim.Adam(e.parameters(), lr=2e-3, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.0, 0.99))
    weights = EncoderLossWeights(perceptual=0.0, adversarial=0.01, latent=1.0)

    def recon_mse():
        with torch.no_grad():
            return (reconstruct(g, e(images)) - images).pow(2).mean().item()

    before = recon_mse()
    for _ in range(25):
        loss_d, logs_d = encoder_discriminator_loss(d, e, g, images, r1_gamma=1.0)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_e, logs_e = encoder_loss(e, g, images, weights, discriminator=d, sampled_ws=true_ws)
        opt_e.zero_grad()
        loss_e.backward()
        opt_e.step()
    assert {"enc_mse", "enc_adv", "enc_latent"} <= set(logs_e) and "enc_r1" in logs_d
    assert recon_mse() < 0.5 * before
    assert all(p.grad is None for p in g.parameters())  # the generator stays frozen
