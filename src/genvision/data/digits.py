"""scikit-learn's bundled 8x8 handwritten digits (1797 images), offline; split 80/20 deterministically."""

from __future__ import annotations

import numpy as np

from genvision.data.base import ArrayDataset, DataInfo


def load_digits_dataset(split: str = "train") -> ArrayDataset:
    from sklearn.datasets import load_digits  # noqa: PLC0415 (1.1 s to import: only for this dataset)

    bunch = load_digits()
    images = np.clip(bunch.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    cut = int(0.8 * len(images))
    idx = order[:cut] if split == "train" else order[cut:]
    info = DataInfo(
        dataset="digits",
        shape=(1, 8, 8),
        num_classes=10,
        class_names=[str(i) for i in range(10)],
        source="sklearn.datasets.load_digits",
    )
    return ArrayDataset(images[idx], labels[idx], info)
