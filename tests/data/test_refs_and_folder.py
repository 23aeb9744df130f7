import numpy as np
import pytest
from PIL import Image

from genvision.data import load_dataset, parse_data_ref
from genvision.errors import GenvisionError


def test_parse_data_refs():
    r = parse_data_ref("fashion-mnist:test:0-99")
    assert (r.name, r.split, r.start, r.stop) == ("fashion-mnist", "test", 0, 99)
    r = parse_data_ref("celebamask-hq:test:17")
    assert (r.start, r.stop) == (17, 18)
    assert parse_data_ref("fashion-mnist").split == "train"
    assert parse_data_ref("folder:/a/b:c").path == "/a/b:c"
    for bad in ("nope:test", "mnist:test:5-2", "mnist:test:x", "mnist:a:b:c"):
        with pytest.raises(GenvisionError):
            parse_data_ref(bad)


def test_folder_with_classes_skips_corrupt_file_with_warning(tmp_path):
    for cls, value in (("cats", 50), ("dogs", 200)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(np.full((10, 12, 3), value, np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="broken.png"):
        ds = load_dataset(f"folder:{tmp_path}", image_size=8)
    assert len(ds) == 6 and ds.info.class_names == ["cats", "dogs"] and ds.info.shape == (3, 8, 8)
    assert sorted(ds.labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_folder_corrupt_file_can_be_an_error(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes(b"junk")
    with pytest.raises(GenvisionError, match="b.jpg"):
        load_dataset(f"folder:{tmp_path}", on_corrupt="error")


def test_digits_and_synthetic_are_offline():
    d = load_dataset("digits")
    assert d.info.shape == (1, 8, 8) and len(d) + len(load_dataset("digits", "test")) == 1797
    s = load_dataset("synthetic", image_size=16)
    assert s.masks is not None and s.masks.shape == (512, 16, 16) and set(np.unique(s.labels)) == {0, 1, 2}


def test_grayscale_folder_stays_one_channel(tmp_path):
    for i in range(3):
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.info.shape == (1, 8, 8) and ds[2]["image"].shape == (1, 8, 8)
