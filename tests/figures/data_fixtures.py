"""Small stand-ins for the report's datasets: an MNIST-like IDX folder and a CelebAMask-HQ tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genvision.data.digits import load_digits_dataset
from genvision.data.idx import write_idx
from genvision.data.synthetic import make_mini_celebamask_tree


def write_idx_folder(folder: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """The four IDX files of an MNIST-layout folder (the same images for train and test)."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def digit_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits drawn 16×16 inside a black 28×28 frame, as MNIST centres its 20×20 digits."""
    ds = load_digits_dataset("train")
    big = np.kron(ds.images, np.ones((2, 2), dtype=np.uint8))
    framed = np.zeros((len(big), 28, 28), dtype=np.uint8)
    framed[:, 6:22, 6:22] = big
    return framed, ds.labels


def mnist_like(folder: Path) -> Path:
    return write_idx_folder(folder, *digit_images())


def celebamask_like(folder: Path) -> Path:
    return make_mini_celebamask_tree(folder, n=12, size=64, mask_size=32)
