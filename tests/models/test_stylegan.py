"""StyleGAN generator / discriminator / encoder: shapes, W+ layout, truncation, w_avg, mixing, noise, bundles."""

import pytest
import torch

from genvision.models.bundle import load_bundle, save_bundle
from genvision.models.stylegan import (
    StyleEncoder,
    StyleGANDiscriminator,
    StyleGANGenerator,
    level_sizes,
    mix_styles,
)
from genvision.nn.minibatch_stddev import minibatch_stddev

TINY = dict(z_dim=16, w_dim=16, mapping_layers=2, channel_base=224, channel_max=16)


def tiny_generator(**kw) -> StyleGANGenerator:
    torch.manual_seed(0)
    return StyleGANGenerator(**{**TINY, **kw})


@pytest.mark.parametrize(
    "res,sizes", [(28, [7, 14, 28]), (32, [4, 8, 16, 32]), (256, [4, 8, 16, 32, 64, 128, 256]), (7, [7])]
)
def test_level_sizes(res, sizes):
    assert level_sizes(res) == sizes


@pytest.mark.parametrize("res,channels", [(28, 1), (16, 3)])
def test_generator_discriminator_encoder_shapes(res, channels):
    g = tiny_generator(resolution=res, channels=channels)
    assert g.num_ws == 2 * len(level_sizes(res))
    x = g(torch.randn(3, 16))
    assert x.shape == (3, channels, res, res)
    d = StyleGANDiscriminator(resolution=res, channels=channels, channel_base=224, channel_max=16)
    assert d(x).shape == (3,)
    e = StyleEncoder(
        resolution=res,
        channels=channels,
        num_ws=g.num_ws,
        w_dim=16,
        channel_base=224,
        channel_max=16,
        hidden=32,
    )
    assert e(x).shape == (3, g.num_ws, 16)


def _conv_output_rms(g: StyleGANGenerator, z: torch.Tensor) -> list[float]:
    rms = []
    hooks = [
        layer.conv.register_forward_hook(lambda m, i, o: rms.append(o.pow(2).mean().sqrt().item()))
        for layer in g.layers
    ]
    with torch.no_grad():
        g(z, noise_mode="none")
    for h in hooks:
        h.remove()
    return rms


def test_activations_stay_at_unit_scale_through_synthesis():
    """Demodulation keeps every conv output near unit scale, and exactly invariant to the style magnitude."""
    g = tiny_generator(channel_base=28 * 64, channel_max=64)
    z = torch.randn(16, 16)
    rms = _conv_output_rms(g, z)
    assert len(rms) == len(g.layers)
    # zero padding and bilinear upsampling shave a little variance per level; nothing blows up or collapses
    assert min(rms) > 0.3 and max(rms) < 3.0, rms
    with torch.no_grad():
        for layer in g.layers:
            layer.conv.affine.weight.mul_(10.0)  # s = A(w) 10× larger
            layer.conv.affine.bias.mul_(10.0)
    assert _conv_output_rms(g, z) == pytest.approx(rms, rel=1e-3)


def test_w_avg_is_tracked_only_in_training():
    g = tiny_generator()
    z = torch.randn(64, 16)
    g.eval()
    g.map(z)
    assert torch.all(g.w_avg == 0)
    g.train()
    w = g.mapping(z, track_w_avg=False)
    g.map(z)
    assert torch.allclose(g.w_avg, (1 - 0.995) * w.mean(0), atol=1e-6)


def test_truncation():
    g = tiny_generator().eval()
    with torch.no_grad():
        g.mapping.w_avg.normal_()
        z = torch.randn(4, 16)
        ws = g.map(z)
        full = g.map(z, truncation_psi=0.0)
        assert torch.allclose(full, g.w_avg.expand_as(full))
        half = g.map(z, truncation_psi=0.5, truncation_cutoff=2)
        assert torch.allclose(half[:, :2], 0.5 * (ws[:, :2] + g.w_avg), atol=1e-6)
        assert torch.equal(half[:, 2:], ws[:, 2:])
        images = g(z, truncation_psi=0.0, noise_mode="const")
        assert torch.allclose(images, images[:1].expand_as(images), atol=1e-5)  # every z → the mean image


def test_mix_styles_takes_second_codes_from_crossover():
    a, b = torch.zeros(3, 6, 2), torch.ones(3, 6, 2)
    mixed = mix_styles(a, b, torch.tensor([0, 2, 6]))
    assert mixed[0].eq(1).all() and mixed[2].eq(0).all()
    assert mixed[1, :2].eq(0).all() and mixed[1, 2:].eq(1).all()


def test_noise_modes():
    g = tiny_generator().eval()
    z = torch.randn(2, 16)
    with torch.no_grad():
        alone = g(z[1:], noise_mode="const")
        assert torch.allclose(
            g(z, noise_mode="const")[1:], alone, atol=1e-5
        )  # image 1 alone = image 1 in a batch
        # noise strengths start at 0: random noise has no effect until trained
        assert torch.allclose(g(z, noise_mode="random"), g(z, noise_mode="none"))
        for layer in g.layers:
            layer.noise_strength.fill_(0.5)
        assert not torch.allclose(g(z, noise_mode="random"), g(z, noise_mode="none"))
        gen_a, gen_b = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        assert torch.equal(g(z, generator=gen_a), g(z, generator=gen_b))


def test_minibatch_stddev_closed_form():
    x = torch.randn(4, 6, 3, 3)
    y = minibatch_stddev(x, group_size=4)
    assert y.shape == (4, 7, 3, 3)
    expected = x.std(dim=0, unbiased=False).mean()
    assert torch.allclose(y[:, 6], expected.expand(4, 3, 3), atol=1e-4)
    assert minibatch_stddev(torch.randn(5, 6, 3, 3), group_size=4).shape == (5, 7, 3, 3)  # group falls to 1


def test_encoder_starts_at_w_avg_offset():
    e = StyleEncoder(resolution=28, num_ws=6, w_dim=16, channel_base=224, channel_max=16, hidden=32)
    with torch.no_grad():
        e.w_avg.fill_(3.0)
        e.head.weight.zero_()
    assert torch.allclose(e(torch.randn(2, 1, 28, 28)), torch.full((2, 6, 16), 3.0))


def test_bundle_roundtrip_reproduces_images(tmp_path):
    g = tiny_generator().eval()
    d = StyleGANDiscriminator(resolution=28, channel_base=224, channel_max=16)
    save_bundle(
        tmp_path / "b", "stylegan", {"generator": g, "discriminator": d}, {"data": {"shape": [1, 28, 28]}}
    )
    bundle = load_bundle(tmp_path / "b", kinds=("stylegan",))
    g2 = bundle.component("generator")
    z = torch.randn(3, 16)
    with torch.no_grad():
        assert torch.allclose(g(z, noise_mode="const"), g2(z, noise_mode="const"), atol=1e-6)


def test_conditional_mapping_reads_the_class_and_checks_labels():
    """StyleGAN2-ADA's conditioning: w depends on (z, y); labels are required iff the generator is conditional."""
    g = tiny_generator(num_classes=3).eval()
    z = torch.randn(1, 16).expand(3, -1)
    with torch.no_grad():
        ws = g.map(z, labels=torch.tensor([0, 1, 1]))
    assert not torch.allclose(ws[0], ws[1]) and torch.equal(ws[1], ws[2])  # same z, another class → another w
    assert g(z, labels=torch.tensor([0, 1, 2])).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="class-conditional"):
        g(z)
    with pytest.raises(ValueError, match=r"lie in \[0, 2\]"):
        g.map(z, labels=torch.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match="unconditional"):
        tiny_generator().map(z, labels=torch.tensor([0, 1, 2]))


def test_conditional_mixing_keeps_the_class():
    """Style mixing draws the second code from the same class: with crossover 0 the image is G(z2, y)."""
    g = tiny_generator(num_classes=3).eval()
    z, z2, y = torch.randn(2, 16), torch.randn(2, 16), torch.tensor([2, 0])
    with torch.no_grad():
        mixed = g(z, mix_z=z2, mix_crossover=torch.zeros(2, dtype=torch.long), labels=y, noise_mode="const")
        assert torch.allclose(mixed, g(z2, labels=y, noise_mode="const"), atol=1e-6)


def test_projection_discriminator_closed_form():
    """D(x, y) = ψ(h) + ⟨E_D y, h⟩ / sqrt(dim h): the class changes the logit by ⟨E_D (e_a − e_b), h⟩ / sqrt(dim h)."""
    torch.manual_seed(0)
    d = StyleGANDiscriminator(resolution=28, channel_base=224, channel_max=16, num_classes=4).eval()
    features = []
    d.fc.register_forward_hook(lambda m, i, o: features.append(o))
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        a, b = d(x, torch.tensor([0, 1, 2, 3])), d(x, torch.tensor([3, 3, 3, 3]))
        h = features[0]
        assert torch.equal(h, features[1])  # the label enters only after the features
        embed = d.embed.effective_weight().T  # [classes, dim h]
        expected = ((embed[[0, 1, 2, 3]] - embed[3]) * h).sum(dim=1) / h.shape[1] ** 0.5
    assert torch.allclose(a - b, expected, atol=1e-5)
    assert torch.allclose(a[3], b[3])
    with pytest.raises(ValueError, match="class-conditional"):
        d(x)


def test_conditional_bundle_roundtrip(tmp_path):
    g = tiny_generator(num_classes=3).eval()
    d = StyleGANDiscriminator(resolution=28, channel_base=224, channel_max=16, num_classes=3)
    save_bundle(
        tmp_path / "b", "stylegan", {"generator": g, "discriminator": d}, {"data": {"shape": [1, 28, 28]}}
    )
    bundle = load_bundle(tmp_path / "b", kinds=("stylegan",))
    g2, d2 = bundle.component("generator"), bundle.component("discriminator")
    assert g2.num_classes == 3 and d2.num_classes == 3
    z, y = torch.randn(3, 16), torch.tensor([2, 1, 0])
    with torch.no_grad():
        assert torch.allclose(
            g(z, labels=y, noise_mode="const"), g2(z, labels=y, noise_mode="const"), atol=1e-6
        )
