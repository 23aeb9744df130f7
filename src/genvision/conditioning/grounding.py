"""Nearest-caption grounding: a free-text prompt is answered with the training captions closest to it.

A text model trained on a finite caption set knows its own captions well, and free text with words the set
never uses ("an anorak for hiking") can land between classes, although the sentence encoder already places
it near captions of the right class. Grounding replaces a prompt outside the set by one of its k nearest
training captions, nearness being the cosine of pooled sentence embeddings, cos(a, b) = a·b / (‖a‖ ‖b‖):
the i-th image asking for a prompt takes its (i mod k)-th nearest caption, so a batch spreads over the
neighbours. Prompts in the set pass through unchanged, and k = 0 turns grounding off.

Retrieval can be wrong: a rare word ("a waxed cagoule") may sit nearest to captions of another class. So a
garment lexicon of WordNet and curated words (genvision.conditioning.garment_lexicon) reads the prompt first:
when the head garment word names one class ("cagoule" → Coat), the k nearest captions are searched among that
class's captions only (caption j has class j mod C), and the rewrite is confident; a word of several classes
("jumper") narrows the search to them. Every rewrite is reported in the result's info, with the word that
placed it, and a prompt not placed in one class whose nearest caption has cosine below MIN_COSINE is reported
as a low-confidence rewrite, with a warning that names the caption and how to turn grounding off. It is still
grounded: on the validation paraphrases grounding beat the model alone below the threshold too (mean accuracy
0.826 vs 0.800), so refusing would lower accuracy. MIN_COSINE is the smallest cosine above which no validation
paraphrase was grounded in a caption of another class (benchmarks/grounding_threshold.py; measured on the
validation list, never on the held-out lists it is reported on).

    index = CaptionIndex(captions, text.encode(captions).pooled, known=set(captions), encoder=text,
                         labels=torch.arange(len(captions)) % C, lexicon=GarmentLexicon.load(class_names))
    index.neighbours(["a clutch for the evening"], k=3)   # [[its 3 nearest captions, nearest first]]
    grounded, used, far, placed = ground(conditions, index, k=10)  # far: prompt -> cosine; placed: by which word
    info = grounding_info(k, used, far, placed)                      # what a result's info shows
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from genvision.conditioning.garment_lexicon import GarmentLexicon
from genvision.conditioning.text import TextEncoder
from genvision.conditioning.unet_inputs import Condition
from genvision.errors import GenvisionError

# The nearest caption must be at least this close (cosine of MiniLM sentence embeddings) for a prompt to be
# grounded; measured on the validation paraphrases with benchmarks/grounding_threshold.py (see its docstring).
MIN_COSINE = 0.716


class Match(NamedTuple):
    """A prompt's k nearest captions (nearest first), the cosine of the nearest, and what placed it in its
    classes: e.g. "the word 'cagoule' (Coat)" (None: the sentence encoder alone), one class or several."""

    captions: list[str]
    cosine: float
    placed_by: str | None = None
    one_class: bool = False

    def low_confidence(self, min_cosine: float = MIN_COSINE) -> bool:
        """Not placed in one class by a garment word, and the nearest caption farther than `min_cosine`."""
        return not self.one_class and self.cosine < min_cosine


class CaptionIndex:
    """Training captions and their unit pooled embeddings, searched by cosine similarity; with their class
    labels and a garment lexicon, a prompt whose garment word names a class is searched among its captions."""

    def __init__(
        self,
        captions: list[str],
        pooled: torch.Tensor,
        known: set[str],
        encoder: TextEncoder | None = None,
        labels: torch.Tensor | None = None,
        lexicon: GarmentLexicon | None = None,
    ):
        if len(captions) != pooled.shape[0]:
            raise GenvisionError(f"{len(captions)} captions but {pooled.shape[0]} embeddings")
        if (labels is None) != (lexicon is None) or (labels is not None and len(labels) != len(captions)):
            raise GenvisionError("a garment lexicon needs one class label per caption")
        self.captions = list(captions)
        self.unit = F.normalize(pooled.float(), dim=-1)
        self.known = set(known) | set(captions)  # prompts answered as they are
        self.encoder = encoder  # encodes the prompts to search for; None: pass embeddings to `nearest`
        self.labels, self.lexicon = labels, lexicon

    def nearest(self, pooled: torch.Tensor, k: int) -> torch.Tensor:
        """[B, k] caption indices, most similar first, for pooled query embeddings [B, D]."""
        if not 1 <= k <= len(self.captions):
            raise GenvisionError(f"grounding k must be between 1 and {len(self.captions)}, got {k}")
        sims = F.normalize(pooled.float(), dim=-1) @ self.unit.T
        return sims.topk(k, dim=-1).indices

    def neighbours(self, prompts: list[str], k: int) -> list[list[str]]:
        """Each prompt's k nearest captions (a prompt in the set: itself alone)."""
        return [match.captions for match in self.search(prompts, k)]

    def search(self, prompts: list[str], k: int) -> list[Match]:
        """Each prompt's Match: its k nearest captions, among its garment word's classes when the lexicon
        places it (a prompt in the set: itself, cosine 1.0)."""
        if self.encoder is None:
            raise GenvisionError("this caption index has no text encoder to embed prompts with")
        self.nearest(torch.zeros(1, self.unit.shape[1]), k)  # checks k
        free = sorted({p for p in prompts if p not in self.known})
        near: dict[str, Match] = {}
        if free:
            sims = F.normalize(self.encoder.encode(free).pooled.float(), dim=-1) @ self.unit.T
            for p, row in zip(free, sims, strict=True):
                placement = self.lexicon.place(p) if self.lexicon is not None else None
                if placement is not None:  # only the captions of the classes the garment word names
                    row = row.masked_fill(~torch.isin(self.labels, torch.tensor(placement.classes)), -2.0)
                cos, found = row.topk(k)
                captions = [self.captions[j] for j, c in zip(found.tolist(), cos.tolist()) if c > -2.0]
                if placement is None:
                    near[p] = Match(captions, float(cos[0]))
                else:
                    by = self.lexicon.describe(placement)
                    near[p] = Match(captions, float(cos[0]), by, placement.confident)
        return [near.get(p, Match([p], 1.0)) for p in prompts]


def pooled_captions(captions: list[str], text: TextEncoder, cache_dir: Path | None) -> torch.Tensor:
    """[N, D] pooled embeddings of the captions, kept in `cache_dir` under a hash of the captions and the
    encoder, so the one encoder pass (~5-20 s on a CPU for 1,080 captions) is paid once per machine."""
    key = hashlib.sha256("\n".join([text.name, str(text.max_length), *captions]).encode()).hexdigest()[:16]
    path = cache_dir / f"captions_{text.name}_{key}.safetensors" if cache_dir is not None else None
    if path is not None and path.is_file():
        pooled = load_file(path)["pooled"]
        if pooled.shape[0] == len(captions):
            return pooled
    pooled = text.encode(captions).pooled.float().contiguous()
    if path is not None:
        try:  # a cache is optional: a read-only home only means encoding again next time
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            save_file({"pooled": pooled}, tmp)
            tmp.replace(path)
        except OSError:
            pass
    return pooled


def ground(
    conditions: list[Condition], index: CaptionIndex, k: int, min_cosine: float = MIN_COSINE
) -> tuple[list[Condition], dict[str, list[str]], dict[str, float], dict[str, str]]:
    """Conditions whose free-text prompts are replaced by captions (the i-th use of a prompt takes its
    (i mod k)-th nearest), for each replaced prompt the captions it was given, in image order, the rewrites of
    low confidence (prompts not placed in one class by a garment word whose nearest caption is farther than
    `min_cosine`, with that cosine; warned about), and what placed each prompt the lexicon placed."""
    if k == 0 or not any(c.prompt is not None for c in conditions):
        return list(conditions), {}, {}, {}
    prompts = [c.prompt for c in conditions if c.prompt is not None]
    unique = list(dict.fromkeys(prompts))
    near = dict(zip(unique, index.search(unique, k), strict=True))
    far = {p: m.cosine for p, m in near.items() if p not in index.known and m.low_confidence(min_cosine)}
    placed = {p: m.placed_by for p, m in near.items() if m.placed_by is not None}
    for p, cos in far.items():
        warnings.warn(
            f"prompt {p!r} is far from every training caption (nearest {near[p].captions[0]!r}, cosine "
            f"{cos:.2f} < {min_cosine:.2f}): grounded with low confidence; --grounding 0 asks the model alone",
            stacklevel=3,
        )
    seen: dict[str, int] = {}
    used: dict[str, list[str]] = {}
    out = []
    for c in conditions:
        if c.prompt is None or c.prompt in index.known:
            out.append(c)
            continue
        i = seen[c.prompt] = seen.get(c.prompt, -1) + 1
        captions = near[c.prompt].captions
        caption = captions[i % len(captions)]
        used.setdefault(c.prompt, []).append(caption)
        out.append(replace(c, prompt=caption))
    return out, used, far, placed


def grounding_info(
    k: int, used: dict[str, list[str]], far: dict[str, float], placed: dict[str, str] | None = None
) -> dict[str, object]:
    """What a result's info says about grounding: every rewritten prompt with the captions its images were given
    (and how many images each), the garment word that placed it, and the low-confidence rewrites with their
    nearest cosine."""
    if not used and not far:
        return {}
    info: dict[str, object] = {"grounding": k}
    for prompt, captions in used.items():
        counts = Counter(captions)
        info[f"prompt {prompt!r} rewritten to"] = "; ".join(f"{c!r} ×{n}" for c, n in counts.items())
        if placed and prompt in placed:
            info[f"prompt {prompt!r} placed by"] = placed[prompt]
    for prompt, cos in far.items():
        info[f"prompt {prompt!r} low confidence"] = f"nearest caption cosine {cos:.2f} < {MIN_COSINE:.2f}"
    return info
