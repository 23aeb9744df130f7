"""Conditional GAN networks: shapes, label dependence, the three discriminator conditionings."""

import pytest
import torch

from genvision.models.cgan import ConditionalDiscriminator, ConditionalGenerator


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3)])
@pytest.mark.parametrize("conditioning", ["concat", "projection", "auxiliary"])
def test_shapes(size, channels, conditioning):
    g = ConditionalGenerator(
        num_classes=5, z_dim=8, embed_dim=4, image_size=size, channels=channels, base_channels=4
    )
    d = ConditionalDiscriminator(
        num_classes=5, image_size=size, channels=channels, base_channels=4, conditioning=conditioning
    )
    y = torch.tensor([0, 4, 2])
    x = g(torch.randn(3, 8), y)
    assert x.shape == (3, channels, size, size)
    assert d(x, y).shape == (3,)


def test_generator_output_depends_on_label():
    torch.manual_seed(0)
    g = ConditionalGenerator(num_classes=3, z_dim=8, image_size=28, channels=1, base_channels=4).eval()
    z = torch.randn(1, 8).repeat(3, 1)
    x = g(z, torch.tensor([0, 1, 2]))
    assert (x[0] - x[1]).abs().max() > 1e-4 and (x[1] - x[2]).abs().max() > 1e-4


@pytest.mark.parametrize("conditioning", ["concat", "projection"])
def test_discriminator_output_depends_on_label(conditioning):
    torch.manual_seed(0)
    d = ConditionalDiscriminator(
        num_classes=3, image_size=28, channels=1, base_channels=4, conditioning=conditioning
    ).eval()
    x = torch.randn(1, 1, 28, 28).repeat(3, 1, 1, 1)
    logits = d(x, torch.tensor([0, 1, 2]))
    assert (logits[0] - logits[1]).abs() > 1e-6


def test_auxiliary_discriminator_ignores_the_label_and_classifies():
    # AC-GAN: the real/fake logit is D(x) alone; the class head gives K logits from the same features
    torch.manual_seed(0)
    d = ConditionalDiscriminator(
        num_classes=4, image_size=28, channels=1, base_channels=4, conditioning="auxiliary"
    ).eval()
    x = torch.randn(1, 1, 28, 28).repeat(4, 1, 1, 1)
    logits, class_logits = d.forward_with_classes(x, torch.tensor([0, 1, 2, 3]))
    assert torch.equal(logits, d(x, torch.tensor([3, 2, 1, 0])))
    assert (logits - logits[0]).abs().max() == 0
    assert class_logits.shape == (4, 4) and class_logits[0].std() > 0
    assert d.forward_with_classes(x, torch.tensor([0, 1, 2, 3]))[1] is not None
    concat = ConditionalDiscriminator(num_classes=4, image_size=28, channels=1, base_channels=4)
    assert concat.forward_with_classes(x, torch.tensor([0, 1, 2, 3]))[1] is None


def test_projection_is_linear_in_the_class_embedding():
    # logit(x, y) − logit(x, y') = ⟨e_y − e_y', φ(x)⟩ exactly
    torch.manual_seed(0)
    d = ConditionalDiscriminator(
        num_classes=2, image_size=16, channels=1, base_channels=4, conditioning="projection", batch_norm=False
    ).eval()
    x = torch.randn(1, 1, 16, 16)
    phi = d.features(x).sum(dim=(2, 3))[0]
    diff = d(x, torch.tensor([1])) - d(x, torch.tensor([0]))
    expected = ((d.class_embed.weight[1] - d.class_embed.weight[0]) * phi).sum()
    assert diff.item() == pytest.approx(expected.item(), rel=1e-5, abs=1e-6)


def test_bad_labels_raise_clear_errors():
    g = ConditionalGenerator(num_classes=3, z_dim=8, image_size=28, channels=1, base_channels=4)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        g(torch.randn(1, 8), torch.tensor([3]))
    with pytest.raises(ValueError, match="conditioning"):
        ConditionalDiscriminator(conditioning="film")


def test_spectral_norm_option_wraps_layers():
    d = ConditionalDiscriminator(
        num_classes=3, image_size=28, channels=1, base_channels=4, batch_norm=False, spectral_norm=True
    )
    assert all(hasattr(m, "parametrizations") for m in d.modules() if isinstance(m, torch.nn.Conv2d))
