"""DiffusionModel: one class for pixel and latent models — sampling, guidance, conditions, trajectories, inpainting."""

import itertools

import numpy as np
import pytest
import torch

import genvision
from genvision.conditioning.unet_inputs import unet_inputs
from genvision.data.masks import half_fill, latent_fill
from genvision.diffusion.inpaint import Resampling
from genvision.errors import GenvisionError
from genvision.generators.diffusion import Condition, prepare_fill
from genvision.seeding import PerImageRNG
from tests.generators.fixtures import tiny_ldm, tiny_pixel_ddpm
from tests.workflows.ddpm_fixtures import random_ddpm_bundle


def images(n=3, size=16, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return random_ddpm_bundle(tmp_path_factory.mktemp("ddpm") / "bundle")


@pytest.fixture(scope="module")
def ddpm(bundle):
    return genvision.load(bundle, device="cpu", precision="fp32")


# ---- sampling a pixel bundle through genvision.load ---------------------------------------------------------
@pytest.mark.parametrize("sampler,steps", [("ddim", 5), ("dpmpp", 4), ("ddpm", None)])
def test_shapes_range_and_uint8(ddpm, sampler, steps):
    r = ddpm.sample(3, seed=1, sampler=sampler, steps=steps)
    assert r.images.shape == (3, 1, 16, 16) and r.images.min() >= -1 and r.images.max() <= 1
    assert r.uint8.shape == (3, 16, 16) and r.uint8.dtype == np.uint8
    assert r.info["sampler"] == sampler and r.info["steps"] == (steps or 100)
    assert r.images.std() > 0.01


def test_defaults_come_from_the_bundle_sampling_block(bundle, tmp_path):
    model = genvision.load(bundle, device="cpu", precision="fp32")
    assert model.settings().sampler == "ddim" and model.settings().steps == 50  # schema defaults
    model.spec.sampling.sampler, model.spec.sampling.steps = "dpmpp", 7
    run = model.settings()
    assert (run.sampler, run.steps) == ("dpmpp", 7)
    assert model.settings(sampler="ddim").steps == 50  # another sampler: its own default
    assert model.sample(1, seed=0).info["steps"] == 7


def test_image_k_does_not_depend_on_n_or_batch_size(ddpm):
    opts = dict(sampler="ddim", steps=4, eta=1.0)
    a = ddpm.sample(5, seed=3, batch_size=2, **opts).images
    b = ddpm.sample(2, seed=3, batch_size=64, **opts).images
    torch.testing.assert_close(a[:2], b, rtol=0, atol=1e-6)
    c = ddpm.sample(2, seed=4, **opts).images
    assert not torch.allclose(b, c)
    tail = ddpm.sample(2, seed=3, start=3, **opts).images
    torch.testing.assert_close(a[3:], tail, rtol=0, atol=1e-6)


def test_trajectory_rows_and_frames(ddpm):
    r = ddpm.sample(5, seed=0, sampler="ddim", steps=6, trajectory=4, trajectory_rows=3, batch_size=2)
    assert r.trajectory.shape == (3, 4, 1, 16, 16)  # rows cross a batch boundary (batch_size 2)
    torch.testing.assert_close(r.trajectory[:, -1], r.images[:3])  # last frame is x_0
    torch.testing.assert_close(r.trajectory[:, 0], PerImageRNG(0, range(3)).randn(1, 16, 16).clamp(-1, 1))


def test_progress_reports_every_step(ddpm):
    seen = []
    ddpm.sample(3, seed=0, steps=4, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (12, 12) and len(seen) == 8 and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))


def test_class_conditional_sampling_and_guidance(tmp_path):
    model = genvision.load(
        random_ddpm_bundle(tmp_path / "cond", num_classes=3), device="cpu", precision="fp32"
    )
    square = model.sample(2, seed=0, label="square", steps=4)
    bar = model.sample(2, seed=0, label=2, guidance=2.0, steps=4)
    assert square.info["guidance"] == 3.0 and bar.info["guidance"] == 2.0
    assert not torch.allclose(square.images, bar.images)
    with pytest.raises(GenvisionError, match="unknown class 'circle'"):
        model.sample(1, label="circle")


def test_bf16_matches_fp32_closely(bundle):
    a = genvision.load(bundle, device="cpu", precision="fp32").sample(2, steps=5).images
    b = genvision.load(bundle, device="cpu", precision="bf16").sample(2, steps=5).images
    assert (a - b).abs().mean() < 0.05


def test_bad_input_is_one_line_error(ddpm):
    for kw, msg in [
        (dict(sampler="plms"), "unknown sampler 'plms'"),
        (dict(steps=0), r"steps must be an integer >= 1"),
        (dict(steps=101), r"steps must be an integer in \[1, 100\]"),
        (dict(steps=2.5), r"steps must be an integer >= 1"),
        (dict(spacing="uniform"), "unknown timestep spacing"),
        (dict(sampler="dpmpp", eta=0.5), "eta applies to the ddim sampler"),
        (dict(prompt="a bag"), "not text-conditional"),
        (dict(label="bag"), "not class-conditional"),
        (dict(batch_size=0), "batch size must be positive"),
    ]:
        with pytest.raises(GenvisionError, match=msg) as info:
            ddpm.sample(2, **kw)
        assert "\n" not in str(info.value)
    for n in (0, -3, True):
        with pytest.raises(GenvisionError, match="positive integer"):
            ddpm.sample(n)


# ---- conditions and guidance (latent model) ---------------------------------------------------------------
@pytest.mark.parametrize("classes,text,mask", list(itertools.product([False, True], repeat=3)))
def test_shapes_for_every_combination_of_conditions(classes, text, mask):
    model = tiny_ldm(classes, text, mask_parts=5 if mask else 0)
    label_map = torch.randint(0, 5, (16, 16))
    full = model.condition(
        label=1 if classes else None,
        prompt="here is a coat" if text else None,
        label_map=label_map if mask else None,
    )
    conditions = [full, Condition()]  # a conditioned and an unconditional (null) request
    out = model.generate(conditions, guidance=3.0, steps=2, seed=0)
    assert out.images.shape == (2, 1, 16, 16)
    assert out.images.min() >= -1 and out.images.max() <= 1 and torch.isfinite(out.images).all()
    latents = model.generate(conditions, guidance=3.0, steps=2, seed=0, decode=False).images
    assert latents.shape == (2, 2, 4, 4)


def test_guidance_arithmetic_matches_separate_passes():
    model = tiny_ldm()
    conds = [model.condition(label="coat", prompt="a bag"), model.condition(label=0)]
    x, t = torch.randn(2, 2, 4, 4), torch.tensor([10, 70])
    cond_out = model.model_fn(conds, 1.0)(x, t)
    null_out = model.model_fn([Condition(), Condition()], 1.0)(x, t)
    for scale in (0.0, 3.0, 7.5):
        guided = model.model_fn(conds, scale)(x, t)
        assert torch.allclose(guided, null_out + scale * (cond_out - null_out), atol=1e-5)
    assert torch.allclose(model.model_fn(conds, 0.0)(x, t), null_out, atol=1e-5)


def test_unconditional_request_to_conditional_model_uses_null_condition():
    model = tiny_ldm(mask_parts=3)
    inputs = unet_inputs(model.conditioning, [Condition()], model.unet, None, (4, 4), model.device)
    assert inputs.class_labels.tolist() == [3]  # the null class
    assert torch.equal(inputs.context[0], model.unet.null_context_like(1, 4)[0].detach())
    assert inputs.extra.abs().sum() == 0
    out = model.generate([Condition()], guidance=5.0, steps=2, seed=1).images  # no condition: no CFG
    assert torch.equal(out, model.generate([Condition()], guidance=1.0, steps=2, seed=1).images)


def test_each_condition_changes_the_output():
    model = tiny_ldm(mask_parts=3)
    base = model.generate([Condition()], guidance=1.0, steps=3, seed=0, decode=False).images
    hair = torch.zeros(16, 16, dtype=torch.long)
    hair[:8] = 2
    for cond in (Condition(class_label=2), Condition(prompt="a bag"), Condition(label_map=hair)):
        out = model.generate([cond], guidance=1.0, steps=3, seed=0, decode=False).images
        assert not torch.allclose(out, base, atol=1e-4)


def test_per_image_seeding_is_batch_independent():
    model = tiny_ldm()
    conds = [model.condition(label=k % 3) for k in range(5)]
    whole = model.generate(conds, guidance=2.0, steps=2, seed=4).images
    parts = model.generate(conds, guidance=2.0, steps=2, seed=4, batch_size=2).images
    single = model.generate(conds[3:4], guidance=2.0, steps=2, seed=4, start=3).images
    assert torch.allclose(whole, parts, atol=1e-5) and torch.allclose(whole[3:4], single, atol=1e-5)


def test_condition_validation():
    model = tiny_ldm(classes=False, text=False)
    with pytest.raises(GenvisionError, match="not class-conditional"):
        model.condition(label="coat")
    with pytest.raises(GenvisionError, match="not text-conditional"):
        model.condition(prompt="a coat")
    with pytest.raises(GenvisionError, match="takes no part label map"):
        model.condition(label_map=torch.zeros(16, 16))
    with pytest.raises(GenvisionError, match="unknown class"):
        tiny_ldm().condition(label="hat")
    with pytest.raises(GenvisionError, match="not in"):
        tiny_ldm().model_fn([Condition(prompt="a prompt nobody cached")])


def test_vq_latents_are_snapped_before_decoding():
    model = tiny_ldm(variant="vq")
    z = torch.randn(2, 2, 4, 4)
    snapped = model.autoencoder.quantizer.snap(z / model.latent_scale)
    expected = model.autoencoder.decoder(model.autoencoder.post_quant_conv(snapped)).clamp(-1, 1)
    assert torch.allclose(model.decode(z), expected, atol=1e-6)
    model.spec.decode_quantize = False
    assert not torch.allclose(model.decode(z), expected, atol=1e-4)


# ---- inpainting ------------------------------------------------------------------------------------------
def test_latent_inpainting_keeps_known_pixels_exactly_and_changes_the_hole():
    model = tiny_ldm(classes=False, text=False)
    x = images()
    result = model.inpaint(x, half_fill(16, 16), steps=3, seed=0)
    assert torch.equal(result.composite[..., :8], x[..., :8])
    assert not torch.allclose(result.composite[..., 8:], x[..., 8:])
    assert torch.equal(result.composite[..., 8:], result.inpainted[..., 8:])
    assert result.panel().shape == (12, 1, 16, 16)
    assert torch.equal(result.masked[..., 8:], torch.zeros_like(result.masked[..., 8:]))


def test_empty_mask_returns_input_unchanged():
    model = tiny_ldm(classes=False, text=False)
    x = images()
    result = model.inpaint(x, torch.zeros(16, 16), steps=3)
    assert torch.equal(result.composite, x) and torch.equal(result.inpainted, x)


def test_full_mask_is_unconditional_sampling():
    model = tiny_pixel_ddpm()
    result = model.inpaint(images(2, 8), torch.ones(8, 8), steps=4, seed=3)
    reference = model.sample(2, steps=4, seed=3, sampler="ddim").images
    assert torch.allclose(result.composite, reference, atol=1e-5)
    assert reference.abs().max() > 0.05  # the fixture's predictions are not trivially zero


def test_pixel_ddpm_with_repaint_and_trajectory():
    model = tiny_pixel_ddpm()
    x = images(2, 8)
    result = model.inpaint(
        x, half_fill(8, 8), steps=6, sampler="ddpm", resample=Resampling(2, 3), trajectory=5
    )
    assert torch.equal(result.composite[..., :4], x[..., :4])
    assert result.trajectory.shape == (2, 5, 1, 8, 8)  # [N, frames, ...] as sampling
    assert torch.allclose(result.trajectory[:, -1], result.inpainted)  # frames end at the final sample
    assert result.info["resample"] == "2,3"


def test_inpainting_batches_and_seeds_are_independent():
    model = tiny_ldm(classes=False, text=False)
    x = images(4)
    whole = model.inpaint(x, half_fill(16, 16), steps=3, seed=5).composite
    split = model.inpaint(x, half_fill(16, 16), steps=3, seed=5, batch_size=3).composite
    assert torch.allclose(whole, split, atol=1e-5)


def test_latent_mask_rule_any_pixel():
    fill = torch.zeros(1, 1, 16, 16)
    fill[0, 0, 0, 5] = 1
    cells = latent_fill(fill, (4, 4))
    assert cells.sum() == 1 and cells[0, 0, 0, 1] == 1


def test_mask_size_mismatch_refused_and_count_explained():
    x = images(2)
    assert prepare_fill(half_fill(16, 16), x).shape == (2, 1, 16, 16)
    with pytest.raises(GenvisionError, match="fill is 64x64 but the images are 16x16"):
        prepare_fill(half_fill(64, 64), x)
    with pytest.raises(GenvisionError, match="3 masks for 2 images"):
        prepare_fill(torch.zeros(3, 1, 16, 16), x)
    with pytest.raises(GenvisionError, match="takes images of shape"):
        tiny_ldm().inpaint(images(1, 28), half_fill(28, 28))
    with pytest.raises(GenvisionError, match="NaN"):
        tiny_ldm().inpaint(torch.full((1, 1, 16, 16), float("nan")), half_fill(16, 16))
    with pytest.raises(GenvisionError, match="inpainting works with the ddpm and ddim samplers"):
        tiny_ldm().inpaint(images(1), half_fill(16, 16), sampler="dpmpp")
    with pytest.raises(GenvisionError, match="eta applies to the ddim sampler"):
        tiny_pixel_ddpm().inpaint(images(1, 8), half_fill(8, 8), sampler="ddpm", eta=0.5)


def test_conditioned_inpainting_with_guidance():
    model = tiny_ldm()
    x = images(2)
    result = model.inpaint(x, half_fill(16, 16), steps=3, label="bag", prompt="a bag", guidance=3.0)
    plain = model.inpaint(x, half_fill(16, 16), steps=3)
    assert torch.equal(result.composite[..., :8], x[..., :8])
    assert not torch.allclose(result.composite, plain.composite)


@pytest.mark.parametrize("pixel", [False, True])
def test_hidden_pixels_never_reach_the_result(pixel):
    """Two images that differ only inside the hole inpaint to the same result (no leak through the encoder)."""
    model = tiny_pixel_ddpm() if pixel else tiny_ldm(classes=False, text=False)
    size = model.image_shape[-1]
    fill = half_fill(size, size)
    a = images(2, size, seed=1)
    b = torch.where(fill.bool(), images(2, size, seed=2), a)
    ra = model.inpaint(a, fill, steps=3, seed=0).composite
    rb = model.inpaint(b, fill, steps=3, seed=0).composite
    assert torch.allclose(ra, rb, atol=1e-6)
