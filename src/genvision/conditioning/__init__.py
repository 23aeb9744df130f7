"""Conditions for diffusion models: classes, text (frozen encoders + embedding caches), spatial part masks."""

from genvision.conditioning.classes import draw_dropped, drop_labels, resolve_class
from genvision.conditioning.mask import (
    drop_mask_condition,
    encode_label_map,
    null_mask_condition,
    one_hot_parts,
)
from genvision.conditioning.text import (
    TextEmbedding,
    TextEmbeddingCache,
    cache_embeddings,
    encoder_or_cache,
    load_text_encoder,
)

__all__ = [
    "draw_dropped",
    "drop_labels",
    "resolve_class",
    "drop_mask_condition",
    "encode_label_map",
    "null_mask_condition",
    "one_hot_parts",
    "TextEmbedding",
    "TextEmbeddingCache",
    "cache_embeddings",
    "encoder_or_cache",
    "load_text_encoder",
]
