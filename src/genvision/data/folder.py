"""Any folder of images (recursive); class sub-folders become labels when every image sits in one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genvision.data.base import ArrayDataset, DataInfo
from genvision.data.images import IMAGE_SUFFIXES, load_image, load_images_skipping
from genvision.errors import DataNotFoundError


def list_images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def load_folder(
    root: str | Path, image_size: int | None = None, channels: int | None = None, on_corrupt: str = "skip"
) -> ArrayDataset:
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(f"image folder {root} does not exist")
    paths = list_images(root)
    if not paths:
        raise DataNotFoundError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) found under {root}")
    if channels is None:
        channels = 1 if load_image(paths[0], None, None).ndim == 2 else 3
    if image_size is None:
        first = load_image(paths[0], None, channels)
        image_size = min(first.shape[:2])
    arrays, kept = load_images_skipping(paths, image_size, channels, on_corrupt)
    if not arrays:
        raise DataNotFoundError(f"none of the {len(paths)} images under {root} could be read")
    paths = [paths[i] for i in kept]
    parents = [p.parent for p in paths]
    class_names = None
    labels = None
    if all(par.parent == root for par in parents) and len(set(parents)) > 1:
        class_names = sorted({par.name for par in parents})
        labels = np.array([class_names.index(par.name) for par in parents], dtype=np.int64)
    images = np.stack(arrays)
    info = DataInfo(
        dataset=f"folder:{root}",
        shape=(channels, image_size, image_size),
        num_classes=len(class_names or []),
        class_names=class_names,
        source=str(root),
    )
    return ArrayDataset(images, labels, info)
