import numpy as np
import pytest
import torch

from genvision.errors import BundleError, GenvisionError
from genvision.models.bundle import save_bundle
from genvision.models.unet import UNet
from genvision.pipelines.sample import SampleOptions, generate, register_sampler_kind, sample_bundle
from tests.pipelines.ddpm_fixtures import random_ddpm_bundle

FP32 = dict(precision="fp32")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return random_ddpm_bundle(tmp_path_factory.mktemp("ddpm") / "bundle")


@pytest.mark.parametrize("sampler,steps", [("ddim", 5), ("dpmpp", 4), ("ddpm", None)])
def test_shapes_range_and_uint8(bundle, sampler, steps):
    r = sample_bundle(bundle, 3, seed=1, device="cpu", options=SampleOptions(sampler=sampler, steps=steps, **FP32))
    assert r.images.shape == (3, 1, 16, 16) and r.images.min() >= -1 and r.images.max() <= 1
    assert r.uint8.shape == (3, 16, 16) and r.uint8.dtype == np.uint8
    assert r.info["sampler"] == sampler and r.info["steps"] == (steps or 100)
    assert r.images.std() > 0.01


def test_image_k_does_not_depend_on_n_or_batch_size(bundle):
    opts = dict(sampler="ddim", steps=4, eta=1.0, **FP32)
    a = sample_bundle(bundle, 5, seed=3, device="cpu", options=SampleOptions(batch_size=2, **opts)).images
    b = sample_bundle(bundle, 2, seed=3, device="cpu", options=SampleOptions(batch_size=64, **opts)).images
    torch.testing.assert_close(a[:2], b, rtol=0, atol=1e-6)
    c = sample_bundle(bundle, 2, seed=4, device="cpu", options=SampleOptions(**opts)).images
    assert not torch.allclose(b, c)


def test_trajectory_rows_and_frames(bundle):
    o = SampleOptions(sampler="ddim", steps=6, trajectory_frames=4, trajectory_rows=3, batch_size=2, **FP32)
    r = sample_bundle(bundle, 5, seed=0, device="cpu", options=o)
    assert r.trajectory.shape == (3, 4, 1, 16, 16)  # rows cross a batch boundary (batch_size 2)
    torch.testing.assert_close(r.trajectory[:, -1], r.images[:3])  # last frame is x_0
    from genvision.seeding import PerImageRNG
    torch.testing.assert_close(r.trajectory[:, 0], PerImageRNG(0, range(3)).randn(1, 16, 16).clamp(-1, 1))


def test_class_conditional_sampling_and_guidance(tmp_path):
    b = random_ddpm_bundle(tmp_path / "cond", num_classes=3)
    opts = dict(sampler="ddim", steps=4, **FP32)
    square = sample_bundle(b, 2, 0, "cpu", SampleOptions(conditions={"class": "square"}, **opts))
    bar = sample_bundle(b, 2, 0, "cpu", SampleOptions(conditions={"class": 2, "guidance": 2.0}, **opts))
    assert square.info["class"] == 1 and bar.info["guidance"] == 2.0
    assert not torch.allclose(square.images, bar.images)
    with pytest.raises(GenvisionError, match="unknown class 'circle'"):
        sample_bundle(b, 1, 0, "cpu", SampleOptions(conditions={"class": "circle"}, **opts))


def test_bf16_matches_fp32_closely(bundle):
    a = sample_bundle(bundle, 2, 0, "cpu", SampleOptions(steps=5, precision="fp32")).images
    b = sample_bundle(bundle, 2, 0, "cpu", SampleOptions(steps=5, precision="bf16")).images
    assert (a - b).abs().mean() < 0.05


def test_generate_for_eval(bundle):
    x = generate(bundle, 3, seed=0, device="cpu", sampler="ddim", steps=3, batch_size=2)
    assert x.shape == (3, 1, 16, 16)


def test_bad_input_is_one_line_error(bundle, tmp_path):
    def run(n=2, **kw):
        return sample_bundle(bundle, n, 0, "cpu", SampleOptions(**kw))

    for kw, msg in [(dict(sampler="euler"), "unknown sampler 'euler'"),
                    (dict(steps=0), r"steps must be an integer >= 1"),
                    (dict(steps=101), r"steps must be an integer in \[1, 100\]"),
                    (dict(spacing="uniform"), "unknown timestep spacing"),
                    (dict(sampler="dpmpp", eta=0.5), "'eta' applies to the ddim sampler"),
                    (dict(conditions={"prompt": "a bag"}), "takes no 'prompt' condition"),
                    (dict(conditions={"class": "bag"}), "needs a class-conditional model"),
                    (dict(batch_size=0), "batch-size must be positive")]:
        with pytest.raises(GenvisionError, match=msg) as info:
            run(**kw)
        assert "\n" not in str(info.value)
    for n in (0, -3):
        with pytest.raises(GenvisionError, match="positive integer"):
            run(n=n)
    other = save_bundle(tmp_path / "vae", "strange-kind", {"net": UNet(**{"model_channels": 16, "channel_mult": [1],
                                                                          "num_res_blocks": 1,
                                                                          "attention_resolutions": []})}, {})
    with pytest.raises(BundleError, match="'strange-kind' bundle, which cannot be sampled"):
        sample_bundle(other, 1, 0, "cpu")


def test_kinds_register_their_own_sample_function(bundle, tmp_path):
    from genvision.pipelines.sample import SampleResult, reject_diffusion_options

    def fake(b, n, seed, device, options):
        reject_diffusion_options(b, options)
        return SampleResult(torch.zeros(n, 1, 2, 2), info={"conditions": options.conditions})

    register_sampler_kind("test-kind", fake)
    folder = save_bundle(tmp_path / "tk", "test-kind", {}, {})
    r = sample_bundle(folder, 2, 0, "cpu", SampleOptions(conditions={"class": "x"}))
    assert r.images.shape == (2, 1, 2, 2) and r.info["conditions"] == {"class": "x"}
    with pytest.raises(GenvisionError, match="--sampler, --steps apply to diffusion models"):
        sample_bundle(folder, 2, 0, "cpu", SampleOptions(sampler="ddim", steps=3))
