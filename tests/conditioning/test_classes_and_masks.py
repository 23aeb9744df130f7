import pytest
import torch

from genvision.conditioning import (
    draw_dropped,
    drop_labels,
    drop_mask_condition,
    encode_label_map,
    null_mask_condition,
    one_hot_parts,
    resolve_class,
)
from genvision.conditioning.text import TextEmbedding, TextEmbeddingCache
from genvision.conditioning.unet_inputs import Condition, unet_inputs
from genvision.errors import GenvisionError
from genvision.models.bundle_config import ConditioningSpec
from genvision.models.unet import UNet

FASHION = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


@pytest.mark.parametrize(
    "spec,index",
    [("sneaker", 7), ("Ankle boot", 9), ("ankle-boot", 9), ("tshirt", 0), ("top", 0), ("7", 7), (3, 3)],
)
def test_resolve_class(spec, index):
    assert resolve_class(spec, FASHION) == index


def test_resolve_class_errors():
    with pytest.raises(GenvisionError, match="unknown class 'hat'"):
        resolve_class("hat", FASHION)
    with pytest.raises(GenvisionError, match="out of range"):
        resolve_class("10", FASHION)
    with pytest.raises(GenvisionError, match="no class names"):
        resolve_class("sneaker", None, num_classes=10)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_dropout_rate(p):
    gen = torch.Generator().manual_seed(0)
    dropped = draw_dropped(20000, p, gen)
    assert dropped.dtype == torch.bool
    assert abs(dropped.float().mean().item() - p) < 0.015


def test_drop_labels_uses_null_class():
    labels = torch.tensor([1, 2, 3])
    out = drop_labels(labels, torch.tensor([False, True, False]), null_label=10)
    assert out.tolist() == [1, 10, 3]


def test_mask_encoder_fractions_and_null():
    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    labels[0, :4, :] = 13  # hair in the top half
    labels[1, :, :2] = 1
    onehot = one_hot_parts(labels, 19)
    assert onehot.shape == (2, 19, 8, 8) and torch.equal(onehot.sum(1), torch.ones(2, 8, 8))
    lat = encode_label_map(labels, 19, (2, 2))
    assert lat.shape == (2, 19, 2, 2)
    assert torch.allclose(lat.sum(1), torch.ones(2, 2, 2))
    assert lat[0, 13, 0, 0] == 1 and lat[0, 13, 1, 0] == 0 and lat[1, 1, 0, 0] == 0.5
    dropped = drop_mask_condition(lat, torch.tensor([True, False]))
    assert torch.equal(dropped[0], torch.zeros_like(lat[0])) and torch.equal(dropped[1], lat[1])
    assert null_mask_condition(2, 19, (2, 2)).abs().sum() == 0
    with pytest.raises(GenvisionError, match="label map values"):
        one_hot_parts(torch.full((1, 2, 2), 19), 19)


def test_unet_inputs_carry_pooled_embeddings_and_null_rows():
    prompts = ["a bag", "a coat"]
    emb = TextEmbedding(torch.randn(2, 4, 6), torch.ones(2, 4, dtype=torch.bool), torch.randn(2, 6))
    text = TextEmbeddingCache.from_embeddings(prompts, emb, "minilm", 4)
    unet = UNet(
        in_channels=1,
        image_size=8,
        model_channels=8,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(8,),
        head_dim=8,
        context_dim=6,
        pooled_dim=6,
    )
    torch.nn.init.normal_(unet.null_pooled)
    spec = ConditioningSpec(text_encoder="minilm", text_max_length=4, text_dim=6, text_pooled=True)
    inputs = unet_inputs(
        spec, [Condition(prompt="a coat"), Condition()], unet, text, (8, 8), torch.device("cpu")
    )
    torch.testing.assert_close(inputs.pooled[0], emb.pooled[1])
    torch.testing.assert_close(inputs.pooled[1], unet.null_pooled[0].detach())
    without = unet_inputs(
        ConditioningSpec(text_encoder="minilm", text_max_length=4, text_dim=6),
        [Condition(prompt="a coat")],
        unet,
        text,
        (8, 8),
        torch.device("cpu"),
    )
    assert without.pooled is None and "pooled" not in without.kwargs()
