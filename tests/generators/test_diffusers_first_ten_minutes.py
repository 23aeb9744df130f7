"""A diffusers user's first ten minutes, on shipped bundles: load, `.to`, sample with a Generator and with given
latents, save, load the saved folder, sample again — identical images."""

import pytest
import torch

import genvision
from genvision.errors import GenvisionError


def first_ten_minutes(name, tmp_path, **options):
    model = genvision.load(name).to("cpu", torch.float32)
    shape = model.latent_shape if hasattr(model, "latent_shape") else (model.z_dim,)
    by_generator = model.sample(3, generator=torch.Generator().manual_seed(7), **options).images
    noise = torch.randn((3, *shape), generator=torch.Generator().manual_seed(7))
    by_latents = model.sample(3, latents=noise, **options).images
    # the Generator's rule: all initial noise is one draw [N, *shape] from it, so given latents reproduce it
    assert torch.equal(by_generator, by_latents)
    folder = model.save(tmp_path / "saved")
    again = genvision.load(folder).to("cpu", torch.float32)
    assert type(again) is type(model)
    assert torch.equal(again.sample(3, latents=noise, **options).images, by_latents)
    assert torch.equal(
        again.sample(3, generator=torch.Generator().manual_seed(7), **options).images, by_generator
    )
    assert torch.equal(again.sample(3, seed=5, **options).images, model.sample(3, seed=5, **options).images)
    return model, by_latents


def test_latent_diffusion_round_trip(tmp_path):
    # one class per image; prompts and negative prompts: tests/generators/test_api_surface.py (loading the text
    # encoder costs ~10 s here)
    _, images = first_ten_minutes("fashion-ldm", tmp_path, label=["sandal", "bag", 4], guidance=3.0, steps=4)
    assert images.shape == (3, 1, 28, 28) and images.std() > 0.1
    assert (tmp_path / "saved" / "autoencoder" / "config.json").is_file()  # the nested autoencoder bundle


def test_gan_round_trip(tmp_path):
    _, images = first_ten_minutes("fashion-dcgan", tmp_path)
    assert images.shape == (3, 1, 28, 28)
    assert (tmp_path / "saved" / "discriminator" / "model.safetensors").is_file()  # kept, though never loaded


def test_save_refuses_a_folder_that_is_not_a_bundle(tmp_path):
    model = genvision.load("fashion-dcgan")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(GenvisionError, match="not a bundle") as err:
        model.save(tmp_path)
    assert "\n" not in str(err.value)
    assert (tmp_path / "notes.txt").read_text() == "mine"  # nothing lost
    with pytest.raises(GenvisionError, match="shipped"):
        model.save(model.bundle.path)
