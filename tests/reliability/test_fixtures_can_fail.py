"""Guards on test fixtures: a fixture that predicts exactly zero makes every test built on it unable to fail."""

import torch

from tests.generators.fixtures import tiny_pixel_ddpm


def test_tiny_pixel_ddpm_predicts_noise_that_depends_on_x_and_t():
    model = tiny_pixel_ddpm()
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([10, 10])
    with torch.no_grad():
        eps = model.unet(x, t)
        assert (
            eps.abs().mean() > 1e-2
        )  # not the all-zero output of a fresh UNet's zero-initialised last layer
        assert not torch.allclose(eps, model.unet(x, torch.tensor([90, 90])))  # depends on t
        assert not torch.allclose(eps, model.unet(x.flip(-1), t))  # depends on x_t
        assert torch.equal(eps, tiny_pixel_ddpm().unet(x, t))  # and is deterministic
