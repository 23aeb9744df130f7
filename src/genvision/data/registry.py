"""Datasets by name, and data references `NAME[:SPLIT[:INDEX|START-END]]` (END exclusive)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from genvision.data.base import ArrayDataset, DataInfo, RangeSubset
from genvision.data.celebamask import CelebAMaskHQ
from genvision.data.digits import load_digits_dataset
from genvision.data.folder import load_folder
from genvision.data.mnist import load_idx_dataset
from genvision.data.prepared import PreparedDataset
from genvision.data.synthetic import synthetic_shapes
from genvision.errors import DataNotFoundError, GenvisionError

DATASETS = ("fashion-mnist", "mnist", "celebamask-hq", "folder", "prepared", "digits", "synthetic")
PATH_DATASETS = ("folder", "prepared")  # NAME:PATH references


@dataclass
class DataRef:
    name: str
    split: str = "train"
    start: int | None = None
    stop: int | None = None
    path: str | None = None  # for folder:PATH and prepared:PATH

    def __str__(self) -> str:
        if self.name in PATH_DATASETS:
            return f"{self.name}:{self.path}"
        rng = (
            ""
            if self.start is None
            else (f":{self.start}" if self.stop == self.start + 1 else f":{self.start}-{self.stop}")
        )
        return f"{self.name}:{self.split}{rng}"


SPLITS = ("train", "test")


def parse_data_ref(text: str, default_split: str = "train") -> DataRef:
    """Parse `fashion-mnist`, `fashion-mnist:test:123`, `mnist:test:0-99`, `folder:PATH`, `prepared:PATH`."""
    for name in PATH_DATASETS:
        if text.startswith(f"{name}:"):
            return DataRef(name, "all", path=text[len(name) + 1 :])
    parts = text.split(":")
    if len(parts) > 3 or not parts[0]:
        raise GenvisionError(
            f"bad data reference {text!r}: use NAME[:SPLIT[:INDEX|START-END]], e.g. fashion-mnist:test:0-99"
        )
    name = parts[0]
    if name not in DATASETS:
        raise GenvisionError(f"unknown dataset {name!r} in {text!r}; known: {', '.join(DATASETS)}")
    ref = DataRef(name, parts[1] if len(parts) > 1 and parts[1] else default_split)
    if len(parts) == 3:
        spec = parts[2]
        try:
            if "-" in spec:
                a, b = spec.split("-", 1)
                ref.start, ref.stop = int(a), int(b)
            else:
                ref.start = int(spec)
                ref.stop = ref.start + 1
        except ValueError as exc:
            raise GenvisionError(f"bad index range {spec!r} in {text!r}: use INDEX or START-END") from exc
        if ref.start < 0 or ref.stop <= ref.start:
            raise GenvisionError(f"empty or negative index range {spec!r} in {text!r} (END is exclusive)")
    return ref


def _resize_array_dataset(ds: ArrayDataset, size: int | None, channels: int | None) -> ArrayDataset:
    """Explicitly requested resize / channel change of an in-memory dataset (never silent padding)."""
    images = ds.images
    c, h, w = ds.info.shape
    if channels is not None and channels != c:
        images = (
            np.repeat(images[..., None], 3, -1)
            if channels == 3 and images.ndim == 3
            else images.mean(-1).round().astype(np.uint8)
            if channels == 1
            else images
        )
        c = channels
    if size is not None and (size, size) != (h, w):
        x = torch.from_numpy(np.ascontiguousarray(images)).float()
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        x = x.round().clamp(0, 255).to(torch.uint8)
        images = (x[:, 0] if c == 1 else x.permute(0, 2, 3, 1)).numpy()
        h = w = size
    if images is ds.images:
        return ds
    info = DataInfo(**{**ds.info.__dict__, "shape": (c, h, w)})
    return ArrayDataset(images, ds.labels, info, ds.masks)


def check_data_dir(data_dir: str | Path | None) -> Path | None:
    """An explicitly named dataset folder, which must exist (None: look in the default places)."""
    if data_dir is None or str(data_dir) == "":
        return None
    path = Path(data_dir)
    if not path.is_dir():
        state = "is a file, not a folder" if path.exists() else "does not exist"
        raise DataNotFoundError(
            f"--data-dir {path} {state}: name the folder that holds the dataset files, or drop --data-dir"
        )
    return path


def load_dataset(
    name: str,
    split: str = "train",
    data_dir: str | Path | None = None,
    image_size: int | None = None,
    channels: int | None = None,
    with_masks: bool = False,
    on_corrupt: str = "skip",
    limit: int | None = None,
) -> Dataset:
    """A dataset by name or reference; items are dicts (see data.base); `.info` describes it."""
    check_data_dir(data_dir)
    ref = parse_data_ref(name, split) if ":" in name else DataRef(name, split)
    if ref.name not in PATH_DATASETS and ref.split not in SPLITS:
        raise DataNotFoundError(f"{ref.name} has the splits {' and '.join(SPLITS)}, not {ref.split!r}")
    if ref.name in ("fashion-mnist", "mnist"):
        ds: Dataset = load_idx_dataset(ref.name, ref.split, data_dir)
    elif ref.name == "digits":
        ds = load_digits_dataset(ref.split)
    elif ref.name == "synthetic":
        ds = synthetic_shapes(
            n=512 if ref.split == "train" else 128,
            size=image_size or 16,
            seed=0 if ref.split == "train" else 1,
        )
    elif ref.name == "folder":
        ds = load_folder(ref.path or data_dir, image_size, channels, on_corrupt)
    elif ref.name == "prepared":
        ds = PreparedDataset(ref.path, image_size, channels)
    elif ref.name == "celebamask-hq":
        ds = CelebAMaskHQ(
            data_dir, ref.split, image_size=image_size or 256, with_masks=with_masks, on_corrupt=on_corrupt
        )
    else:  # pragma: no cover - parse_data_ref rejects unknown names
        raise DataNotFoundError(f"unknown dataset {name!r}")
    if isinstance(ds, ArrayDataset):
        ds = _resize_array_dataset(ds, image_size, channels)
        stop = ref.stop if ref.stop is not None else limit
        if ref.start is not None or limit is not None:
            start = ref.start or 0
            if start >= len(ds):
                raise GenvisionError(
                    f"index {start} is out of range: {ref.name}:{ref.split} has {len(ds)} images"
                )
            ds = ds.subset(start, min(stop if stop is not None else len(ds), len(ds)))
    elif ref.start is not None or limit is not None:
        stop = min(ref.stop if ref.stop is not None else (limit or len(ds)), len(ds))
        ds = RangeSubset(ds, ref.start or 0, stop)
    return ds


def load_images_from_ref(
    ref: str, data_dir: str | Path | None = None, image_size: int | None = None, channels: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, DataInfo]:
    """All images of a data reference as a float tensor [N, C, H, W] in [-1, 1] plus labels."""
    ds = load_dataset(ref, data_dir=data_dir, image_size=image_size, channels=channels)
    if isinstance(ds, ArrayDataset):
        t = ds.tensors()
        return t["image_uint8"].float().div(127.5).sub(1.0), t["label"], ds.info
    items = [ds[i] for i in range(len(ds))]
    return torch.stack([it["image"] for it in items]), torch.stack([it["label"] for it in items]), ds.info
