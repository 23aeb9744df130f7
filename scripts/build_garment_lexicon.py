"""Build the garment lexicon of lexical grounding from WordNet 3.0 and a curated vocabulary (scripts/garment_words.txt).

    python scripts/build_garment_lexicon.py                 # write src/genvision/conditioning/assets/...json
    python scripts/build_garment_lexicon.py --show Coat     # print a class's words instead
    python scripts/build_garment_lexicon.py --wordnet DIR   # another WordNet folder (default /usr/share/wordnet)

Each Fashion-MNIST class has a few root synsets (ROOTS, chosen on the validation and first rare paraphrase lists
only). A class's words are every lemma of the hyponym closure of its roots, the closure stopping at the roots of
the other classes, so a T-shirt (a kind of shirt in WordNet) belongs to T-shirt/top, not to Shirt. A word under
roots of two classes (by two paths, or two senses) keeps both. A class's first root names the class; its further
roots may be broader ("shoe", "top"), and their own words name every class whose roots lie beneath them too
("shoe": Sneaker, Sandal or Ankle boot). Nothing at runtime reads WordNet: the result is a
small JSON file shipped in the package, with WordNet's licence notice.

The curated vocabulary (garment_words.txt, written by hand: modern shop, regional and slang words WordNet 3.0
lacks) is merged in: a word's classes are the union of both sources' ("pump": Sneaker by WordNet, Sandal by the
curated list), less those its `[not Class]` sections name (WordNet files heels such as "slingback" under "shoe",
hence Sneaker), and `sources` records where each word came from ("wordnet", "curated" or "wordnet+curated"). A WordNet lemma excluded as a fabric or colour
stays out unless the curated list names it ("mackintosh"). Words of `[fallback Class]` sections (fabrics and
patterns named as a garment, "a tattersall"; words mostly used otherwise, "a hobo") are listed in `fallback`: the
lexicon takes one as a prompt's garment only where no other garment word is.

WordNet's files (wndb(5)): index.noun lines are `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt
tagsense_cnt synset_offset...` (offsets in sense order); data.noun lines, found by seeking to their byte offset,
are `offset lex_filenum ss_type w_cnt(hex) [word lex_id]... p_cnt [symbol offset pos source/target]... | gloss`;
hyponyms are the pointers `~` (and `~i` for instances). noun.exc lines are `irregular_form base_form...`.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "genvision" / "conditioning" / "assets" / "garment_lexicon.json"
CURATED = REPO / "scripts" / "garment_words.txt"
WORDNET = Path("/usr/share/wordnet")
HYPONYM = {"~", "~i"}

# class name -> root synsets as (lemma, sense number in index.noun); chosen on the development lists only
ROOTS: dict[str, tuple[tuple[str, int], ...]] = {
    "T-shirt/top": (("jersey", 3), ("undershirt", 1), ("tank_top", 1), ("camisole", 1), ("top", 10)),
    "Trouser": (("trouser", 1),),
    "Pullover": (("sweater", 1),),
    "Dress": (("dress", 1),),
    "Coat": (("coat", 1),),
    "Sandal": (("sandal", 1), ("slipper", 1)),  # backless slippers (mules, scuffs) look like sandals
    "Shirt": (("shirt", 1), ("blouse", 1)),  # a blouse is a "top" in WordNet, a shirt in Fashion-MNIST
    "Sneaker": (("gym_shoe", 1), ("shoe", 1)),  # the dataset's only class of closed low shoes
    "Bag": (("bag", 1), ("bag", 4), ("bag", 6), ("satchel", 1)),
    "Ankle boot": (("boot", 1), ("chukka", 2), ("bootee", 1)),  # ankle-high shoes and booties
}
# A word whose first (most frequent) noun sense is a fabric ("flannel", "tweed"), or with any sense a colour
# ("white"), names a material or a colour in a prompt more often than a garment: it is left out.
FABRIC, COLOUR = ("fabric", 1), ("color", 1)


def normalise(lemma: str) -> str:
    """'T-shirt' / 'tee_shirt' / "Levi's" -> 't shirt' / 'tee shirt' / 'levis': lower case, words of letters and
    digits, apostrophes dropped (as the lexicon reads a prompt)."""
    return " ".join(re.findall(r"[a-z0-9]+", lemma.lower().replace("'", "")))


def licence(folder: Path) -> str:
    """WordNet's licence notice: the header lines of data.noun (each starts with two spaces and its number)."""
    lines = []
    with open(folder / "data.noun", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("  "):
                break
            lines.append(re.sub(r"^\s+\d+ ?", "", line.rstrip()).rstrip())
    return "\n".join(lines).strip()


def senses(path: Path) -> dict[str, list[int]]:
    """lemma -> its synset offsets in sense order, from an index file (index.noun, index.adj)."""
    out: dict[str, list[int]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith(" "):
                fields = line.split()
                out[fields[0]] = [int(x) for x in fields[-int(fields[2]) :]]
    return out


def synset(data, offset: int, kinds: set[str] = HYPONYM) -> tuple[list[str], list[int]]:
    """The lemmas of the synset at byte `offset` of an open data.noun, and its pointers of `kinds` to nouns."""
    data.seek(offset)
    fields = data.readline().decode("utf-8").split(" | ")[0].split()
    count = int(fields[3], 16)
    words = fields[4 : 4 + 2 * count : 2]
    at = 4 + 2 * count
    pointers = [fields[at + 1 + 4 * i : at + 5 + 4 * i] for i in range(int(fields[at]))]
    return words, [int(p[1]) for p in pointers if p[0] in kinds and p[2] == "n"]


def closure(data, roots: list[int], stop: set[int], kinds: set[str] = HYPONYM) -> set[int]:
    """The roots and every synset below them (above them with kinds {"@", "@i"}), not entering `stop`."""
    seen, todo = set(), list(roots)
    while todo:
        offset = todo.pop()
        if offset in seen:
            continue
        seen.add(offset)
        todo += [h for h in synset(data, offset, kinds)[1] if h not in stop]
    return seen


def wordnet_words(folder: Path, roots: dict[str, tuple[tuple[str, int], ...]]) -> tuple[dict, dict]:
    """word -> class indices from WordNet's hyponym closures, and the lemmas left out (word -> why)."""
    nouns = senses(folder / "index.noun")
    root_offsets = [[nouns[lemma][n - 1] for lemma, n in pairs] for pairs in roots.values()]
    every_root = {o for offsets in root_offsets for o in offsets}
    words: dict[str, set[int]] = {}
    excluded: dict[str, str] = {}
    with open(folder / "data.noun", "rb") as data:
        fabric, colour = (nouns[lemma][n - 1] for lemma, n in (FABRIC, COLOUR))

        def above(offset: int) -> set[int]:
            return closure(data, [offset], set(), {"@", "@i"})

        owner = {o: c for c, offsets in enumerate(root_offsets) for o in offsets}
        for c, offsets in enumerate(root_offsets):
            broad = {o: {owner[b] for b in closure(data, [o], set()) & every_root} for o in offsets[1:]}
            for offset in closure(data, offsets, every_root - set(offsets)):
                for lemma in synset(data, offset)[0]:
                    found = nouns[lemma.lower()]
                    if fabric in above(found[0]):
                        excluded[normalise(lemma)] = "first sense a fabric"
                    elif any(colour in above(o) for o in found):
                        excluded[normalise(lemma)] = "a colour"
                    else:
                        words.setdefault(normalise(lemma), set()).update({c, *broad.get(offset, ())})
    return words, excluded


def curated_words(
    path: Path, classes: list[str]
) -> tuple[dict[str, set[int]], dict[str, set[int]], set[str]]:
    """word -> class indices from a curated file, word -> classes the WordNet part gives it wrongly, and the
    fallback words: `[Class]`, `[not Class]` and `[fallback Class]` sections of entries separated by commas or new
    lines, `#` starting a comment; an entry under two `[Class]` sections names both classes; a fallback entry names
    its class too."""
    words: dict[str, set[int]] = {}
    wrong: dict[str, set[int]] = {}
    fallback: set[str] = set()
    current = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#")[0].strip()
        if line.startswith("[") and line.endswith("]"):
            header = line[1:-1]
            kind, name = header.split(" ", 1) if header.split(" ")[0] in ("not", "fallback") else ("", header)
            if name not in classes:
                raise ValueError(f"{path}:{number}: unknown class {name!r}; classes are {classes}")
            current = (wrong if kind == "not" else words, classes.index(name), kind == "fallback")
            continue
        entries = [normalise(e) for e in line.split(",") if normalise(e)]
        if entries and current is None:
            raise ValueError(f"{path}:{number}: an entry before the first [Class] section")
        for entry in entries:
            current[0].setdefault(entry, set()).add(current[1])
            fallback |= {entry} if current[2] else set()
    return words, wrong, fallback


def build(
    folder: Path = WORDNET,
    roots: dict[str, tuple[tuple[str, int], ...]] = ROOTS,
    curated: Path | None = CURATED,
) -> dict:
    """The lexicon: class names, word -> class indices (WordNet's and the curated file's, merged), each word's
    sources, irregular plurals of lexicon words, the WordNet lemmas left out, and WordNet's notice."""
    from_wordnet, excluded = wordnet_words(folder, roots)
    from_curated, wrong, fallback = (
        curated_words(curated, list(roots)) if curated is not None else ({}, {}, set())
    )
    words = {
        w: (from_wordnet.get(w, set()) | from_curated.get(w, set())) - wrong.get(w, set())
        for w in {*from_wordnet, *from_curated}
    }
    words = {w: cs for w, cs in words.items() if cs}
    sources = {
        w: "+".join(
            s for s, d in (("wordnet", from_wordnet), ("curated", {**from_curated, **wrong})) if w in d
        )
        for w in words
    }
    plurals = {}
    for line in (folder / "noun.exc").read_text(encoding="utf-8").splitlines():
        form, *bases = line.split()
        base = next((normalise(b) for b in bases if normalise(b) in words), None)
        if base and normalise(form) not in words:
            plurals[normalise(form)] = base
    source = "WordNet 3.0 (Princeton University), generated by scripts/build_garment_lexicon.py"
    if curated is not None:
        source += f", merged with {curated.name}, a vocabulary written by hand for genvision (MIT)"
    return {
        "source": source,
        "licence": licence(folder),
        "classes": list(roots),
        "roots": {name: [f"{lemma}.n.{n}" for lemma, n in pairs] for name, pairs in roots.items()},
        "words": {w: sorted(cs) for w, cs in sorted(words.items())},
        "sources": {w: sources[w] for w in sorted(words)},
        "fallback": sorted(fallback & set(words)),
        "plurals": dict(sorted(plurals.items())),
        "excluded": {w: why for w, why in sorted(excluded.items()) if w not in words},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=WORDNET)
    parser.add_argument("--show", help="print the words of this class (or 'ambiguous') instead of writing")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--curated", type=Path, default=CURATED, help="the curated vocabulary to merge in")
    args = parser.parse_args()
    lexicon = build(args.wordnet, ROOTS, args.curated)
    if args.show:
        names = lexicon["classes"]
        for word, cs in lexicon["words"].items():
            if (args.show == "ambiguous" and len(cs) > 1) or args.show in [names[c] for c in cs]:
                print(word, [names[c] for c in cs] if len(cs) > 1 else "")
        return
    args.out.write_text(json.dumps(lexicon, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = {s: sum(s in f for f in lexicon["sources"].values()) for s in ("wordnet", "curated")}
    print(
        f"{args.out}: {len(lexicon['words'])} words ({counts['wordnet']} from WordNet, {counts['curated']} curated),"
        f" {len(lexicon['plurals'])} irregular plurals"
    )


if __name__ == "__main__":
    main()
