"""PatchGAN: one logit per patch, sizes for 28x28 and 64x64, registered for bundles."""

import pytest
import torch

from genvision.models.catalog import model_class
from genvision.models.patchgan import PatchGAN


@pytest.mark.parametrize(
    "size,n_layers,norm,side", [(28, 2, "group", 5), (64, 3, "batch", 6), (28, 1, "none", 12)]
)
def test_patch_logit_map(size, n_layers, norm, side):
    disc = PatchGAN(in_channels=3, channels=8, n_layers=n_layers, norm=norm)
    assert disc(torch.zeros(2, 3, size, size)).shape == (2, 1, side, side)


def test_patches_are_local():
    disc = PatchGAN(in_channels=1, channels=8, n_layers=1, norm="none").eval()
    x = torch.zeros(1, 1, 28, 28)
    y = x.clone()
    y[..., 0, 0] = 1.0  # a corner pixel changes only the logits whose receptive field covers it
    changed = (disc(x) != disc(y)).flatten()
    assert 0 < changed.sum() < changed.numel()


def test_registered_and_bad_norm_refused():
    assert model_class("PatchGAN") is PatchGAN
    with pytest.raises(ValueError, match="norm"):
        PatchGAN(norm="layer")
