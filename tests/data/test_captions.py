import pytest
import torch

from genvision.data.captions import (
    caption,
    caption_indices,
    caption_set,
    celeba_captions,
    class_phrases,
    random_captions,
    templates,
    with_article,
)
from genvision.errors import DataNotFoundError


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
    assert len(train) == 10 * len(templates("fashion-mnist", "train"))
    assert not set(train) & set(held)
    # prompt k = template k // C applied to class k % C
    k = 3 * 10 + 7
    assert train[k] == caption("fashion-mnist", 7, templates("fashion-mnist", "train")[3])
    assert len(set(train)) == len(train)


def test_caption_indices_cover_templates_and_keep_class():
    labels = torch.arange(10).repeat(200)
    gen = torch.Generator().manual_seed(0)
    idx = caption_indices(labels, num_templates=8, num_classes=10, gen=gen)
    assert torch.equal(idx % 10, labels)
    assert set((idx // 10).tolist()) == set(range(8))


def test_random_captions_reproducible_and_name_the_class():
    labels = torch.tensor([0, 5, 9])
    a = random_captions("fashion-mnist", labels, "held_out", seed=1)
    assert a == random_captions("fashion-mnist", labels, "held_out", seed=1)
    for text, label in zip(a, labels.tolist()):
        assert class_phrases("fashion-mnist")[label] in text


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
