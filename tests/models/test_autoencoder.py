"""LDM autoencoder, VQ and KL: downsampling factors, encode/decode contract, bundle round-trip."""

import pytest
import torch

from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import load_bundle, save_bundle

TINY = dict(channels=[8, 16, 16], num_res_blocks=1, latent_channels=3, num_codes=32)


@pytest.mark.parametrize("variant", ["vq", "kl"])
def test_f4_maps_28_to_7(variant):
    model = AutoencoderNet(variant=variant, **TINY).eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    z = model.encode(x)
    assert z.shape == (2, 3, 7, 7) and model.latent_shape == [3, 7, 7]
    assert model.decode(z).shape == x.shape
    out = model(x, gen=torch.Generator().manual_seed(0))
    assert out.recon.shape == x.shape


def test_f8_on_rgb_and_wrong_levels_are_refused():
    model = AutoencoderNet(
        in_channels=3,
        image_size=32,
        downsample=8,
        channels=[8, 8, 16, 16],
        latent_channels=4,
        mid_attention=False,
    )
    assert model.encode(torch.zeros(1, 3, 32, 32)).shape == (1, 4, 4, 4)
    with pytest.raises(ValueError, match="channel levels"):
        AutoencoderNet(downsample=8, channels=[8, 16, 16])
    with pytest.raises(ValueError, match="divisible"):
        AutoencoderNet(image_size=28, downsample=8, channels=[8, 8, 8, 8])


def test_vq_encode_is_pre_quantisation_and_decode_quantises():
    model = AutoencoderNet(variant="vq", **TINY).eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    h = model.encode(x)
    out = model(x)
    assert torch.allclose(out.latent, h)
    assert torch.allclose(model.decode(h, quantize=True), out.recon, atol=1e-5)
    assert not torch.allclose(model.decode(h, quantize=False), out.recon, atol=1e-3)


def test_kl_encode_returns_mean_or_sample():
    model = AutoencoderNet(variant="kl", **TINY).eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    post = model.posterior(x)
    assert torch.equal(model.encode(x), post.mean)
    a = model.encode(x, sample=True, gen=torch.Generator().manual_seed(1))
    b = model.encode(x, sample=True, gen=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, post.mean)


def test_last_layer_is_the_decoder_output_conv():
    model = AutoencoderNet(**TINY)
    x = torch.rand(1, 1, 28, 28)
    model(x).recon.sum().backward()
    assert model.last_layer is model.decoder.conv_out.weight and model.last_layer.grad is not None


@pytest.mark.parametrize("variant", ["vq", "kl"])
def test_bundle_round_trip(tmp_path, variant):
    model = AutoencoderNet(variant=variant, **TINY).eval()
    save_bundle(
        tmp_path / variant,
        "autoencoder",
        {"autoencoder": model},
        {"latent_scale": 0.5, "latent_shape": model.latent_shape},
    )
    bundle = load_bundle(tmp_path / variant, kinds=("autoencoder",))
    loaded = bundle.component("autoencoder")
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert bundle.config["latent_scale"] == 0.5
    assert torch.allclose(loaded.decode(loaded.encode(x)), model.decode(model.encode(x)), atol=1e-5)
