import re

import pytest
import torch

from genvision.data.captions import (
    caption,
    caption_indices,
    caption_set,
    captions_per_class,
    celeba_captions,
    class_captions,
    class_phrases,
    fill,
    paraphrases,
    random_captions,
    templates,
    vocabulary,
    with_article,
)
from genvision.errors import DataNotFoundError, GenvisionError


def test_articles_and_phrasing():
    assert with_article("ankle boot") == "an ankle boot" and with_article("sneaker") == "a sneaker"
    assert caption("fashion-mnist", 7, "a photo of {}") == "a photo of a sneaker"
    assert (
        caption("fashion-mnist", 9, "a black-and-white picture of {}")
        == "a black-and-white picture of an ankle boot"
    )
    assert caption("mnist", 3, "an image of the {}") == "an image of the digit three"


def test_caption_set_layout_and_held_out_disjoint():
    train = caption_set("fashion-mnist", "train")
    held = caption_set("fashion-mnist", "held_out")
    per_class = captions_per_class("fashion-mnist", "train")
    assert len(train) == 10 * per_class and per_class == 3 * len(templates("fashion-mnist", "train"))
    assert not set(train) & set(held)
    # prompt k = caption k // C of class k % C
    k = 3 * 10 + 7
    assert train[k] == class_captions("fashion-mnist", 7)[3]
    assert train[k] == caption("fashion-mnist", 7, templates("fashion-mnist", "train")[3])
    assert len(set(train)) == len(train)
    assert train == caption_set("fashion-mnist", "train")  # fixed: the same set on every call and machine


def test_fashion_captions_vary_wording_with_synonyms_plurals_colours_and_materials():
    vocab = vocabulary("fashion-mnist")
    assert len(templates("fashion-mnist", "train")) >= 30
    for label in range(10):
        texts = class_captions("fashion-mnist", label)
        used = {noun for noun in vocab.nouns[label] if any(noun in t for t in texts)}
        assert len(used) >= 4, (label, used)  # synonyms and plurals, not just the class phrase
        assert any(n in vocab.plurals for n in used)
        assert any(c in t.split() for t in texts for c in vocab.colours)
        assert any(m in t.split() for t in texts for m in vocab.materials[label])
        for template in templates("fashion-mnist", "train"):  # every template used for every class
            frame = re.compile(re.escape(template).replace(r"\{\}", ".+") + "$")
            assert any(frame.match(t) for t in texts), (label, template)
    # plurals take no article; singular nouns keep theirs
    assert fill("a photo of {}", "black boots", plural=True) == "a photo of black boots"
    assert fill("a photo of {}", "ankle boot") == "a photo of an ankle boot"


def assert_no_training_template_frames(prompts: list[str]) -> None:
    """No training template other than the bare "{}" frames any of `prompts`."""
    frames = [
        re.compile(re.escape(t).replace(r"\{\}", ".+") + "$")
        for t in templates("fashion-mnist", "train")
        if t != "{}"
    ]
    for prompt in prompts:
        assert not any(f.match(prompt) for f in frames), prompt


@pytest.mark.parametrize("split", ["held_out", "validation"])
def test_paraphrases_are_fifty_and_worded_unlike_every_training_caption(split):
    table = paraphrases("fashion-mnist", split)
    assert len(table) == 10 and all(len(ps) == 5 for ps in table)
    prompts = [p for ps in table for p in ps]
    assert len(set(prompts)) == 50
    other = "validation" if split == "held_out" else "held_out"
    assert not set(prompts) & {p for ps in paraphrases("fashion-mnist", other) for p in ps}
    seen = set(caption_set("fashion-mnist", "train")) | set(caption_set("fashion-mnist", "held_out"))
    assert not set(prompts) & seen
    assert_no_training_template_frames(prompts)
    with pytest.raises(GenvisionError, match=f"no {split.replace('_', '-')} paraphrases"):
        paraphrases("mnist", split)
    with pytest.raises(
        GenvisionError, match="must be 'held_out', 'validation', 'rare', 'rare2', 'rare3' or 'rare4'"
    ):
        paraphrases("fashion-mnist", "test")


def test_rare_synonym_paraphrases_use_words_no_other_list_or_caption_uses():
    """The rare-synonym list (issue 34): 3 prompts per class whose garment word appears in no training caption,
    held-out caption, held-out or validation paraphrase; and no training template frames them."""
    table = paraphrases("fashion-mnist", "rare")
    assert len(table) == 10 and all(len(ps) == 3 for ps in table)
    others = [
        p for split in ("held_out", "validation") for ps in paraphrases("fashion-mnist", split) for p in ps
    ]
    others += caption_set("fashion-mnist", "train") + caption_set("fashion-mnist", "held_out")
    words = set(re.findall(r"[a-z]+", " ".join(others).lower()))
    rare = {"cagoule", "greatcoat", "pinafore", "jodhpurs", "plimsolls", "haversack", "reticule", "chukkas"}
    assert rare <= set(re.findall(r"[a-z]+", " ".join(p for ps in table for p in ps)))
    assert not rare & words


def test_second_rare_list_uses_garment_words_no_earlier_list_or_caption_uses():
    """The second rare-synonym list (issue 34, written before the lexical grounding): 4 prompts per class whose
    garment words appear in no training or held-out caption, no held-out, validation or first rare paraphrase."""
    table = paraphrases("fashion-mnist", "rare2")
    assert len(table) == 10 and all(len(ps) == 4 for ps in table)
    others = [
        p
        for split in ("held_out", "validation", "rare")
        for ps in paraphrases("fashion-mnist", split)
        for p in ps
    ]
    others += caption_set("fashion-mnist", "train") + caption_set("fashion-mnist", "held_out")
    words = set(re.findall(r"[a-z]+", " ".join(others).lower()))
    new = {"ringer", "racerback", "trackies", "khakis", "culottes", "aran", "peacoat", "windbreaker"}
    new |= {"slingbacks", "espadrille", "overshirt", "poplin", "tennies", "rucksack", "holdall", "shooties"}
    assert new <= set(re.findall(r"[a-z]+", " ".join(p for ps in table for p in ps)))
    assert not new & words
    assert not {p for ps in table for p in ps} & set(others)


# The word that names the garment in each prompt of the third and fourth rare lists, class by class, in order.
RARE3_GARMENT_WORDS = (
    ("tube", "banian", "halter", "bandeau", "vest"),
    ("sweatpants", "strides", "trews", "churidars", "capris"),
    ("quarter", "skivvy", "sloppy", "pully", "half"),
    ("lbd", "anarkali", "cheongsam", "dirndl", "muumuu"),
    ("slicker", "oilskin", "sherwani", "harrington", "chesterfield"),
    ("chappals", "kolhapuris", "jellies", "zoris", "slops"),
    ("guayabera", "kurta", "barong", "ocbd", "tattersall"),
    ("creps", "gutties", "pt", "takkies", "basketball"),
    ("hobo", "jhola", "knapsack", "shopper", "bumbag"),
    ("paddock", "dealer", "monkey", "brogue", "half"),
)
RARE4_GARMENT_WORDS = (
    ("bardot", "sando", "bodysuit", "peplum", "crop"),
    ("jeggings", "drainpipes", "trackpants", "pedal", "salwar"),
    ("cardi", "bunny", "cowichan", "gansey", "hoody"),
    ("qipao", "housedress", "flare", "skater", "flapper"),
    ("duster", "letterman", "topcoat", "bandhgala", "hardshell"),
    ("chanclas", "plakkies", "tsinelas", "geta", "sandalettes"),
    ("flanny", "gingham", "aloha", "batik", "bush"),
    ("sannies", "plimmies", "cross", "trail", "training"),
    ("pocketbook", "daypack", "schoolbag", "kete", "potli"),
    ("vellies", "george", "stockman", "wellies", "cowboy"),
)


@pytest.mark.parametrize(
    ("split", "earlier", "garment_words"),
    [
        ("rare3", ("rare", "rare2"), RARE3_GARMENT_WORDS),
        ("rare4", ("rare", "rare2", "rare3"), RARE4_GARMENT_WORDS),
    ],
)
def test_blind_rare_list_names_each_garment_with_a_word_no_earlier_list_or_caption_uses(
    split, earlier, garment_words
):
    """The third and fourth rare-synonym lists (issue 34, each written blind before the lexicon change it tests):
    5 prompts per class, each naming its garment with a word found in no training or held-out caption and no
    held-out, validation or earlier rare paraphrase; no prompt repeats one of theirs or is framed by a template."""
    table = paraphrases("fashion-mnist", split)
    assert len(table) == 10 and all(len(ps) == 5 for ps in table)
    prompts = [p for ps in table for p in ps]
    assert len(set(prompts)) == 50
    others = [
        p
        for other in ("held_out", "validation", *earlier)
        for ps in paraphrases("fashion-mnist", other)
        for p in ps
    ]
    others += caption_set("fashion-mnist", "train") + caption_set("fashion-mnist", "held_out")
    words = set(re.findall(r"[a-z]+", " ".join(others).lower()))
    for ps, class_words in zip(table, garment_words, strict=True):
        for prompt, word in zip(ps, class_words, strict=True):
            assert word in re.findall(r"[a-z]+", prompt.lower()), (prompt, word)
            assert word not in words, (prompt, word)
    assert not set(prompts) & set(others)
    assert_no_training_template_frames(prompts)


def test_caption_indices_cover_captions_and_keep_class():
    labels = torch.arange(10).repeat(200)
    gen = torch.Generator().manual_seed(0)
    idx = caption_indices(labels, per_class=8, num_classes=10, gen=gen)
    assert torch.equal(idx % 10, labels)
    assert set((idx // 10).tolist()) == set(range(8))


def test_random_captions_reproducible_and_name_the_class():
    labels = torch.tensor([0, 5, 9])
    a = random_captions("fashion-mnist", labels, "held_out", seed=1)
    assert a == random_captions("fashion-mnist", labels, "held_out", seed=1)
    for text, label in zip(a, labels.tolist()):
        assert class_phrases("fashion-mnist")[label] in text


def test_mnist_caption_set_is_unchanged_template_by_class():
    train = caption_set("mnist", "train")
    assert len(train) == 60 and train[2 * 10 + 4] == "an image of the digit four"


def test_other_dataset_uses_class_names():
    assert caption_set("digits", "train", class_names=["Zero", "One"])[:2] == [
        "a photo of a zero",
        "a photo of an one",
    ]


def test_celeba_captions(tmp_path):
    (tmp_path / "celeba-caption").mkdir()
    (tmp_path / "celeba-caption" / "17.txt").write_text("She has blond hair.\n\nShe is smiling.\n")
    assert celeba_captions(tmp_path, 17) == ["She has blond hair.", "She is smiling."]
    with pytest.raises(DataNotFoundError, match="18.txt"):
        celeba_captions(tmp_path, 18)


def test_no_caption_repeats_a_word():
    texts = caption_set("fashion-mnist", "train")
    assert not [t for t in texts if re.search(r"\b(\w+) \1\b", t)]  # e.g. "heeled heeled boots"
