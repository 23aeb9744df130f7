"""Which Fashion-MNIST class a prompt's garment words name, from a lexicon of WordNet 3.0 and curated words.

The lexicon (assets/garment_lexicon.json, written by scripts/build_garment_lexicon.py, with WordNet's licence)
maps ~2,200 garment words to classes: the hyponyms of a few root synsets per class ("cagoule" → Coat, "reticule"
→ Bag) and a vocabulary written by hand (scripts/garment_words.txt: "trainers" → Sneaker, "gilet" → Coat); a
word of two classes keeps both ("jumper" → Pullover, Dress or Coat). A prompt is read as lower-case words,
accents dropped; the longest lexicon entry wins at each place ("ball gown" before "gown"), plurals become
singular by WordNet's own rules (-s, -ses → -s, -xes → -x, -zes → -z, -ches → -ch, -shes → -sh, -men → -man,
-ies → -y) and its exceptions. A hyphenated word counts only whole ("t-shirts" → "t shirt"; "low-top" and
"top-down" are modifiers). The garment named is the head of the first noun phrase with a garment word: its last
garment word before a preposition or conjunction ("a denim shirt with pockets" names a shirt, "a dress and
boots" a dress); a lexicon entry is one word even with a preposition in it ("over the knee boot"). Its classes
are the prompt's candidates, narrowed by a garment word before it that names some of them ("a roll-neck jumper":
Pullover, where "jumper" alone is Pullover, Dress or Coat; "a denim jacket" stays a jacket); one candidate
places it. A fallback word (a fabric or pattern named as a garment, "a tattersall"; a word mostly used otherwise,
"a hobo") is a head only in a prompt with no other garment word, and only in its first phrase ("a kilt for rugby"
names no garment); otherwise it only narrows ("a cashmere jumper": Pullover). After "pair" a word of several
classes keeps its footwear and legwear ones ("a pair of oxfords": Sneaker, where "an oxford" is a shoe or a
shirt). Apostrophes are dropped ("men's" → "mens", "PJ's" → "pjs").

    lexicon = GarmentLexicon.load(["T-shirt/top", "Trouser", ...])
    lexicon.place("a waxed cagoule")   # Placement(classes=(4,), words=('cagoule',))
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from genvision.errors import GenvisionError

LEXICON = Path(__file__).parent / "assets" / "garment_lexicon.json"
# plural ending -> singular ending, tried in this order
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("ies", "y"),
    ("s", ""),
)
# Words that end a noun phrase: garment words after them are parts, settings ("a shirt with pockets"), materials
# ("a jacket made of denim") or a second garment ("a dress and boots")
PREPOSITIONS = frozenset("with without for to that which under over in on at by from like near made".split())
CONJUNCTIONS = frozenset("and or but not nor plus than versus vs".split())
PHRASE_ENDS = PREPOSITIONS | CONJUNCTIONS
# "a pair of ..." names footwear or legwear: the classes a garment word after "pair" narrows to, where it names some
PAIRED = frozenset({"Trouser", "Sandal", "Sneaker", "Ankle boot"})


@dataclass(frozen=True)
class Placement:
    """The candidate classes (indices in the model's class order) and the garment words that gave them."""

    classes: tuple[int, ...]
    words: tuple[str, ...]

    @property
    def confident(self) -> bool:
        return len(self.classes) == 1


@dataclass(frozen=True)
class Hit:
    start: int
    end: int  # token span [start, end)
    word: str
    classes: frozenset[int]


class GarmentLexicon:
    """Garment words (lower case, words joined by one space) -> class indices, and irregular plurals."""

    def __init__(
        self,
        words: dict[str, frozenset[int]],
        plurals: dict[str, str],
        class_names: list[str],
        fallback: frozenset[str] = frozenset(),
    ):
        self.words, self.plurals, self.class_names = words, plurals, list(class_names)
        self.fallback = fallback  # words that are a head only where no other garment word is
        self.longest = max((w.count(" ") + 1 for w in words), default=1)
        self.paired = frozenset(i for i, name in enumerate(self.class_names) if name in PAIRED)

    @classmethod
    def load(cls, class_names: list[str], path: Path = LEXICON) -> GarmentLexicon:
        """The shipped lexicon, its classes matched by name to `class_names` (the model's order)."""
        data = _read(path)
        missing = [name for name in data["classes"] if name not in class_names]
        if missing:
            raise GenvisionError(f"the garment lexicon's classes {missing} are not among {class_names}")
        order = [class_names.index(name) for name in data["classes"]]
        words = {w: frozenset(order[c] for c in cs) for w, cs in data["words"].items()}
        return cls(words, data["plurals"], class_names, frozenset(data.get("fallback", ())))

    def singular(self, word: str) -> list[str]:
        """The word and its singular forms by WordNet's exceptions and suffix rules, most literal first."""
        forms = [word, self.plurals.get(word, word)]
        forms += [word[: -len(end)] + base for end, base in SUFFIXES if word.endswith(end) and len(word) > 3]
        return list(dict.fromkeys(forms))

    def hits(self, tokens: list[str]) -> list[Hit]:
        """The garment words of a prompt's tokens (`tokenize`), left to right, longest entry first at each place; a
        hyphenated word counts only as a whole ("t-shirt"), never by its parts ("low-top", "top-down" are
        modifiers)."""
        out, i = [], 0
        while i < len(tokens):
            hit = self._match(tokens, i)
            out += [hit] if hit else []
            i = hit.end if hit else i + 1
        return out

    def _match(self, tokens: list[str], i: int) -> Hit | None:
        for n in range(min(self.longest, len(tokens) - i), 0, -1):
            head = [t.replace("-", " ") for t in tokens[i : i + n - 1]]
            for form in self.singular(tokens[i + n - 1]):  # "hi-tops" -> "hi-top" -> "hi top"
                word = " ".join([*head, form.replace("-", " ")])
                if word in self.words:
                    return Hit(i, i + n, word, self.words[word])
        return None

    def place(self, prompt: str) -> Placement | None:
        """The classes named by the head of the prompt's first noun phrase with a garment word: its last garment
        word before a preposition or conjunction ("a denim shirt with pockets" → shirt), narrowed by the garment
        words before it where they share some of its classes ("a camisole top" → T-shirt/top); a fallback word is
        a head only where no other word is, in the first phrase ("a gingham" → Shirt, "a gingham dress" → Dress,
        "a kilt for rugby" → None); after "pair" only footwear and legwear ("a pair of oxfords" → Sneaker, where
        "oxford" is also a shirt); None: no garment word."""
        tokens = tokenize(prompt)
        hits = self.hits(tokens)
        covered = {i for h in hits for i in range(h.start, h.end)}
        stops = [i for i, t in enumerate(tokens) if t in PHRASE_ENDS and i not in covered]
        stops.append(len(tokens))
        heads = [h for h in hits if h.word not in self.fallback] or [h for h in hits if h.end <= stops[0]]
        for lo, hi in zip([-1, *stops], stops):
            inside = [h for h in heads if lo < h.start and h.end <= hi]
            if inside:
                head = inside[-1]
                classes, used = head.classes, [head.word]
                before = [h for h in hits if lo < h.start and h.end <= head.start]
                for modifier in reversed(before):  # narrows the head it shares classes with
                    if classes & modifier.classes and not classes <= modifier.classes:
                        classes, used = classes & modifier.classes, [modifier.word, *used]
                if {"pair", "pairs"} & set(tokens[lo + 1 : head.start]) and classes & self.paired:
                    classes = classes & self.paired  # "a pair of oxfords": shoes, not shirts
                return Placement(tuple(sorted(classes)), tuple(used))
        return None

    def describe(self, placement: Placement) -> str:
        """e.g. "the word 'cagoule' (Coat)" or "the words 'jumper' (Pullover, Dress, Coat)"."""
        words = ", ".join(repr(w) for w in placement.words)
        names = ", ".join(self.class_names[c] for c in placement.classes)
        return f"the word{'s' if len(placement.words) > 1 else ''} {words} ({names})"


def tokenize(prompt: str) -> list[str]:
    """The prompt's words: lower case, accents and apostrophes dropped ("minaudière" → "minaudiere", "levi's" →
    "levis"), hyphenated words whole."""
    plain = unicodedata.normalize("NFKD", prompt.lower()).encode("ascii", "ignore").decode().replace("'", "")
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", plain)


def lexicon_for(dataset: str, class_names: list[str] | None) -> GarmentLexicon | None:
    """The garment lexicon of a dataset's caption set (Fashion-MNIST's, when the model names its classes;
    None otherwise: grounding then uses the sentence encoder alone)."""
    if dataset != "fashion-mnist" or not set(_read(LEXICON)["classes"]) <= set(class_names or []):
        return None
    return GarmentLexicon.load(list(class_names or []))


@cache
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
