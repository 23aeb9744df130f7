"""Latent paths, the interpolator registry and the built-in encoder-based interpolator."""
import numpy as np
import pytest
import torch
from PIL import Image

from genvision.errors import GenvisionError
from genvision.models.bundle import load_bundle, save_bundle
from genvision.models.vae import VAE
from genvision.pipelines.interpolate import (Interpolation, InterpolationRequest, get_interpolator, interpolate,
                                             latent_path, register_interpolator)
from genvision.pipelines.reconstruct import load_autoencoding


def test_linear_and_slerp_paths_hit_the_endpoints():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    for method in ("linear", "slerp"):
        path = latent_path(a, b, 5, method)
        assert torch.allclose(path[0], a) and torch.allclose(path[-1], b, atol=1e-6)
    mid = latent_path(a, b, 3, "linear")[1]
    assert torch.allclose(mid, torch.tensor([0.5, 1.0]))
    unit = latent_path(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), 5, "slerp")
    assert torch.allclose(unit.norm(dim=1), torch.ones(5), atol=1e-6)  # stays on the circle
    with pytest.raises(GenvisionError, match="method"):
        latent_path(a, b, 3, "cubic")


def test_registry_dispatches_on_kind(tmp_path):
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16)
    folder = save_bundle(tmp_path / "x", "toykind", {"vae": vae}, {})
    with pytest.raises(GenvisionError, match="does not handle 'toykind'"):
        interpolate(load_bundle(folder), InterpolationRequest())
    register_interpolator("toykind", lambda bundle, req: Interpolation(torch.zeros(req.steps, 1, 4, 4), req.steps))
    assert interpolate(load_bundle(folder), InterpolationRequest(steps=3)).images.shape == (3, 1, 4, 4)
    assert get_interpolator("vae") is get_interpolator("autoencoder")


def test_vae_interpolation_between_a_file_and_a_data_reference(tmp_path):
    torch.manual_seed(0)
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16).eval()
    folder = save_bundle(tmp_path / "v", "vae", {"vae": vae}, {"data": {"shape": [1, 16, 16]}})
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[8:24, 8:24] = 255
    Image.fromarray(img).save(tmp_path / "a.png")  # RGB 32x32: converted to the model's 1x16x16
    req = InterpolationRequest(a=str(tmp_path / "a.png"), b="synthetic:test:3", steps=4)
    result = interpolate(load_bundle(folder), req)
    assert result.images.shape == (4, 1, 16, 16) and result.nrow == 4
    model = load_autoencoding(folder)
    from genvision.data import load_images_from_ref

    xb = load_images_from_ref("synthetic:test:3")[0]
    assert torch.allclose(result.images[-1], model.reconstruct(xb)[0], atol=1e-5)
    with pytest.raises(GenvisionError, match="--a and --b"):
        interpolate(load_bundle(folder), InterpolationRequest(a=None, b="synthetic:test:0"))
    with pytest.raises(GenvisionError, match="at least 2"):
        interpolate(load_bundle(folder), InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", steps=1))
