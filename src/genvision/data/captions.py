"""Captions for text conditioning.

Fashion-MNIST and MNIST have no captions, so they are generated from the labels with varied templates
("a photo of a sneaker", "a black-and-white picture of an ankle boot", ...). Some templates are kept out
of training (`split="held_out"`) so that a text-conditional model can be measured on phrasings it never saw.
CelebAMask-HQ ships captions as `celeba-caption/{index}.txt` (one caption per line) when present.

The caption set of a labelled dataset is finite: prompt k of `caption_set(dataset, split)` is template
k // num_classes applied to class k % num_classes, so text embeddings can be cached once per set.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.errors import DataNotFoundError, GenvisionError

# What each class is called in a sentence (the dataset's own class names are labels, not phrases).
CLASS_PHRASES: dict[str, tuple[str, ...]] = {
    "fashion-mnist": (
        "t-shirt",
        "pair of trousers",
        "pullover",
        "dress",
        "coat",
        "sandal",
        "shirt",
        "sneaker",
        "bag",
        "ankle boot",
    ),
    "mnist": (
        "digit zero",
        "digit one",
        "digit two",
        "digit three",
        "digit four",
        "digit five",
        "digit six",
        "digit seven",
        "digit eight",
        "digit nine",
    ),
}

# "{}" is replaced by the class phrase with its article ("a sneaker", "an ankle boot").
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "fashion-mnist": {
        "train": (
            "a photo of {}",
            "a black-and-white picture of {}",
            "a grayscale image of {}",
            "{}",
            "a product photo of {}",
            "a small picture of {}",
            "a low-resolution photo of {}",
            "a centered image of {}",
        ),
        "held_out": (
            "a catalogue picture showing {}",
            "an image of {} on a dark background",
            "here is {}",
        ),
    },
    "mnist": {
        "train": (
            "a handwritten {}",
            "a photo of {}",
            "an image of the {}",
            "{}",
            "a scanned {}",
            "a white {} on black",
        ),
        "held_out": (
            "someone wrote {}",
            "a picture showing the {}",
        ),
    },
}


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


def templates(dataset: str, split: str = "train") -> tuple[str, ...]:
    """Caption templates of `split` ("train" or "held_out"); other datasets use the Fashion-MNIST ones."""
    if split not in ("train", "held_out"):
        raise GenvisionError(f"caption split must be 'train' or 'held_out', got {split!r}")
    return TEMPLATES.get(dataset, TEMPLATES["fashion-mnist"])[split]


def caption(dataset: str, label: int, template: str, class_names: list[str] | None = None) -> str:
    """Apply one template to one class."""
    phrase = class_phrases(dataset, class_names)[label]
    if template.startswith("{}"):
        return template.format(phrase)  # a bare phrase reads better without an article
    if "the {}" in template:
        return template.format(phrase)
    return template.format(with_article(phrase))


def caption_set(dataset: str, split: str = "train", class_names: list[str] | None = None) -> list[str]:
    """Every caption of a split: prompt k = template k // C applied to class k % C."""
    phrases = class_phrases(dataset, class_names)
    return [
        caption(dataset, label, t, class_names)
        for t in templates(dataset, split)
        for label in range(len(phrases))
    ]


def caption_indices(
    labels: torch.Tensor, num_templates: int, num_classes: int, gen: torch.Generator | None = None
) -> torch.Tensor:
    """Index into `caption_set` for each label, with a template drawn uniformly per sample."""
    template = torch.randint(
        num_templates, labels.shape, generator=gen, device=gen.device if gen is not None else labels.device
    )
    return template.to(labels.device) * num_classes + labels


def random_captions(
    dataset: str,
    labels: torch.Tensor,
    split: str = "train",
    seed: int = 0,
    class_names: list[str] | None = None,
) -> list[str]:
    """One caption per label, each with a template drawn from `split` (reproducible for a seed)."""
    prompts = caption_set(dataset, split, class_names)
    num_classes = len(class_phrases(dataset, class_names))
    gen = torch.Generator().manual_seed(seed)
    idx = caption_indices(labels.cpu().long(), len(templates(dataset, split)), num_classes, gen)
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
