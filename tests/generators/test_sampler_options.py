"""A sampler's own options through the public API: `**sampler_options` on sample and inpaint, the bundle's
`sampling.eta` as the default, one-line errors for options a sampler does not take."""

import pytest
import torch

from genvision.conditioning.unet_inputs import Condition
from genvision.errors import GenvisionError
from tests.generators.fixtures import tiny_pixel_ddpm


@pytest.fixture(scope="module")
def model():
    return tiny_pixel_ddpm()


def test_ddpm_variance_is_reachable_and_recorded(model):
    run = dict(seed=0, sampler="ddpm", steps=3, decode=False)  # undecoded: no clamp to [-1, 1]
    small = model.generate([Condition()] * 2, **run)
    large = model.generate([Condition()] * 2, variance="large", **run)
    assert small.info["variance"] == "small" and large.info["variance"] == "large"
    assert not torch.allclose(small.images, large.images)  # same noise, larger steps of it


def test_the_bundle_eta_is_the_default_and_an_explicit_eta_wins(model):
    model.spec.sampling.eta = 1.0
    try:
        assert model.settings().options == {"eta": 1.0}  # the bundle's default sampler is ddim
        assert model.settings(sampler="ddpm").options == {"variance": "small"}  # eta is not ddpm's
        run = dict(seed=0, steps=3, decode=False)
        from_bundle = model.generate([Condition()] * 2, **run)
        explicit = model.generate([Condition()] * 2, eta=1.0, **run)
        deterministic = model.generate([Condition()] * 2, eta=0.0, **run)
    finally:
        model.spec.sampling.eta = 0.0
    torch.testing.assert_close(from_bundle.images, explicit.images, rtol=0, atol=0)
    assert from_bundle.info["eta"] == 1.0 and deterministic.info["eta"] == 0.0
    assert not torch.allclose(from_bundle.images, deterministic.images)


def test_inpainting_takes_the_sampler_options(model):
    images = torch.zeros(1, 1, 8, 8)
    fill = torch.zeros(8, 8)
    fill[:, :4] = 1
    out = model.inpaint(images, fill, seed=0, sampler="ddpm", steps=3, variance="large")
    assert out.info["variance"] == "large"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(sampler="ddpm", eta=0.5), "eta applies to the ddim sampler, not 'ddpm'"),
        (dict(sampler="ddim", variance="large"), "variance applies to the ddpm sampler, not 'ddim'"),
        (dict(sampler="ddim", etta=0.5), r"unknown option 'etta' for the ddim sampler \(its options: eta\)"),
        (dict(sampler="ddpm", variance="fixed"), r"variance='fixed' \(ddpm\): choose one of small, large"),
        (dict(sampler="ddim", eta="lots"), r"eta='lots' \(ddim\): give a number in \[0.0, 1.0\]"),
        (dict(sampler="euler", spacing="linspace"), "the euler sampler picks its own timesteps"),
    ],
)
def test_bad_options_are_one_line_errors(model, kwargs, message):
    with pytest.raises(GenvisionError, match=message) as info:
        model.sample(1, steps=2, **kwargs)
    assert "\n" not in str(info.value)


def test_a_run_on_its_own_timesteps_reports_no_spacing(model):
    info = model.sample(1, seed=0, sampler="euler", steps=3, order=2).info
    assert "spacing" not in info and (info["order"], info["rho"]) == (2, 7.0)
