"""Inversion and editing on the shipped, trained fashion-ldm / fashion-ddpm bundles (few images, few steps)."""

import pytest
import torch

import genvision
from genvision.errors import GenvisionError
from genvision.generators.diffusion_results import DiffusionInversion
from genvision.metrics.image_quality import psnr
from tests.conftest import fashion_available

pytestmark = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")


@pytest.fixture(scope="module")
def ldm():
    return genvision.load("fashion-ldm", device="cpu")


@pytest.fixture(scope="module")
def shirts():
    from genvision.data import load_images_from_ref

    x, y, _ = load_images_from_ref("fashion-mnist:test:0-3")
    return x, y


def db(a, b) -> float:
    return float(psnr(a, b).mean())


def test_ldm_ddim_inversion_round_trips(ldm, shirts):
    x, y = shirts
    inv = ldm.invert(x, label=y, steps=20)
    ae = ldm.decode(ldm.encode(x))
    assert inv.trajectory.shape == (3, 21, 4, 7, 7) and inv.latents.shape == (3, 4, 7, 7)
    assert (inv.latents - inv.trajectory[:, 0]).std() > 0.5  # inverted to noise, not left near the data
    assert db(inv.images, ae) > 30


def test_null_text_beats_plain_ddim_under_guidance(ldm, shirts):
    x, y = shirts
    ae = ldm.decode(ldm.encode(x))
    plain = db(ldm.invert(x, label=y, steps=10, guidance=3.0).images, ae)
    fitted = ldm.invert(x, label=y, steps=10, guidance=3.0, method="null-text")
    assert db(fitted.images, ae) > plain + 3, (plain, db(fitted.images, ae))
    assert {k: v.shape[:2] for k, v in fitted.nulls.items()}["class_embedding"] == (10, 3)


def test_negative_prompt_reconstruction_is_the_guidance_1_inversion(ldm, shirts):
    x, y = shirts
    negative = ldm.invert(x, label=y, steps=10, guidance=3.0, method="negative-prompt")
    plain = ldm.invert(x, label=y, steps=10)
    assert torch.allclose(negative.images, plain.images, atol=1e-5)


def test_diffedit_keeps_pixels_outside_its_mask(ldm, shirts):
    x, y = shirts
    e = ldm.edit(x, source=y, target="dress", method="diffedit", strength=0.7, steps=20)
    ae = ldm.decode(ldm.encode(x))
    keep = (1 - e.fill).bool().expand_as(x)
    assert e.fill.shape == (3, 1, 28, 28) and 0 < e.fill.mean() < 1
    assert torch.allclose(e.edited[keep], ae[keep], atol=1e-6)  # within the autoencoder's error of x
    assert (e.edited - ae)[~keep].abs().max() > 0.1  # and the edit did something inside
    assert e.panel().shape == (12, 1, 28, 28)


def test_saved_inversion_edits_like_the_live_one(ldm, shirts, tmp_path):
    x, y = shirts
    inv = ldm.invert(x[:2], label=y[:2], steps=10, guidance=2.0, method="null-text")
    path = inv.save(tmp_path / "inv.safetensors", "fashion-ldm")
    back = DiffusionInversion.load(path)
    assert back.method == "null-text" and back.conditions == inv.conditions and back.steps == 10
    live = ldm.edit(inv, target="sandal", method="swap")
    saved = ldm.edit(back, target="sandal", method="swap")
    assert torch.equal(live.edited, saved.edited)
    assert not torch.allclose(live.edited, inv.images, atol=0.05)  # the swap changed the images


def test_sdedit_strength_sets_how_far_the_image_moves(ldm, shirts):
    x, y = shirts
    ae = ldm.decode(ldm.encode(x))
    near = ldm.edit(x, target="bag", method="sdedit", strength=0.2, steps=20).edited
    far = ldm.edit(x, target="bag", method="sdedit", strength=1.0, steps=20).edited
    assert db(near, ae) > db(far, ae) + 5


def test_pixel_ddpm_inversion_round_trips():
    ddpm = genvision.load("fashion-ddpm", device="cpu")
    x = ddpm.sample(1, steps=10, seed=3).images
    inv = ddpm.invert(x, steps=20)
    assert db(inv.images, x) > 30


def test_bad_requests_are_one_line_errors(ldm, shirts):
    x, y = shirts
    cases = [
        (lambda: ldm.edit(x, source=y, target="spaceship"), "unknown class 'spaceship'"),
        (lambda: ldm.edit(x, source=y, target="bag", strength=0.0), "strength must lie in (0, 1]"),
        (lambda: ldm.edit(x, source=y, target="bag", strength=1.5), "strength must lie in (0, 1]"),
        (lambda: ldm.edit(x, source=y, target="bag", method="blend"), "unknown edit method 'blend'"),
        (lambda: ldm.edit(x, source=y, method="diffedit"), "diffedit needs a target"),
        (lambda: ldm.invert(x, method="null-text"), "give label= or prompt="),
        (lambda: ldm.invert(x, label=[1, 2]), "2 conditions for 3 images"),
        (lambda: genvision.load("fashion-ddpm").edit(x, target="bag"), "fashion-ddpm is unconditional"),
    ]
    for call, text in cases:
        with pytest.raises(GenvisionError) as err:
            call()
        assert text in str(err.value) and "\n" not in str(err.value), str(err.value)
