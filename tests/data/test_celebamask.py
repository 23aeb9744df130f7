import pytest

from genvision.data import load_dataset
from genvision.data.celebamask import LABELS, PARTS, CelebAMaskHQ, part_index
from genvision.data.synthetic import make_mini_celebamask_tree
from genvision.errors import DataNotFoundError


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_mini_celebamask_tree(tmp_path_factory.mktemp("celeba"), n=20, size=32, mask_size=32)


def test_layout_split_and_shapes(tree):
    train = CelebAMaskHQ(tree, "train", image_size=16)
    test = CelebAMaskHQ(tree, "test", image_size=16)
    assert len(train) == 18 and len(test) == 2 and test.ids == [0, 10]
    item = train[0]
    assert item["image"].shape == (3, 16, 16) and item["mask"].shape == (16, 16)
    assert len(PARTS) == 18 and LABELS[0] == "background"


def test_merged_label_map_matches_part_files(tree):
    ds = CelebAMaskHQ(tree, "all", image_size=32)
    label = ds.label_map(3)
    hair = ds.part_mask(3, "hair")
    assert hair.any() and (label[hair] == part_index("hair")).all()
    assert (label == 0).any(), "explicit background class"
    eyes = label == part_index("l_eye")
    assert eyes.any() and not (eyes & hair).any()
    assert part_index("hair") == 13
    assert ds.caption(3).startswith("A person with")
    cached = list(ds.cache.glob("*.png"))
    assert any(p.name == "3.png" for p in cached), "merged masks are cached once"


def test_through_registry_and_missing_root(tree, tmp_path):
    ds = load_dataset("celebamask-hq:test:1", data_dir=tree, image_size=16, with_masks=True)
    assert len(ds) == 1 and ds[0]["mask"].max() > 0
    with pytest.raises(DataNotFoundError, match="CelebA-HQ-img"):
        CelebAMaskHQ(tmp_path / "nothing")
