"""Captions for text conditioning.

Fashion-MNIST and MNIST have no captions, so they are generated from the labels with varied templates
("a photo of a sneaker", "black leather boots for sale", ...): Fashion-MNIST's training captions combine
36 templates with synonyms, plurals, colours and materials. Some templates are kept out of training
(`split="held_out"`), and a list of free-text paraphrases (`paraphrases`) is never trained on, so that a
text-conditional model can be measured on wordings it never saw.
CelebAMask-HQ ships captions as `celeba-caption/{index}.txt` (one caption per line) when present.

The caption set of a labelled dataset is finite and fixed: prompt k of `caption_set(dataset, split)` is
caption k // num_classes of class k % num_classes, so text embeddings can be computed once per set.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch

from genvision.data.caption_vocabulary import (
    CLASS_PHRASES,
    FASHION_VOCABULARY,
    TEMPLATES,
    VOCABULARIES,
    Vocabulary,
)
from genvision.data.paraphrases import PARAPHRASES, VALIDATION_PARAPHRASES
from genvision.data.rare_paraphrases import (
    RARE2_PARAPHRASES,
    RARE3_PARAPHRASES,
    RARE4_PARAPHRASES,
    RARE_PARAPHRASES,
)
from genvision.errors import DataNotFoundError, GenvisionError
from genvision.seeding import Draws, draw_integers

__all__ = [  # the word tables live in caption_vocabulary and paraphrases; they are importable from here too
    "CLASS_PHRASES",
    "FASHION_VOCABULARY",
    "PARAPHRASES",
    "TEMPLATES",
    "VALIDATION_PARAPHRASES",
    "VOCABULARIES",
    "Vocabulary",
]


def with_article(phrase: str) -> str:
    """'sneaker' → 'a sneaker', 'ankle boot' → 'an ankle boot', 'pair of trousers' → 'a pair of trousers'."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def class_phrases(dataset: str, class_names: list[str] | None = None) -> tuple[str, ...]:
    """The phrases naming each class; unknown datasets fall back to their lower-cased class names."""
    if dataset in CLASS_PHRASES:
        return CLASS_PHRASES[dataset]
    if not class_names:
        raise GenvisionError(f"dataset {dataset!r} has no class names to build captions from")
    return tuple(name.lower().replace("_", " ") for name in class_names)


def vocabulary(dataset: str, class_names: list[str] | None = None) -> Vocabulary:
    """The dataset's vocabulary; datasets without one name each class by its phrase only."""
    if dataset in VOCABULARIES:
        return VOCABULARIES[dataset]
    return Vocabulary(nouns=tuple((phrase,) for phrase in class_phrases(dataset, class_names)))


def templates(dataset: str, split: str = "train") -> tuple[str, ...]:
    """Caption templates of `split` ("train" or "held_out"); other datasets use the Fashion-MNIST ones."""
    if split not in ("train", "held_out"):
        raise GenvisionError(f"caption split must be 'train' or 'held_out', got {split!r}")
    return TEMPLATES.get(dataset, TEMPLATES["fashion-mnist"])[split]


def fill(template: str, phrase: str, plural: bool = False) -> str:
    """Put a noun phrase into a template: with its article, except for plurals, bare "{}…" templates and
    "the {}"."""
    if plural or template.startswith("{}") or "the {}" in template:
        return template.format(phrase)
    return template.format(with_article(phrase))


def caption(dataset: str, label: int, template: str, class_names: list[str] | None = None) -> str:
    """Apply one template to one class, named by its class phrase."""
    return fill(template, class_phrases(dataset, class_names)[label])


def captions_per_class(dataset: str, split: str = "train", class_names: list[str] | None = None) -> int:
    """How many captions each class has in `split` (held-out templates: one each)."""
    per_template = vocabulary(dataset, class_names).per_template if split == "train" else 1
    return len(templates(dataset, split)) * per_template


def class_captions(
    dataset: str, label: int, split: str = "train", class_names: list[str] | None = None
) -> list[str]:
    """The captions of one class. Held-out templates use the class phrase; training captions draw a noun and
    modifiers per caption (varied wording), the first caption of each template using the class phrase."""
    vocab, temps = vocabulary(dataset, class_names), templates(dataset, split)
    if split == "held_out":
        return [caption(dataset, label, t, class_names) for t in temps]
    nouns = vocab.nouns[label]
    materials = vocab.materials[label] if vocab.materials else ()
    out: list[str] = []
    for j in range(captions_per_class(dataset, split, class_names)):
        template = temps[j % len(temps)]
        if j < len(temps):
            out.append(fill(template, nouns[0]))
            continue
        rng = random.Random(f"{dataset}/{label}/{j}")
        while True:
            noun = rng.choice(nouns)
            words = [rng.choice(vocab.colours)] if vocab.colours and rng.random() < 0.5 else []
            if materials and rng.random() < 0.5:
                words.append(rng.choice(materials))
            words = [w for w in words if w not in noun.split()]  # no "heeled heeled boots"
            text = fill(template, " ".join([*words, noun]), plural=noun in vocab.plurals)
            if text not in out:
                out.append(text)
                break
    return out


def caption_set(dataset: str, split: str = "train", class_names: list[str] | None = None) -> list[str]:
    """Every caption of a split: prompt k is caption k // C of class k % C (equal counts per class)."""
    per_class = [
        class_captions(dataset, c, split, class_names)
        for c in range(len(vocabulary(dataset, class_names).nouns))
    ]
    return [captions[j] for j in range(len(per_class[0])) for captions in per_class]


# The free-text prompt lists by split name (`paraphrases`; the benchmarks take their names from here)
PARAPHRASE_SPLITS = {
    "held_out": PARAPHRASES,
    "validation": VALIDATION_PARAPHRASES,
    "rare": RARE_PARAPHRASES,
    "rare2": RARE2_PARAPHRASES,
    "rare3": RARE3_PARAPHRASES,
    "rare4": RARE4_PARAPHRASES,
}


def paraphrases(dataset: str, split: str = "held_out") -> tuple[tuple[str, ...], ...]:
    """Free-text prompts of a dataset, per class, never trained on: "held_out" measures, "validation" is for
    choosing recipes and captions, "rare" to "rare4" (rare synonyms, data/rare_paraphrases.py) measure too."""
    table = PARAPHRASE_SPLITS.get(split)
    if table is None:
        *first, last = map(repr, PARAPHRASE_SPLITS)
        raise GenvisionError(f"paraphrase split must be {', '.join(first)} or {last}, got {split!r}")
    if dataset not in table:
        raise GenvisionError(f"no {split.replace('_', '-')} paraphrases are written for {dataset!r}")
    return table[dataset]


def caption_indices(
    labels: torch.Tensor, per_class: int, num_classes: int, gen: Draws | None = None
) -> torch.Tensor:
    """Index into `caption_set` for each label, with one of its class's captions drawn uniformly per sample."""
    if gen is None:
        variant = torch.randint(per_class, labels.shape, device=labels.device)
    else:
        variant = draw_integers(per_class, labels.shape, gen, labels.device)
    return variant * num_classes + labels


def random_captions(
    dataset: str,
    labels: torch.Tensor,
    split: str = "train",
    seed: int = 0,
    class_names: list[str] | None = None,
) -> list[str]:
    """One caption per label, drawn from its class's captions in `split` (reproducible for a seed)."""
    prompts = caption_set(dataset, split, class_names)
    num_classes = len(vocabulary(dataset, class_names).nouns)
    gen = torch.Generator().manual_seed(seed)
    idx = caption_indices(labels.cpu().long(), len(prompts) // num_classes, num_classes, gen)
    return [prompts[i] for i in idx.tolist()]


def celeba_captions(root: str | Path, index: int) -> list[str]:
    """The captions of CelebAMask-HQ image `index` from `root/celeba-caption/{index}.txt`."""
    path = Path(root) / "celeba-caption" / f"{index}.txt"
    if not path.is_file():
        raise DataNotFoundError(
            f"caption file {path} not found: put the CelebAMask-HQ captions "
            f"(celeba-caption/0.txt ...) under {Path(root)}"
        )
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    return [line for line in lines if line]


def has_celeba_captions(root: str | Path) -> bool:
    return (Path(root) / "celeba-caption").is_dir()
