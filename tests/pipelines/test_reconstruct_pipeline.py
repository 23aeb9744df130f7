"""Reconstruction pipeline, latent scale and the latent cache, on small real models saved as bundles."""
import pytest
import torch

from genvision.errors import BundleError, GenvisionError
from genvision.models.bundle import save_bundle
from genvision.models.autoencoder import Autoencoder
from genvision.models.vae import VAE
from genvision.pipelines.latents import cache_latents, compute_latent_scale, load_latent_cache
from genvision.pipelines.reconstruct import (codebook_metrics, load_autoencoding, reconstruct,
                                             reconstruction_metrics)


@pytest.fixture
def vq_bundle(tmp_path):
    torch.manual_seed(0)
    ae = Autoencoder(image_size=16, channels=[8, 16, 16], latent_channels=3, num_codes=16).eval()
    return save_bundle(tmp_path / "ae", "autoencoder", {"autoencoder": ae},
                       {"data": {"shape": [1, 16, 16], "class_names": None}, "latent_scale": 2.0,
                        "latent_shape": [3, 4, 4]})


def test_load_and_reconstruct_match_the_network(vq_bundle):
    model = load_autoencoding(vq_bundle)
    assert model.kind == "autoencoder" and model.latent_scale == 2.0 and model.latent_shape == (3, 4, 4)
    x = torch.rand(5, 1, 16, 16) * 2 - 1
    expected = model.net.decode(model.net.encode(x)).clamp(-1, 1)
    assert torch.allclose(reconstruct(model, x, batch_size=2), expected, atol=1e-5)
    with pytest.raises(GenvisionError, match="shape"):
        reconstruct(model, torch.zeros(1, 1, 28, 28))
    save_bundle(vq_bundle.parent / "other", "classifier", {"autoencoder": model.net}, {})
    with pytest.raises(BundleError, match="needs one of"):
        load_autoencoding(vq_bundle.parent / "other")


def test_reconstruction_metrics_closed_form():
    x = torch.zeros(2, 1, 16, 16)
    y = x + 0.2  # [0, 1] scale difference 0.1 everywhere: PSNR = 10 log10(1 / 0.01) = 20 dB
    m = reconstruction_metrics(x, y)
    assert abs(m["psnr"] - 20.0) < 1e-6 and m["ssim"] < 1.0
    assert reconstruction_metrics(x, x)["ssim"] == pytest.approx(1.0)
    assert "ssim" not in reconstruction_metrics(x[..., :8, :8], y[..., :8, :8])  # window does not fit


def test_codebook_metrics_count_codes_over_the_whole_set(vq_bundle):
    model = load_autoencoding(vq_bundle)
    m = codebook_metrics(model, torch.rand(6, 1, 16, 16) * 2 - 1)
    assert m["codebook_size"] == 16 and 0 < m["codebook_usage"] <= 1
    assert 1 <= m["codebook_perplexity"] <= 16 * m["codebook_usage"] + 1e-4  # exp(H) ≤ number of codes used


def test_latent_scale_gives_unit_std_and_cache_round_trips(tmp_path, vq_bundle):
    model = load_autoencoding(vq_bundle)
    from genvision.data import load_images_from_ref

    images, labels, _ = load_images_from_ref("synthetic:test")
    model.latent_scale = compute_latent_scale(model, images)
    folder = cache_latents(model, "synthetic:test", tmp_path / "cache", batch_size=50, dtype="float32")
    latents, cached_labels, meta = load_latent_cache(folder)
    assert latents.shape == (len(images), 3, 4, 4) and torch.equal(cached_labels, labels)
    assert latents.double().std().item() == pytest.approx(1.0, rel=1e-4)
    raw, _, _ = load_latent_cache(folder, scaled=False)
    assert torch.allclose(raw, model.encode(images), atol=1e-5)
    assert meta["count"] == len(images) and meta["latent_scale"] == model.latent_scale
    with pytest.raises(GenvisionError, match="shape"):
        cache_latents(model, "digits:test", tmp_path / "bad")


def test_conditional_vae_requires_labels(tmp_path):
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16, num_classes=3).eval()
    folder = save_bundle(tmp_path / "v", "vae", {"vae": vae}, {"data": {"shape": [1, 16, 16]}})
    model = load_autoencoding(folder)
    assert model.conditional
    with pytest.raises(GenvisionError, match="class labels"):
        model.encode(torch.zeros(1, 1, 16, 16))
    assert model.encode(torch.zeros(1, 1, 16, 16), torch.tensor([2])).shape == (1, 2)
