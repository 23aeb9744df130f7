import json

import pytest
import torch

from genvision.models.bundle import load_module, save_module
from genvision.models.catalog import model_class
from genvision.models.unet import UNet

TINY = dict(model_channels=16, channel_mult=(1, 2), num_res_blocks=1, head_dim=8)


@pytest.mark.parametrize("size,attn", [(28, (14,)), (32, (16,)), (64, (32,))])
def test_native_sizes_and_shapes(size, attn):
    net = UNet(in_channels=3, image_size=size, attention_resolutions=attn, **TINY)
    x = torch.randn(2, 3, size, size)
    assert net(x, torch.tensor([0, 999])).shape == x.shape


def test_28_goes_down_to_7_and_back():
    net = UNet(
        image_size=28,
        model_channels=16,
        channel_mult=(1, 2, 2),
        num_res_blocks=1,
        head_dim=8,
        attention_resolutions=(7,),
    )
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1])) for m in net.down]
    net(torch.randn(1, 1, 28, 28), torch.tensor([5]))
    assert sizes == [28, 14, 14, 7, 7]
    for h in hooks:
        h.remove()
    with_attn = [layer.attn is not None for layer in net.down if hasattr(layer, "attn")]
    assert with_attn == [False, False, True]


def test_output_starts_at_zero_then_depends_on_time():
    net = UNet(**TINY, attention_resolutions=(14,))
    x = torch.randn(2, 1, 28, 28)
    assert net(x, torch.tensor([1, 2])).abs().max() == 0  # zero-initialised output conv
    _randomise(net)
    a = net(x, torch.tensor([1, 1]))
    b = net(x, torch.tensor([900, 900]))
    assert not torch.allclose(a, b)


def _randomise(net):
    torch.manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.05)
    return net


def test_class_conditioning_with_null_class():
    net = _randomise(UNet(**TINY, num_classes=10, attention_resolutions=()))
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([10, 10, 10])
    y = net(x, t, class_labels=torch.tensor([1, 2, 10]))
    assert not torch.allclose(y[0], y[1])
    # -1 and None both mean the null class (index num_classes)
    torch.testing.assert_close(net(x, t, class_labels=torch.tensor([-1, -1, -1])), net(x, t))
    torch.testing.assert_close(
        net(x[2:], t[2:], class_labels=torch.tensor([-1]))[0], y[2], rtol=1e-4, atol=1e-5
    )


def test_cross_attention_context_and_learned_null_context():
    net = _randomise(UNet(**TINY, context_dim=12, attention_resolutions=(14,)))
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([3, 3])
    ctx = torch.randn(2, 5, 12)
    a = net(x, t, context=ctx)
    assert not torch.allclose(a, net(x, t, context=torch.randn(2, 5, 12)))
    torch.testing.assert_close(net(x, t), net(x, t, context=net.null_context_like(2)))
    mask = torch.tensor([[True, True, False, False, False]] * 2)
    torch.testing.assert_close(
        net(x, t, context=ctx, context_mask=mask), net(x, t, context=ctx[:, :2]), rtol=1e-4, atol=1e-5
    )


def test_extra_input_channels():
    net = _randomise(UNet(**TINY, extra_in_channels=3, attention_resolutions=()))
    x, t = torch.randn(1, 1, 28, 28), torch.tensor([0])
    extra = torch.zeros(1, 3, 28, 28)
    assert net(x, t, extra=extra).shape == (1, 1, 28, 28)
    assert not torch.allclose(net(x, t, extra=extra), net(x, t, extra=extra + 1))
    with pytest.raises(ValueError, match="needs `extra`"):
        net(x, t)


def test_channels_last_and_bf16_autocast_agree():
    net = _randomise(UNet(**TINY, attention_resolutions=(14,))).eval()
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([7, 300])
    ref = net(x, t)
    cl = net.to(memory_format=torch.channels_last)(x.to(memory_format=torch.channels_last), t)
    torch.testing.assert_close(cl, ref, rtol=1e-4, atol=1e-4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = net(x, t)
    assert (low.float() - ref).abs().max() < 0.05 * ref.abs().max()


def test_registered_and_round_trips_through_a_bundle_component(tmp_path):
    net = _randomise(UNet(**TINY, num_classes=3, attention_resolutions=(14,)))
    assert model_class("UNet") is UNet
    save_module(tmp_path / "unet", net)
    args = json.loads((tmp_path / "unet" / "config.json").read_text())["args"]
    assert args["channel_mult"] == [1, 2] and args["num_classes"] == 3
    again = load_module(tmp_path / "unet")
    x, t = torch.randn(1, 1, 28, 28), torch.tensor([4])
    torch.testing.assert_close(again(x, t), net.eval()(x, t))


def test_default_size_is_at_least_the_reference_capacity():
    n = sum(p.numel() for p in UNet().parameters())
    assert n >= 6.4e6


def test_pooled_text_embedding_starts_as_a_no_op_then_conditions_with_a_null_vector():
    net = UNet(**TINY, pooled_dim=6, attention_resolutions=())
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([5, 5])
    _randomise(net)
    p = torch.randn(2, 6)
    torch.nn.init.zeros_(net.pooled_embed.weight)
    torch.nn.init.zeros_(net.pooled_embed.bias)
    torch.testing.assert_close(net(x, t, pooled=p), net(x, t))  # zero projection: the pooled input is inert
    torch.nn.init.normal_(net.pooled_embed.weight)
    assert not torch.allclose(net(x, t, pooled=p), net(x, t, pooled=torch.randn(2, 6)))
    torch.testing.assert_close(net(x, t), net(x, t, pooled=net.null_pooled_like(2)))
    fresh = UNet(**TINY, pooled_dim=6)
    assert torch.count_nonzero(fresh.pooled_embed.weight) == 0  # a new projection changes nothing at first
