"""Gaussian VAE: native 28x28 and power-of-two sizes, conditional variant, training lowers −ELBO, bundle round-trip."""

import pytest
import torch

from genvision.losses.kl import elbo_terms
from genvision.models.bundle import load_bundle, save_bundle
from genvision.models.vae import VAE


@pytest.mark.parametrize("size,channels", [(28, [8, 16]), (32, [8, 16]), (64, [8, 8, 16])])
def test_shapes_for_28_and_powers_of_two(size, channels):
    vae = VAE(in_channels=3, image_size=size, latent_dim=5, channels=channels, hidden=32)
    x = torch.rand(2, 3, size, size) * 2 - 1
    out = vae(x, gen=torch.Generator().manual_seed(0))
    assert out.z.shape == (2, 5) and out.decoder_out.shape == x.shape
    assert vae.decode(out.z).abs().max() <= 1.0


def test_bad_size_is_refused():
    with pytest.raises(ValueError, match="divisible"):
        VAE(image_size=30, channels=[8, 16])


def test_conditional_vae_uses_the_class():
    vae = VAE(latent_dim=4, channels=[8, 16], hidden=32, num_classes=10).eval()
    z = torch.zeros(2, 4)
    a, b = vae.decode(z, torch.tensor([0, 0])), vae.decode(z, torch.tensor([0, 7]))
    assert torch.equal(a[0], b[0]) and not torch.allclose(a[1], b[1])
    with pytest.raises(ValueError, match="labels"):
        vae.decode(z)


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_short_training_run_lowers_the_negative_elbo(likelihood):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = -torch.ones(8, 1, 28, 28)
    for i in range(8):  # bars at different positions: structure an autoencoder can learn in a few steps
        x[i, :, 3 * i : 3 * i + 5, :] = 1.0
    vae = VAE(latent_dim=4, channels=[8, 16], hidden=32, likelihood=likelihood)
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)

    def loss():
        out = vae(x, gen=gen)
        return elbo_terms(x, out.decoder_out, out.posterior, likelihood, sigma=0.5).loss()

    first = loss().item()
    for _ in range(25):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    assert loss().item() < 0.7 * first


def test_bundle_round_trip(tmp_path):
    vae = VAE(latent_dim=3, channels=[8, 16], hidden=32, num_classes=10).eval()
    save_bundle(tmp_path / "b", "vae", {"vae": vae}, {"data": {"shape": [1, 28, 28]}}, dtype=torch.float16)
    bundle = load_bundle(tmp_path / "b", kinds=("vae",))
    loaded = bundle.component("vae")
    z, y = torch.randn(2, 3), torch.tensor([1, 2])
    assert loaded.init_args == vae.init_args
    assert torch.allclose(loaded.decode(z, y), vae.decode(z, y), atol=2e-2)
