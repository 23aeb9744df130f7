import numpy as np
import pytest
import torch
from PIL import Image

from genvision.data.masks import half_fill, latent_fill
from genvision.diffusion.inpaint import Resampling
from genvision.errors import GenvisionError
from genvision.pipelines.inpaint import build_fills, inpaint, prepare_fill
from tests.pipelines.ldm_fixtures import tiny_ldm, tiny_pixel_ddpm


def images(n=3, size=16, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_latent_inpainting_keeps_known_pixels_exactly_and_changes_the_hole():
    model = tiny_ldm(classes=False, text=False)
    x = images()
    result = inpaint(model, x, half_fill(16, 16), steps=3, seed=0)
    assert torch.equal(result.composite[..., :8], x[..., :8])
    assert not torch.allclose(result.composite[..., 8:], x[..., 8:])
    assert torch.equal(result.composite[..., 8:], result.inpainted[..., 8:])
    assert result.panel().shape == (12, 1, 16, 16)
    assert torch.equal(result.masked[..., 8:], torch.zeros_like(result.masked[..., 8:]))


def test_empty_mask_returns_input_unchanged():
    model = tiny_ldm(classes=False, text=False)
    x = images()
    result = inpaint(model, x, torch.zeros(16, 16), steps=3)
    assert torch.equal(result.composite, x) and torch.equal(result.inpainted, x)


def test_full_mask_is_unconditional_sampling():
    model = tiny_pixel_ddpm()
    x = images(2, 8)
    result = inpaint(model, x, torch.ones(8, 8), steps=4, seed=3)
    reference = model.sample([model.condition()] * 2, steps=4, seed=3)
    assert torch.allclose(result.composite, reference, atol=1e-5)


def test_pixel_ddpm_with_repaint_and_trajectory():
    model = tiny_pixel_ddpm()
    x = images(2, 8)
    fill = half_fill(8, 8)
    result = inpaint(model, x, fill, steps=6, sampler="ddpm", resample=Resampling(2, 3), trajectory_frames=5)
    assert torch.equal(result.composite[..., :4], x[..., :4])
    assert result.trajectory.shape == (5, 2, 1, 8, 8)
    # frames go from noise to the final sample
    assert torch.allclose(result.trajectory[-1], result.inpainted)


def test_batches_and_seeds_are_independent():
    model = tiny_ldm(classes=False, text=False)
    x = images(4)
    whole = inpaint(model, x, half_fill(16, 16), steps=3, seed=5).composite
    split = inpaint(model, x, half_fill(16, 16), steps=3, seed=5, batch_size=3).composite
    assert torch.allclose(whole, split, atol=1e-5)


def test_latent_mask_rule_any_pixel():
    fill = torch.zeros(1, 1, 16, 16)
    fill[0, 0, 0, 5] = 1
    cells = latent_fill(fill, (4, 4))
    assert cells.sum() == 1 and cells[0, 0, 0, 1] == 1


def test_mask_size_mismatch_resized_and_count_explained(tmp_path):
    x = images(2)
    assert prepare_fill(half_fill(64, 64), x).shape == (2, 1, 16, 16)
    with pytest.raises(GenvisionError, match="3 masks for 2 images"):
        prepare_fill(torch.zeros(3, 1, 16, 16), x)
    arr = np.zeros((40, 40), np.uint8)
    arr[:, 20:] = 255
    Image.fromarray(arr).save(tmp_path / "m.png")
    fills = build_fills(x, mask_file=str(tmp_path / "m.png"))
    assert fills.shape == (2, 1, 16, 16) and torch.equal(fills[1, 0], half_fill(16, 16))
    with pytest.raises(GenvisionError, match="model works on images"):
        inpaint(tiny_ldm(), images(1, 28), half_fill(28, 28))


def test_conditioned_inpainting_with_guidance():
    model = tiny_ldm()
    x = images(2)
    conds = [model.condition(class_label="bag", prompt="a bag")] * 2
    result = inpaint(model, x, half_fill(16, 16), steps=3, conditions=conds, guidance=3.0)
    plain = inpaint(model, x, half_fill(16, 16), steps=3)
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
    ra = inpaint(model, a, fill, steps=3, seed=0).composite
    rb = inpaint(model, b, fill, steps=3, seed=0).composite
    assert torch.allclose(ra, rb, atol=1e-6)
