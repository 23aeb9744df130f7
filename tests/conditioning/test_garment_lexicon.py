"""The garment lexicon of lexical grounding: lookup (plurals, multiword entries, ambiguity, head nouns), the
builder on a small WordNet written here in the wndb(5) format and a small curated file, and the shipped file
against the builder."""

import importlib.util
import json
from pathlib import Path

import pytest

from genvision.conditioning.garment_lexicon import LEXICON, GarmentLexicon, lexicon_for
from genvision.data.captions import PARAPHRASE_SPLITS, caption_set
from genvision.data.mnist import FASHION_CLASSES

REPO = Path(__file__).resolve().parents[2]
WORDNET = Path("/usr/share/wordnet")


def script(path: str):
    spec = importlib.util.spec_from_file_location(Path(path).stem, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def builder():
    return script("scripts/build_garment_lexicon.py")


@pytest.fixture(scope="module")
def lexicon():
    return GarmentLexicon.load(FASHION_CLASSES)


def names(lexicon, prompt):
    placement = lexicon.place(prompt)
    return None if placement is None else {FASHION_CLASSES[c] for c in placement.classes}


def test_plural_multiword_and_ambiguous_words(lexicon):
    assert names(lexicon, "two waxed cagoules") == {"Coat"}  # plural by the -s rule
    assert names(lexicon, "a pair of dresses") == {"Dress"}  # -ses -> -s, not "dresse"
    assert lexicon.place("satin ball gowns").words == ("ball gown",)  # the longest entry wins
    assert names(lexicon, "a ribbed tank top") == {"T-shirt/top"}  # where "top" alone is T-shirt or Shirt
    assert names(lexicon, "a cropped top") == {"T-shirt/top", "Shirt"}
    jumper = lexicon.place("a warm jumper")
    assert names(lexicon, "a warm jumper") == {"Pullover", "Dress", "Coat"} and not jumper.confident
    assert lexicon.describe(lexicon.place("a drawstring reticule")) == "the word 'reticule' (Bag)"
    assert lexicon.place("a photo of the sea") is None


def test_the_head_of_the_first_noun_phrase_names_the_garment(lexicon):
    assert names(lexicon, "a denim shirt with pockets") == {"Shirt"}  # not the denim (jeans) nor the pocket
    assert names(lexicon, "a tweed greatcoat") == {"Coat"}  # "tweed" is a fabric first: no garment
    assert names(lexicon, "a plain singlet to wear under a shirt") == {"T-shirt/top"}
    assert lexicon.place("a shoe-shaped cake") is None  # a hyphenated word counts only whole
    assert names(lexicon, "a plain t-shirt") == {"T-shirt/top"}
    assert names(lexicon, "a dress and boots") == {"Dress"}  # a conjunction ends the noun phrase
    assert names(lexicon, "a black and white striped shirt") == {"Shirt"}  # the first phrase with a garment
    assert names(lexicon, "a jacket made of denim") == {"Coat"}  # "denim" (jeans) is its material here


def test_modern_words_hyphenated_plurals_and_entries_with_a_preposition(lexicon):
    assert lexicon.place("white hi-tops").words == ("hi top",)  # a hyphenated plural becomes singular whole
    assert lexicon.place("two t-shirts").words == ("t shirt",)
    assert names(lexicon, "a pair of flip-flops") == {"Sandal"}
    assert lexicon.place("roll-neck jumpers").words == ("roll neck", "jumper")  # the head, narrowed
    assert names(lexicon, "roll-neck jumpers") == {"Pullover"}  # "jumper" alone: Pullover, Dress or Coat
    assert names(lexicon, "a fleece jumper") == {"Pullover", "Coat"}  # narrowed to the classes both name
    assert names(lexicon, "a denim jacket") == {"Coat"}  # no class in common: the head alone
    assert lexicon.place("over-the-knee boots in suede").words == ("over the knee boot",)
    assert lexicon.place("over the knee boots in suede").words == ("over the knee boot",)  # "over" inside
    assert names(lexicon, "a minaudière for the evening") == {"Bag"}  # accents dropped
    assert names(lexicon, "kitten heels") == {"Sandal"} and names(lexicon, "white trainers") == {"Sneaker"}
    assert names(lexicon, "school pumps") == {"Sandal", "Sneaker"}  # UK plimsolls, US court shoes
    assert names(lexicon, "a pair of kicks") == {"Sneaker"} and lexicon.place("a kick") is None  # plural-only
    assert names(lexicon, "grey joggers") == {"Trouser", "Sneaker"}  # running shoes in Australian English


def test_fallback_words_are_a_garment_only_alone_and_narrow_otherwise(lexicon):
    assert names(lexicon, "a cotton tattersall") == {"Shirt"}  # a pattern named as the garment
    assert names(lexicon, "a tattersall dress") == {"Dress"}  # the dress is the garment
    assert names(lexicon, "a gingham and lace dress") == {"Dress"}  # not the gingham of the first phrase
    assert names(lexicon, "a cashmere jumper") == {"Pullover"}  # a fallback word still narrows the head
    assert names(lexicon, "a slouchy hobo") == {"Bag"} and names(lexicon, "a hobo bag") == {"Bag"}
    assert names(lexicon, "a denim jacket") == {"Coat"} and names(lexicon, "faded denim") == {"Trouser"}
    assert names(lexicon, "a western with snaps") == {"Shirt", "Ankle boot"}  # a fallback word of two classes
    assert lexicon.place("a pocket knife") is None  # WordNet's pockets are parts of a garment, not bags
    assert lexicon.place("a kilt for rugby") is None  # a fallback word is a garment only in the first phrase
    assert names(lexicon, "a kilt and a rugby shirt") == {"Shirt"}  # a strong word anywhere is the garment


def test_a_pair_of_names_footwear_or_legwear(lexicon):
    assert names(lexicon, "an oxford") == {"Shirt", "Sneaker"}  # a shoe or an oxford-cloth shirt
    assert names(lexicon, "a pair of black oxfords") == {"Sneaker"}
    assert names(lexicon, "two pairs of westerns") == {"Ankle boot"}  # a shirt or a boot; a pair: boots
    assert names(lexicon, "a pair of joggers") == {"Trouser", "Sneaker"}  # both come in pairs
    assert names(lexicon, "a pair of jumpers") == {"Pullover", "Dress", "Coat"}  # none does: left as it is


def test_apostrophes_capitals_and_digits(lexicon):
    assert lexicon.place("a pair of PJ's").words == ("pjs",)  # apostrophes dropped
    assert lexicon.place("a men’s doctor's bag").words == ("doctors bag",)  # curly and straight
    assert names(lexicon, "Levi's") == {"Trouser"} and names(lexicon, "two OCBDs") == {"Shirt"}
    assert names(lexicon, "a pair of 501s") == {"Trouser"} and names(lexicon, "black 1460s") == {"Ankle boot"}
    assert names(lexicon, "white AF1s") == {"Sneaker"} and names(lexicon, "a 1/4 zip") == {"Pullover"}


def test_classes_follow_the_model_order():
    reordered = list(reversed(FASHION_CLASSES))
    placement = GarmentLexicon.load(reordered).place("a waxed cagoule")
    assert placement.classes == (reordered.index("Coat"),)
    with pytest.raises(Exception, match="not among"):
        GarmentLexicon.load(["zero", "one"])
    assert lexicon_for("mnist", FASHION_CLASSES) is None and lexicon_for("fashion-mnist", None) is None
    assert lexicon_for("fashion-mnist", reordered).place("a tote").classes == (reordered.index("Bag"),)


def write_wordnet(folder: Path, synsets: dict[str, tuple[list[str], list[str], list[str]]]) -> None:
    """index.noun, data.noun (byte offsets as wndb(5) has them) and noun.exc for synsets given as name ->
    (lemmas, hypernym names, hyponym names); a lemma's senses are numbered in the order synsets are given."""
    header = "  1 This is a made-up licence notice.  \n  2   \n  3 Second paragraph.  \n"

    def line(name: str, offsets: dict[str, int]) -> str:
        lemmas, up, down = synsets[name]
        words = " ".join(f"{w} 0" for w in lemmas)
        pointers = [f"@ {offsets[p]:08d} n 0000" for p in up] + [f"~ {offsets[p]:08d} n 0000" for p in down]
        return f"{offsets[name]:08d} 06 n {len(lemmas):02x} {words} {len(pointers):03d} {' '.join(pointers)} | {name}\n"

    offsets, at = {}, len(header)
    for name in synsets:  # fixed-width offsets: a line's length does not depend on them
        offsets[name] = at
        at += len(line(name, dict.fromkeys(synsets, 0)).encode())
    (folder / "data.noun").write_text(header + "".join(line(n, offsets) for n in synsets))
    senses: dict[str, list[int]] = {}
    for name, (lemmas, _, _) in synsets.items():
        for lemma in lemmas:
            senses.setdefault(lemma.lower(), []).append(offsets[name])
    index = [
        f"{lemma} n {len(o)} 0 {len(o)} 0 {' '.join(f'{x:08d}' for x in o)}  " for lemma, o in senses.items()
    ]
    (folder / "index.noun").write_text("  1 licence\n" + "\n".join(sorted(index)) + "\n")
    (folder / "noun.exc").write_text("geese goose\nponchoes poncho\n")


def test_builder_reads_wndb_files_and_stops_at_other_roots(tmp_path):
    write_wordnet(
        tmp_path,
        {
            "garment": (["garment"], [], ["shirt", "coat", "poncho"]),
            "shirt": (["shirt"], ["garment"], ["tee", "polo"]),
            "tee": (["T-shirt", "tee_shirt"], ["shirt"], ["ringer"]),
            "ringer": (["ringer"], ["tee"], []),
            "polo": (["polo_shirt", "polo"], ["shirt"], []),
            "coat": (["coat"], ["garment"], ["parka", "tweeds", "redcoat"]),
            "parka": (["parka", "anorak"], ["coat"], ["poncho"]),
            "poncho": (["poncho"], ["parka"], []),  # also below the cloak root: two classes
            "cloak": (["cloak"], [], ["poncho"]),
            "fabric": (["fabric", "cloth"], [], ["tweed"]),
            "tweed": (["tweed"], ["fabric"], []),
            "tweeds": (["tweed"], ["coat"], []),  # second sense of "tweed": its first is a fabric
            "color": (["color"], [], ["red"]),
            "red": (["red"], ["color"], []),
            "redcoat": (["red"], ["coat"], []),
            "outer": (["overgarment"], [], ["coat", "cloak"]),  # a broad further root of Cloak
        },
    )
    roots = {"Top": (("t-shirt", 1),), "Shirt": (("shirt", 1),), "Coat": (("coat", 1),)}
    roots["Cloak"] = (("cloak", 1), ("overgarment", 1))
    built = builder().build(tmp_path, roots, curated=None)
    assert built["licence"] == "This is a made-up licence notice.\n\nSecond paragraph."
    assert built["classes"] == ["Top", "Shirt", "Coat", "Cloak"]
    assert built["words"] == {
        "t shirt": [0],
        "tee shirt": [0],
        "ringer": [0],  # below the T-shirt root, which stops the Shirt closure
        "shirt": [1],
        "polo shirt": [1],
        "polo": [1],
        "coat": [2],
        "parka": [2],
        "anorak": [2],
        "poncho": [2, 3],  # under Coat's and Cloak's roots
        "cloak": [3],
        "overgarment": [2, 3],  # a broad further root names the classes beneath it
    }
    assert built["excluded"] == {"tweed": "first sense a fabric", "red": "a colour"}
    assert built["plurals"] == {"ponchoes": "poncho"}  # only exceptions of lexicon words
    lexicon = GarmentLexicon(
        {w: frozenset(c) for w, c in built["words"].items()}, built["plurals"], built["classes"]
    )
    assert lexicon.place("two ponchoes").classes == (2, 3)
    curated = tmp_path / "words.txt"
    curated.write_text(
        "# a comment\n[Coat]\nshacket, Parka  # WordNet's too\n\n[Shirt]\nshacket,Over-Shirt\n[Cloak]\ntweed\n"
        "[not Coat]\nponcho, overgarment\n[not Cloak]\novergarment\n[fallback Shirt]\nGingham\n"
    )
    merged = builder().build(tmp_path, roots, curated=curated)
    expected = {
        **built["words"],
        "shacket": [1, 2],
        "over shirt": [1],
        "tweed": [3],
        "poncho": [3],
        "gingham": [1],
    }
    assert merged["words"] == {w: cs for w, cs in expected.items() if w != "overgarment"}  # no class left
    assert merged["sources"]["parka"] == "wordnet+curated" and merged["sources"]["shacket"] == "curated"
    assert merged["sources"]["poncho"] == "wordnet+curated" and merged["sources"]["cloak"] == "wordnet"
    assert merged["excluded"] == {"red": "a colour"}  # "tweed" is back, by the curated list
    assert built["fallback"] == [] and merged["fallback"] == ["gingham"]
    bad_files = (("[Skirt]\nkilt\n", "unknown class 'Skirt'"), ("[fallback Skirt]\nkilt\n", "unknown class"))
    for bad, why in (*bad_files, ("kilt\n", "before the first")):
        curated.write_text(bad)
        with pytest.raises(ValueError, match=why):
            builder().build(tmp_path, roots, curated=curated)


def test_shipped_lexicon_is_what_the_script_builds():
    shipped = json.loads(LEXICON.read_text(encoding="utf-8"))
    assert shipped["classes"] == FASHION_CLASSES and "Princeton University" in shipped["licence"]
    assert LEXICON.stat().st_size < 200_000
    assert {"cagoule", "reticule", "plimsoll"} <= set(shipped["words"])
    if (WORDNET / "data.noun").is_file():  # Debian's wordnet-base (make setup-dev installs it)
        assert builder().build(WORDNET) == shipped, "stale: python scripts/build_garment_lexicon.py"
    else:  # without WordNet: the roots and curated words the script names are the ones the file was built from
        roots = {name: [f"{lemma}.n.{n}" for lemma, n in pairs] for name, pairs in builder().ROOTS.items()}
        assert shipped["roots"] == roots
        curated, wrong, fallback = builder().curated_words(builder().CURATED, FASHION_CLASSES)
        assert set(shipped["fallback"]) <= fallback
        assert {w for w, s in shipped["sources"].items() if "curated" in s} <= {*curated, *wrong}
        assert all(set(cs) <= set(shipped["words"][w]) for w, cs in curated.items() if w not in wrong)


def test_every_training_caption_is_placed_among_its_own_class(lexicon):
    """The class boundaries against the captions the model learned (caption j has class j mod 10): no garment
    word of a caption names only other classes, so no curated or WordNet word is filed in a wrong class."""
    captions = caption_set("fashion-mnist", "train") + caption_set("fashion-mnist", "held_out")
    placed = [(j % 10, lexicon.place(c)) for j, c in enumerate(captions)]
    assert all(p is not None and label in p.classes for label, p in placed)
    assert sum(p.confident for _, p in placed) > 0.9 * len(placed)


def test_no_paraphrase_prompt_is_placed_outside_its_own_class(lexicon):
    """benchmarks/lexicon_placement.py on every paraphrase list: a prompt the lexicon places leaves its own class
    among the candidates (a wrong placement is one the sentence encoder cannot recover from)."""
    bench = script("benchmarks/lexicon_placement.py")
    for split in PARAPHRASE_SPLITS:
        rows = bench.placements(lexicon, split)
        assert {r["kind"] for r in rows} <= set(bench.KINDS)
        assert [r["prompt"] for r in rows if r["kind"] == "wrong"] == [], split
    rows = bench.placements(lexicon, "held_out")
    assert sum(r["kind"] == "right" for r in rows) >= 45  # 47 of 50 with the round-2 vocabulary
