"""Training and sampling build UNet inputs with the one builder (conditioning.unet_inputs): the null condition
a fully dropped training batch gets is the one classifier-free guidance contrasts with at sampling, at the
spec's text length; text embeddings of another length are refused with one line, whichever path made them."""

import pytest
import torch

from genvision.conditioning.text import TextEmbedding, cache_embeddings, load_text_encoder, minilm_available
from genvision.conditioning.unet_inputs import Condition, ConditionValues, NullRows, build_unet_inputs
from genvision.data import load_dataset
from genvision.data.captions import caption_set
from genvision.errors import GenvisionError
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import save_bundle
from genvision.models.bundle_config import ConditioningSpec
from genvision.models.unet import UNet
from genvision.train.families import get_family, load_run_config
from tests.conftest import REPO, fashion_available

needs_fashion = pytest.mark.skipif(
    not (fashion_available() and minilm_available()), reason="needs Fashion-MNIST and the MiniLM text encoder"
)


@pytest.fixture(scope="module")
def autoencoder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ae") / "ae"
    torch.manual_seed(0)
    ae = AutoencoderNet(in_channels=1, image_size=28, variant="kl", downsample=4, channels=[8, 8, 8],
                     latent_channels=4, mid_attention=False)  # fmt: skip
    meta = {"data": {"dataset": "fashion-mnist", "shape": [1, 28, 28]}, "latent_scale": 1.0}
    return save_bundle(folder, "autoencoder", {"autoencoder": ae}, meta)


def short_cache(path, length):
    """The Fashion-MNIST caption set encoded at `length` tokens: a cache built at another length."""
    names = load_dataset("fashion-mnist", "test", limit=8).info.class_names
    prompts = caption_set("fashion-mnist", "train", names) + caption_set("fashion-mnist", "held_out", names)
    return cache_embeddings(prompts, path, load_text_encoder("minilm", length))


def ldm_recipe(autoencoder, *overrides):
    cfg = load_run_config(
        REPO / "configs" / "ldm_fashion.yaml",
        [f"model.autoencoder={autoencoder}", "model.model_channels=32", "model.num_res_blocks=1",
         "recipe.eval_classifier=null", *overrides],
    )  # fmt: skip
    info = load_dataset("fashion-mnist", "test", limit=8).info
    recipe = get_family("ldm").recipe(cfg, info, torch.device("cpu"))
    recipe.nets = recipe.build()
    with torch.no_grad():  # a learned null context that is not all zeros, so equality means something
        recipe.nets["unet"].null_context.normal_()
        recipe.nets["unet"].null_pooled.normal_()
    return recipe


@pytest.mark.slow  # an LDM recipe on Fashion-MNIST captions (~10 s on 2 cores)
@needs_fashion
@pytest.mark.parametrize("length", [16, 8])
def test_training_drops_to_the_null_condition_that_sampling_uses(autoencoder, tmp_path, length):
    cache = [] if length == 16 else [f"recipe.text_cache={short_cache(tmp_path / 'c.safetensors', length)}"]
    recipe = ldm_recipe(
        autoencoder, f"model.text_max_length={length}", "recipe.class_dropout=1.0", "recipe.text_dropout=1.0",
        *cache,
    )  # fmt: skip
    n = 4
    batch = {"image": torch.zeros(n, 1, 28, 28), "label": torch.arange(n)}
    trained = recipe.conditioning_inputs(batch, torch.Generator().manual_seed(0))
    sampled = recipe.inference_model(recipe.nets["unet"]).branch_inputs([Condition()] * n)[1]
    assert set(trained) == set(sampled) == {"class_labels", "context", "context_mask", "pooled"}
    for key in sampled:
        assert torch.equal(trained[key].detach(), sampled[key]), key
    assert (
        sampled["context"].shape == (n, length, recipe.spec.text_dim)
        and (sampled["class_labels"] == 10).all()
    )
    assert trained["context"].requires_grad  # training still reaches the learned null context


@pytest.mark.slow
@needs_fashion
def test_a_caption_cache_of_another_length_is_refused_in_one_line(autoencoder, tmp_path):
    cache = short_cache(tmp_path / "c8.safetensors", 8)
    with pytest.raises(GenvisionError, match="was made with max_length 8, not 16") as info:
        ldm_recipe(autoencoder, f"recipe.text_cache={cache}")
    assert "\n" not in str(info.value)


def test_the_builder_refuses_text_of_another_length():
    spec = ConditioningSpec(
        num_classes=3, text_encoder="minilm", text_max_length=16, text_dim=8, text_pooled=True
    )
    unet = UNet(in_channels=1, image_size=8, model_channels=16, channel_mult=(1,), num_res_blocks=1,
                attention_resolutions=(), head_dim=8, num_classes=3, context_dim=8, pooled_dim=8)  # fmt: skip
    text = TextEmbedding(torch.randn(2, 8, 8), torch.ones(2, 8, dtype=torch.bool), torch.randn(2, 8))
    with pytest.raises(GenvisionError, match="have 8 tokens but the model takes text_max_length 16") as info:
        build_unet_inputs(spec, unet, ConditionValues(text=text), NullRows(), 2, (8, 8), torch.device("cpu"))
    assert "\n" not in str(info.value)
