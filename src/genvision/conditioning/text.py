"""Text conditioning: frozen text encoders (`text_encoders`) and a file cache of their embeddings
(`text_cache`), importable together from here.

    encoder = encoder_or_cache("minilm", cache="captions.safetensors")   # cache first, live encoder for the rest
    encoder.encode(["a sandal"])                                         # TextEmbedding(tokens [1, L, D], ...)
"""

from genvision.conditioning.text_cache import (
    CachedTextEncoder,
    TextEmbeddingCache,
    cache_embeddings,
    encoder_or_cache,
    save_embedding_cache,
)
from genvision.conditioning.text_encoders import (
    CLIP_DIRNAME,
    DEFAULT_MAX_LENGTH,
    TEXT_ENCODERS,
    CLIPTextEncoder,
    MiniLMTextEncoder,
    TextEmbedding,
    TextEncoder,
    clip_path,
    load_text_encoder,
    minilm_available,
    minilm_path,
)

__all__ = [
    "CLIP_DIRNAME",
    "DEFAULT_MAX_LENGTH",
    "TEXT_ENCODERS",
    "CLIPTextEncoder",
    "CachedTextEncoder",
    "MiniLMTextEncoder",
    "TextEmbedding",
    "TextEmbeddingCache",
    "TextEncoder",
    "cache_embeddings",
    "clip_path",
    "encoder_or_cache",
    "load_text_encoder",
    "minilm_available",
    "minilm_path",
    "save_embedding_cache",
]
