import pytest
import torch

from genvision.nn.diffaugment import (
    contrast,
    cutout,
    diff_augment,
    erase,
    parse_policy,
    saturation,
    shift,
    translation,
)


def spot(b: int = 64, size: int = 16) -> torch.Tensor:
    """One bright pixel in the middle of each image."""
    x = torch.zeros(b, 1, size, size)
    x[:, :, size // 2, size // 2] = 1.0
    return x


def test_translation_moves_content_by_at_most_an_eighth_with_zero_fill():
    x = spot()
    out = translation(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    where = out[:, 0].flatten(1).argmax(1)
    dy, dx = where // 16 - 8, where % 16 - 8
    assert dy.abs().max() <= 2 and dx.abs().max() <= 2  # 16 px · 1/8 = 2
    assert len(set(zip(dy.tolist(), dx.tolist()))) > 10  # per-image shifts, not one for the batch
    assert torch.equal(out.sum((1, 2, 3)), torch.ones(64))  # the spot moved, nothing else appeared
    ones = translation(torch.ones(64, 1, 16, 16), torch.Generator().manual_seed(0))
    shifted = ones.sum((1, 2, 3)) < 256
    assert shifted.any() and (ones[shifted] == 0).any()  # uncovered border is zero-filled


def test_shift_by_known_offsets_moves_every_pixel_exactly():
    x = torch.arange(1.0, 1 + 2 * 2 * 5 * 6).view(2, 2, 5, 6)
    out = shift(x, torch.tensor([1, -2]), torch.tensor([-3, 0]))
    want = torch.zeros_like(x)
    want[0, :, 0:4, 3:6] = x[0, :, 1:5, 0:3]  # y[i, j] = x[i + 1, j − 3]
    want[1, :, 2:5, :] = x[1, :, 0:3, :]  # y[i, j] = x[i − 2, j]
    assert torch.equal(out, want)
    assert torch.equal(shift(x, torch.tensor([5, 0]), torch.tensor([0, -6])), torch.zeros_like(x))


def test_erase_zeroes_exactly_the_stated_rectangle():
    x = torch.ones(2, 3, 8, 8)
    out = erase(x, torch.tensor([2, -1]), torch.tensor([3, 6]), (4, 4))
    want = torch.ones_like(x)
    want[0, :, 2:6, 3:7] = 0
    want[1, :, 0:3, 6:8] = 0  # overhangs the top and right border: only the inside part is zeroed
    assert torch.equal(out, want)


def test_contrast_and_saturation_scale_around_the_mean():
    x = torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(7))
    out = contrast(x, torch.Generator().manual_seed(0))
    mean, centred = x.mean((1, 2, 3), keepdim=True), x - x.mean((1, 2, 3), keepdim=True)
    factor = (centred * (out - mean)).sum((1, 2, 3), keepdim=True) / centred.square().sum(
        (1, 2, 3), keepdim=True
    )
    assert torch.allclose(out, mean + centred * factor, atol=1e-6)  # one factor per image, the mean stays
    assert factor.min() >= 0.5 - 1e-6 and factor.max() <= 1.5 + 1e-6 and factor.std() > 0.1
    gray = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(8))
    assert torch.equal(saturation(gray, torch.Generator().manual_seed(0)), gray)  # nothing to saturate
    grayish = saturation(gray.expand(4, 3, 8, 8), torch.Generator().manual_seed(0))
    assert torch.allclose(grayish, gray.expand(4, 3, 8, 8))  # equal channels are their own mean


def test_cutout_zeros_one_half_size_square_and_keeps_the_rest():
    x = torch.ones(32, 3, 16, 16)
    out = cutout(x, torch.Generator().manual_seed(1))
    holes = (out[:, 0] == 0).float()
    assert torch.equal(out[:, 0], out[:, 2])  # the same square in every channel
    area = holes.sum((1, 2))
    assert area.max() == 64 and area.min() >= 16  # 8x8, part of it may overhang the border
    for h in holes:  # the zeros form one axis-aligned rectangle
        rows, cols = h.any(1).nonzero().flatten(), h.any(0).nonzero().flatten()
        assert h[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()


def test_augment_is_differentiable_and_reproducible():
    x = torch.randn(8, 1, 16, 16, requires_grad=True)
    policy = parse_policy("translation, cutout,color")
    a = diff_augment(x, policy, torch.Generator().manual_seed(3))
    b = diff_augment(x, policy, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and (x.grad != 0).any() and (x.grad == 0).any()  # cut-out pixels get none
    assert diff_augment(x, (), torch.Generator()) is x


def test_policy_names_and_unknown_transform():
    assert parse_policy(" translation,color ") == ("translation", "brightness", "saturation", "contrast")
    assert parse_policy("") == ()
    with pytest.raises(ValueError, match="'rotate'.*translation, cutout, brightness.*color"):
        parse_policy("translation,rotate")
