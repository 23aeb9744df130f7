"""The words captions are made of: each class's phrase, the caption templates, and Fashion-MNIST's vocabulary
(synonyms, plurals, colours and materials). genvision.data.captions puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass

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
