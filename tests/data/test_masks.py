import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.data.masks import (
    CELEBAMASK_PARTS,
    box_fill,
    center_fill,
    composite,
    feather_weights,
    half_fill,
    latent_fill,
    load_fill_png,
    make_fill,
    make_fills,
    part_fill,
    resize_fill,
    strokes_fill,
)
from genvision.errors import GenvisionError


def test_box_center_half_shapes_and_areas():
    fill = box_fill(28, 28, top=3, left=5, box_h=10, box_w=7)
    assert fill.shape == (28, 28) and fill.sum() == 70
    assert fill[3, 5] == 1 and fill[2, 5] == 0 and fill[12, 11] == 1 and fill[13, 11] == 0
    c = center_fill(28, 28, 0.5)
    assert c.sum() == 14 * 14 and c[7:21, 7:21].all()
    for side in ("left", "right", "top", "bottom"):
        assert half_fill(28, 28, side).sum() == 28 * 14
    assert half_fill(28, 28)[:, 14:].all() and not half_fill(28, 28)[:, :14].any()


def test_box_clipped_to_image():
    assert box_fill(8, 8, top=6, left=6, box_h=5, box_w=5).sum() == 4


def test_strokes_reach_coverage_and_are_seeded():
    a = strokes_fill(64, 64, coverage=0.3, seed=3, index=1)
    b = strokes_fill(64, 64, coverage=0.3, seed=3, index=1)
    c = strokes_fill(64, 64, coverage=0.3, seed=3, index=2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert 0.3 <= a.mean() < 0.6
    assert set(a.unique().tolist()) <= {0.0, 1.0}


def test_make_fills_batch_independent_of_start():
    batch = make_fills("strokes", 4, 32, 32, seed=7)
    single = make_fill("strokes", 32, 32, seed=7, index=2)
    assert batch.shape == (4, 1, 32, 32) and torch.equal(batch[2, 0], single)


def test_make_fill_specs_and_errors():
    assert make_fill("box:0,0,4,4", 8, 8).sum() == 16
    assert make_fill("center:0.25", 8, 8).sum() == 4
    assert make_fill("half:top", 8, 8)[:4].all()
    with pytest.raises(GenvisionError, match="unknown mask shape"):
        make_fill("circle", 8, 8)
    with pytest.raises(GenvisionError, match="label maps"):
        make_fill("part:hair", 8, 8)
    with pytest.raises(GenvisionError, match="unknown CelebAMask-HQ part"):
        make_fill("part:tail", 8, 8, label_map=torch.zeros(8, 8, dtype=torch.long))


def test_part_fill_from_label_map():
    hair = CELEBAMASK_PARTS.index("hair")
    labels = torch.zeros(16, 16, dtype=torch.long)
    labels[:4] = hair
    labels[4:6] = CELEBAMASK_PARTS.index("hat")
    assert torch.equal(part_fill(labels, ["hair"]), (labels == hair).float())
    assert part_fill(labels, ["hair", "hat"]).sum() == 16 * 6
    # label maps at another resolution are brought to the image size with nearest neighbours
    assert make_fill("part:hair", 32, 32, label_map=labels).sum() == 32 * 8


def test_png_any_size_nearest_and_threshold_warning(tmp_path):
    arr = np.zeros((10, 10), np.uint8)
    arr[:, 5:] = 255
    Image.fromarray(arr).save(tmp_path / "m.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # binary masks load silently
        fill = load_fill_png(tmp_path / "m.png", size=(20, 20))
    assert fill.shape == (20, 20) and torch.equal(fill, half_fill(20, 20, "right"))
    arr[0, 0] = 200  # grey value: thresholded at 128, with a warning
    Image.fromarray(arr).convert("RGB").save(tmp_path / "g.png")
    with pytest.warns(UserWarning, match="not binary"):
        grey = load_fill_png(tmp_path / "g.png")
    assert grey[0, 0] == 1 and grey[1, 0] == 0
    with pytest.raises(GenvisionError, match="does not exist"):
        load_fill_png(tmp_path / "none.png")


def test_latent_fill_any_pixel_rule():
    fill = torch.zeros(1, 1, 28, 28)
    fill[0, 0, 5, 9] = 1  # one pixel in latent cell (1, 2) for 4x4 blocks
    lat = latent_fill(fill, (7, 7))
    assert lat.shape == (1, 1, 7, 7) and lat.sum() == 1 and lat[0, 0, 1, 2] == 1
    # non-dividing sizes: every fill pixel still marks at least one cell
    odd = latent_fill(fill, (5, 5))
    assert odd.sum() >= 1


def test_resize_fill_stays_binary():
    fill = half_fill(7, 7)
    big = resize_fill(fill, (28, 28))
    assert set(big.unique().tolist()) == {0.0, 1.0}


def test_composite_keeps_known_exactly_and_feathers_outward():
    original = torch.rand(2, 3, 16, 16) * 2 - 1
    generated = torch.rand(2, 3, 16, 16) * 2 - 1
    fill = center_fill(16, 16, 0.5)[None, None].expand(2, 1, 16, 16)
    out = composite(original, generated, fill)
    keep = fill.expand_as(original) == 0
    assert torch.equal(out[keep], original[keep]) and torch.equal(out[~keep], generated[~keep])
    w = feather_weights(fill, 3.0)
    assert torch.equal(w[fill == 1], torch.ones_like(w[fill == 1]))
    assert w[0, 0, 4 - 1, 8] == pytest.approx(1 - 1 / 3) and w[0, 0, 0, 0] == 0
    soft = composite(original, generated, fill, feather=3.0)
    assert torch.equal(soft[:, :, 0, 0], original[:, :, 0, 0])
    assert not torch.equal(soft[:, :, 3, 8], original[:, :, 3, 8])
