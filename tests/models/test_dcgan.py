"""DCGAN layout: shapes for several sizes, initialisation, spectral norm, minibatch std, InfoGAN code, registry."""

import pytest
import torch

from genvision.models.catalog import build_model
from genvision.models.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    categorical_code,
    stage_plan,
    with_categorical_code,
)
from genvision.nn.minibatch_stddev import minibatch_stddev


@pytest.mark.parametrize("size,plan", [(28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (16, (4, 2)), (8, (4, 1))])
def test_stage_plan(size, plan):
    assert stage_plan(size) == plan


def test_stage_plan_rejects_sizes_without_stages():
    with pytest.raises(ValueError, match="power of two"):
        stage_plan(7)


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3), (16, 1)])
def test_generator_and_discriminator_shapes(size, channels):
    g = DCGANGenerator(z_dim=16, image_size=size, channels=channels, base_channels=8)
    d = DCGANDiscriminator(image_size=size, channels=channels, base_channels=8)
    x = g(torch.randn(3, 16))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1.0
    assert d(x).shape == (3,)


def test_radford_layout_for_64():
    g = DCGANGenerator(z_dim=100, image_size=64, channels=3, base_channels=64)
    widths = [m.out_channels for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 64, 3]  # 4 → 8 → 16 → 32 → 64
    d = DCGANDiscriminator(image_size=64, channels=3, base_channels=64)
    widths = [m.out_channels for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 1]
    first_bn = [type(m).__name__ for m in d.features][:2]
    assert first_bn == ["Conv2d", "LeakyReLU"]  # no batch norm on D's input layer


def test_init_is_normal_0_02():
    torch.manual_seed(0)
    g = DCGANGenerator(z_dim=100, image_size=64, channels=3, base_channels=64)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)])
    assert w.mean().abs() < 1e-3
    assert w.std().item() == pytest.approx(0.02, rel=0.02)
    bn = torch.cat([m.weight for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)])
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)


def test_spectral_norm_bounds_each_layer():
    torch.manual_seed(0)
    d = DCGANDiscriminator(image_size=28, channels=1, base_channels=8, batch_norm=False, spectral_norm=True)
    x = torch.randn(4, 1, 28, 28)
    for _ in range(30):  # power iteration converges with forward passes in train mode
        d(x)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.02)
    plain = DCGANDiscriminator(image_size=28, channels=1, base_channels=8, batch_norm=False)
    sigma_plain = torch.linalg.matrix_norm(plain.head.weight.detach().flatten(1), ord=2).item()
    assert abs(sigma_plain - 1.0) > 0.1  # without SN the N(0, 0.02) weights are far from norm 1


def test_registry_round_trip_rebuilds_the_same_network():
    g = DCGANGenerator(z_dim=8, image_size=28, channels=1, base_channels=4)
    assert g.init_args["image_size"] == 28
    rebuilt = build_model("DCGANGenerator", g.init_args)
    rebuilt.load_state_dict(g.state_dict())
    z = torch.randn(2, 8)
    g.eval(), rebuilt.eval()
    assert torch.equal(g(z), rebuilt(z))


def test_minibatch_std_lets_the_discriminator_see_a_collapsed_batch():
    torch.manual_seed(0)
    d = DCGANDiscriminator(image_size=28, channels=1, base_channels=8, minibatch_std=4).eval()
    plain = DCGANDiscriminator(image_size=28, channels=1, base_channels=8).eval()
    plain.features.load_state_dict(d.features.state_dict())
    x = torch.randn(4, 1, 28, 28)
    collapsed = x[:1].expand(4, -1, -1, -1)
    # image 0 is the same in both batches: a plain D scores it alike, a minibatch-std D sees its batch-mates
    assert torch.allclose(plain(x)[0], plain(collapsed)[0], atol=1e-6)
    std_x = minibatch_stddev(d.features(x), group_size=4)[0, -1, 0, 0]
    std_collapsed = minibatch_stddev(d.features(collapsed), group_size=4)[:, -1]
    assert torch.allclose(std_collapsed, torch.full_like(std_collapsed, 1e-4), atol=1e-6)  # sqrt(0 + 1e-8)
    # the std channel is constant over the head's window, so the logits differ by Σ w_std · (s_x − s_collapsed)
    expected = d.head.weight[0, -1].sum() * (std_x - 1e-4)
    assert (d(x)[0] - d(collapsed)[0]).item() == pytest.approx(expected.item(), rel=1e-3)
    assert std_x > 10 * std_collapsed[0, 0, 0]  # diverse batch-mates give a std channel far above the floor
    assert build_model("DCGANDiscriminator", d.init_args).minibatch_std == 4
    with pytest.raises(ValueError, match="group size"):
        DCGANDiscriminator(minibatch_std=-1)


def test_categorical_code_is_uniform_and_reaches_g_as_one_hot():
    z = torch.randn(20_000, 16, generator=torch.Generator().manual_seed(0))
    code = categorical_code(z, 5)
    counts = torch.bincount(code, minlength=5).double()
    chi2 = ((counts - 4000) ** 2 / 4000).sum()
    assert chi2 < 20.5  # χ²(4 d.o.f.) above 20.5 has probability 4e-4: the argmax of i.i.d. draws is uniform
    seen = with_categorical_code(z, 5)
    assert torch.equal(seen[:, :5], torch.nn.functional.one_hot(code, 5).float())
    assert torch.equal(seen[:, 5:], z[:, 5:])


def test_generator_depends_on_the_code_only_through_its_class():
    torch.manual_seed(0)
    g = DCGANGenerator(z_dim=12, image_size=16, channels=1, base_channels=8, categorical_code=4).eval()
    z = torch.randn(6, 12)
    same_class = z.clone()
    same_class[:, :4] = 0.5 * z[:, :4] + 3.0  # a monotone map of the code entries keeps every argmax
    assert torch.equal(g(z), g(same_class))
    other = z.clone()
    other[:, :4] = -z[:, :4]  # the argmax moves for almost every row
    moved = (categorical_code(other, 4) != categorical_code(z, 4)).nonzero().flatten()
    assert len(moved) > 0 and (g(other)[moved] - g(z)[moved]).abs().amax() > 1e-3
    assert build_model("DCGANGenerator", g.init_args).categorical_code == 4
    with pytest.raises(ValueError, match="categorical_code must be 0 or in"):
        DCGANGenerator(z_dim=8, categorical_code=8)


def test_discriminator_code_head_reads_the_shared_features():
    d = DCGANDiscriminator(image_size=16, channels=1, base_channels=8, code_classes=3).eval()
    x = torch.randn(5, 1, 16, 16)
    logits, code = d.forward_with_code(x)
    assert code.shape == (5, 3) and torch.equal(d(x), logits)
    assert torch.allclose(code, d.code_head(d.features(x)).flatten(1))
    assert DCGANDiscriminator(image_size=16, channels=1, base_channels=8).forward_with_code(x)[1] is None
