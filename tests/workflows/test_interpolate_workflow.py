"""`genvision interpolate`'s flow: dispatch by model class, endpoints from files or data references."""

import numpy as np
import pytest
import torch
from PIL import Image

import genvision
from genvision.data import load_images_from_ref
from genvision.errors import GenvisionError
from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet
from genvision.models.dcgan import DCGANGenerator
from genvision.models.vae import VAE
from genvision.workflows.interpolate import InterpolationRequest, interpolate


def test_vae_interpolation_between_a_file_and_a_data_reference(tmp_path):
    torch.manual_seed(0)
    vae = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16).eval()
    model = genvision.load(save_bundle(tmp_path / "v", "vae", {"vae": vae}, {"data": {"shape": [1, 16, 16]}}))
    img = np.zeros((32, 32, 3), dtype=np.uint8)
    img[8:24, 8:24] = 255
    Image.fromarray(img).save(tmp_path / "a.png")  # RGB 32x32: converted to the model's 1x16x16
    result = interpolate(
        model, InterpolationRequest(a=str(tmp_path / "a.png"), b="synthetic:test:3", steps=4)
    )
    assert result.images.shape == (4, 1, 16, 16) and result.nrow == 4
    xb = load_images_from_ref("synthetic:test:3")[0]
    assert torch.allclose(result.images[-1], model.reconstruct(xb).images[0], atol=1e-5)
    with pytest.raises(GenvisionError, match="--a and --b"):
        interpolate(model, InterpolationRequest(a=None, b="synthetic:test:0"))
    with pytest.raises(GenvisionError, match="at least 2"):
        interpolate(model, InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", steps=1))
    with pytest.raises(GenvisionError, match="does not exist"):
        interpolate(model, InterpolationRequest(a=str(tmp_path / "missing.png"), b="synthetic:test:1"))
    with pytest.raises(GenvisionError, match="--option applies to StyleGAN"):
        interpolate(
            model, InterpolationRequest(a="synthetic:test:0", b="synthetic:test:1", options={"steps": 3})
        )


def test_gan_grids_and_unsupported_kinds(tmp_path):
    torch.manual_seed(0)
    g = DCGANGenerator(z_dim=8, image_size=16, channels=1, base_channels=4)
    gan = genvision.load(
        save_bundle(tmp_path / "g", "dcgan", {"generator": g}, {"z_dim": 8, "data": {"shape": [1, 16, 16]}})
    )
    grid = interpolate(gan, InterpolationRequest(corners=4, steps=3, seed=5))
    assert grid.nrow == 3 and torch.allclose(grid.images, gan.interpolate(corners=4, steps=3, seed=5).images)
    with pytest.raises(GenvisionError, match="noise samples"):
        interpolate(gan, InterpolationRequest(a="fashion-mnist:test:0", b="x"))
    clf = genvision.load(
        save_bundle(
            tmp_path / "c",
            "classifier",
            {"classifier": ClassifierNet(channels=(4, 8), groups=2)},
            {"data": {"shape": [1, 28, 28]}},
        )
    )
    with pytest.raises(GenvisionError, match="does not handle 'classifier'"):
        interpolate(clf, InterpolationRequest())
