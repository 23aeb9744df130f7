import pytest
import torch

from genvision.nn.diffaugment import cutout, diff_augment, parse_policy, translation


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
    policy = parse_policy("translation, cutout,brightness")
    a = diff_augment(x, policy, torch.Generator().manual_seed(3))
    b = diff_augment(x, policy, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    a.sum().backward()
    assert x.grad is not None and (x.grad != 0).any() and (x.grad == 0).any()  # cut-out pixels get none
    assert diff_augment(x, (), torch.Generator()) is x


def test_unknown_transform_is_named():
    with pytest.raises(ValueError, match="'rotate'.*translation, cutout, brightness"):
        parse_policy("translation,rotate")
