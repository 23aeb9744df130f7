"""Autoencoder: encode / decode / reconstruct / interpolate on small real models saved as bundles."""

import pytest
import torch

import genvision
from genvision.errors import BundleError, GenvisionError
from genvision.generators.paths import latent_path
from genvision.metrics.image_quality import reconstruction_metrics
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import save_bundle
from genvision.models.vae import VAE


@pytest.fixture
def vq_bundle(tmp_path):
    torch.manual_seed(0)
    ae = AutoencoderNet(image_size=16, channels=[8, 16, 16], latent_channels=3, num_codes=16).eval()
    return save_bundle(
        tmp_path / "ae",
        "autoencoder",
        {"autoencoder": ae},
        {"data": {"shape": [1, 16, 16], "class_names": None}, "latent_scale": 2.0, "latent_shape": [3, 4, 4]},
    )


def test_load_and_reconstruct_match_the_network(vq_bundle):
    model = genvision.load(vq_bundle, device="cpu")
    assert model.kind == "autoencoder" and model.latent_scale == 2.0 and model.latent_shape == (3, 4, 4)
    x = torch.rand(5, 1, 16, 16) * 2 - 1
    expected = model.net.decode(model.net.encode(x)).clamp(-1, 1)
    assert torch.allclose(model.reconstruct(x, batch_size=2).images, expected, atol=1e-5)
    assert torch.allclose(model.decode(model.encode(x)), expected, atol=1e-5)
    with pytest.raises(GenvisionError, match="shape"):
        model.reconstruct(torch.zeros(1, 1, 28, 28))
    with pytest.raises(GenvisionError, match="latents must be"):
        model.decode(torch.zeros(1, 2, 4, 4))
    save_bundle(vq_bundle.parent / "other", "classifier", {"autoencoder": model.net}, {})
    with pytest.raises(BundleError, match="needs one of"):
        genvision.load(vq_bundle.parent / "other", kinds=("autoencoder",))


def test_reconstruction_metrics_closed_form():
    x = torch.zeros(2, 1, 16, 16)
    y = x + 0.2  # [0, 1] scale difference 0.1 everywhere: PSNR = 10 log10(1 / 0.01) = 20 dB
    m = reconstruction_metrics(x, y)
    assert abs(m["psnr"] - 20.0) < 1e-6 and m["ssim"] < 1.0
    assert reconstruction_metrics(x, x)["ssim"] == pytest.approx(1.0)
    assert "ssim" not in reconstruction_metrics(x[..., :8, :8], y[..., :8, :8])  # window does not fit


def test_codebook_metrics_count_codes_over_the_whole_set(vq_bundle):
    model = genvision.load(vq_bundle, device="cpu")
    m = model.codebook_metrics(torch.rand(6, 1, 16, 16) * 2 - 1)
    assert m["codebook_size"] == 16 and 0 < m["codebook_usage"] <= 1
    assert 1 <= m["codebook_perplexity"] <= 16 * m["codebook_usage"] + 1e-4  # exp(H) ≤ number of codes used


def test_latent_scale_gives_unit_std(vq_bundle):
    model = genvision.load(vq_bundle, device="cpu")
    x = torch.rand(20, 1, 16, 16) * 2 - 1
    scale = model.latent_scale_of(x)
    assert (model.encode(x) * scale).double().std().item() == pytest.approx(1.0, rel=1e-4)


def test_linear_and_slerp_paths_hit_the_endpoints():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    for method in ("linear", "slerp"):
        path = latent_path(a, b, 5, method)
        assert torch.allclose(path[0], a) and torch.allclose(path[-1], b, atol=1e-6)
    assert torch.allclose(latent_path(a, b, 3, "linear")[1], torch.tensor([0.5, 1.0]))
    unit = latent_path(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), 5, "slerp")
    assert torch.allclose(unit.norm(dim=1), torch.ones(5), atol=1e-6)  # stays on the circle
    with pytest.raises(GenvisionError, match="method"):
        latent_path(a, b, 3, "cubic")


def test_interpolate_ends_at_the_reconstructions(vq_bundle):
    model = genvision.load(vq_bundle, device="cpu")
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    strip = model.interpolate(x[0], x[1], steps=4).images
    assert strip.shape == (4, 1, 16, 16)
    assert torch.allclose(strip[-1], model.reconstruct(x[1:]).images[0], atol=1e-5)


def test_conditional_vae_requires_labels(tmp_path):
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16, num_classes=3).eval()
    folder = save_bundle(tmp_path / "v", "vae", {"vae": vae}, {"data": {"shape": [1, 16, 16]}})
    model = genvision.load(folder, device="cpu")
    assert model.conditional
    with pytest.raises(GenvisionError, match="class labels"):
        model.encode(torch.zeros(1, 1, 16, 16))
    assert model.encode(torch.zeros(1, 1, 16, 16), torch.tensor([2])).shape == (1, 2)


def test_vae_samples_its_prior_batch_independently(tmp_path):
    torch.manual_seed(0)
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16).eval()
    model = genvision.load(save_bundle(tmp_path / "v", "vae", {"vae": vae}, {"data": {"shape": [1, 16, 16]}}))
    five = model.sample(5, seed=2).images
    assert five.shape == (5, 1, 16, 16) and not torch.allclose(five[0], five[1])
    assert torch.allclose(model.sample(2, seed=2, start=3).images, five[3:], atol=1e-6)
    with pytest.raises(GenvisionError, match="not class-conditional"):
        model.sample(1, label=1)


def test_autoencoders_without_a_prior_say_so(vq_bundle):
    with pytest.raises(GenvisionError, match="without a prior"):
        genvision.load(vq_bundle).sample(2)
