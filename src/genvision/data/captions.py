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
from dataclasses import dataclass
from pathlib import Path

import torch

from genvision.data.rare_paraphrases import RARE_PARAPHRASES
from genvision.errors import DataNotFoundError, GenvisionError
from genvision.seeding import Draws, draw_integers

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

# "{}" is replaced by the class phrase with its article ("a sneaker", "an ankle boot"; plurals take none).
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
            "a picture of {}",
            "an image of {}",
            "a thumbnail of {}",
            "a shop listing photo of {}",
            "{} for sale",
            "a close-up of {}",
            "a studio photo of {}",
            "a monochrome photo of {}",
            "a scan of {}",
            "a tiny grayscale photo of {}",
            "an online store image of {}",
            "a flat-lay photo of {}",
            "a cropped photo of {}",
            "an example of {}",
            "{} on a black background",
            "{}, isolated on black",
            "a blurry photo of {}",
            "a sharp photo of {}",
            "a fashion photo of {}",
            "a clothing item: {}",
            "a simple photo of {}",
            "a web shop thumbnail of {}",
            "a dim photo of {}",
            "a bright photo of {}",
            "new in stock: {}",
            "an old photo of {}",
            "a front view of {}",
            "a top-down photo of {}",
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


@dataclass(frozen=True)
class Vocabulary:
    """The ways a caption may name each class: nouns (synonyms and plurals) and the modifiers that suit them.

    Caption j of class c uses template j mod T with a noun and at most one colour and one material drawn
    from a generator seeded by (dataset, c, j), so the caption set is fixed and needs no stored list."""

    nouns: tuple[tuple[str, ...], ...]  # per class; nouns[c][0] is the class phrase
    materials: tuple[tuple[str, ...], ...] = ()  # per class
    colours: tuple[str, ...] = ()
    plurals: frozenset[str] = frozenset()
    per_template: int = 1  # captions per class and template


FASHION_VOCABULARY = Vocabulary(
    nouns=(
        ("t-shirt", "t-shirts", "tee", "tees", "tshirt", "top with short sleeves", "crew-neck top"),
        ("pair of trousers", "trousers", "pants", "jeans", "pair of jeans", "leggings", "pair of pants"),
        ("pullover", "pullovers", "sweater", "sweaters", "jumper", "jumpers", "sweatshirt"),
        ("dress", "dresses", "summer dress", "maxi dress", "women's dress", "cocktail dress"),
        ("coat", "coats", "jacket", "jackets", "raincoat", "winter coat", "blazer"),
        ("sandal", "sandals", "flip-flop", "flip-flops", "open-toe shoe", "strappy sandal", "slide sandals"),
        ("shirt", "shirts", "blouse", "blouses", "button-up shirt", "collared shirt", "dress shirt"),
        ("sneaker", "sneakers", "trainer", "trainers", "running shoe", "sports shoes", "athletic shoe"),
        ("bag", "bags", "handbag", "handbags", "purse", "tote bag", "backpack", "shoulder bag"),
        ("ankle boot", "ankle boots", "boot", "boots", "short boot", "bootie", "heeled boots"),
    ),
    materials=(
        ("cotton", "printed", "plain"),
        ("denim", "cotton", "wool", "slim"),
        ("wool", "knitted", "cashmere", "fleece"),
        ("silk", "cotton", "long", "short"),
        ("wool", "leather", "padded", "long"),
        ("leather", "rubber", "flat", "heeled"),
        ("cotton", "linen", "flannel", "checked"),
        ("canvas", "leather", "mesh", "high-top"),
        ("leather", "canvas", "small", "large"),
        ("leather", "suede", "lace-up", "heeled"),
    ),
    colours=("black", "white", "grey", "dark", "light", "navy", "red", "beige", "brown", "striped"),
    plurals=frozenset(
        {
            "t-shirts",
            "tees",
            "trousers",
            "pants",
            "jeans",
            "leggings",
            "pullovers",
            "sweaters",
            "jumpers",
            "dresses",
            "coats",
            "jackets",
            "sandals",
            "flip-flops",
            "slide sandals",
            "shirts",
            "blouses",
            "sneakers",
            "trainers",
            "sports shoes",
            "bags",
            "handbags",
            "ankle boots",
            "boots",
            "heeled boots",
        }
    ),
    per_template=3,
)
VOCABULARIES: dict[str, Vocabulary] = {"fashion-mnist": FASHION_VOCABULARY}

# Held-out paraphrases: five prompts per class, worded unlike every training caption (no training template
# matches them), written before the model that is measured on them was trained, and never trained on.
PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (
            "a product shot of a plain crew neck tee",
            "someone's favourite short sleeve top",
            "men's basic tshirt seen from the front",
            "a casual cotton top with short sleeves",
            "catalogue image of a white tee",
        ),
        (
            "a product shot of some slim-fit jeans",
            "long pants to wear to the office",
            "a pair of chinos laid out flat",
            "women's wide-leg slacks",
            "full-length denim bottoms",
        ),
        (
            "a cosy knit sweater",
            "a product shot of a warm jumper",
            "a long-sleeved woollen sweatshirt",
            "crewneck knitwear for the winter",
            "a thick hand-knitted pullover",
        ),
        (
            "a product shot of a summer frock",
            "an elegant evening gown",
            "a sleeveless party dress for women",
            "a little black dress",
            "a knee-length sundress",
        ),
        (
            "a product shot of a heavy winter jacket",
            "a long trench coat with buttons",
            "an overcoat for cold weather",
            "a padded parka",
            "a zip-up outdoor jacket",
        ),
        (
            "a product shot of some ladies' sandals",
            "open-toe summer footwear",
            "a pair of flip flops for the beach",
            "strappy sandals with a heel",
            "slides to wear by the pool",
        ),
        (
            "a product shot of a button-down shirt",
            "a collared blouse with long sleeves",
            "a checked flannel shirt",
            "an office shirt with a collar",
            "a women's buttoned blouse",
        ),
        (
            "a product shot of some running shoes",
            "a pair of trainers for the gym",
            "low-top athletic shoes",
            "comfortable sports footwear",
            "a canvas skate shoe",
        ),
        (
            "a product shot of a leather handbag",
            "a tote to go shopping with",
            "a purse with a long strap",
            "a backpack for school",
            "a women's shoulder bag",
        ),
        (
            "a product shot of some chelsea boots",
            "short leather boots with a heel",
            "booties for the autumn",
            "winter boots that cover the ankle",
            "lace-up combat boots",
        ),
    ),
}


# Validation paraphrases: five more free-text prompts per class, worded unlike the training captions and unlike
# the held-out list above. Recipes and caption changes are chosen on these; the held-out list only measures.
VALIDATION_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (
            "a graphic tee to wear on weekends",
            "a basic v-neck top in jersey",
            "a short-sleeved cotton undershirt",
            "a loose gym top with short arms",
            "the classic white t shirt",
        ),
        (
            "a pair of cargo trousers",
            "straight-leg denim",
            "tailored suit trousers",
            "jogging bottoms with a drawstring",
            "skinny jeans in dark blue",
        ),
        (
            "a chunky cable-knit jumper",
            "a turtleneck sweater",
            "a fleece to keep warm",
            "a hoodie without a zip",
            "a soft wool knit with long sleeves",
        ),
        (
            "a flowing floor-length dress",
            "a floral wrap dress",
            "a slip dress for a night out",
            "a short dress with thin straps",
            "a pleated midi dress",
        ),
        (
            "a warm duffle coat",
            "a quilted puffer jacket",
            "a rain mac with a hood",
            "a leather biker jacket",
            "an anorak for hiking",
        ),
        (
            "gladiator sandals",
            "summer sliders",
            "a flat sandal with ankle straps",
            "beach shoes with open toes",
            "thong sandals for holidays",
        ),
        (
            "a formal white shirt with cuffs",
            "an oxford shirt",
            "a denim shirt with pockets",
            "a long-sleeved work shirt",
            "a silk blouse",
        ),
        (
            "a pair of tennis shoes",
            "white low-top kicks",
            "slip-on trainers",
            "shoes for jogging",
            "lightweight road runners",
        ),
        (
            "a clutch for the evening",
            "a messenger bag",
            "a leather satchel",
            "a duffel bag for the gym",
            "a small crossbody bag",
        ),
        (
            "suede desert boots",
            "a pair of zip-up ankle boots",
            "a block-heel boot",
            "biker boots",
            "rain boots that stop at the ankle",
        ),
    ),
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


def paraphrases(dataset: str, split: str = "held_out") -> tuple[tuple[str, ...], ...]:
    """Free-text prompts of a dataset, per class, never trained on: "held_out" measures, "validation" is for
    choosing recipes and captions, "rare" (rare synonyms, data/rare_paraphrases.py) measures too."""
    table = {"held_out": PARAPHRASES, "validation": VALIDATION_PARAPHRASES, "rare": RARE_PARAPHRASES}.get(
        split
    )
    if table is None:
        raise GenvisionError(f"paraphrase split must be 'held_out', 'validation' or 'rare', got {split!r}")
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
