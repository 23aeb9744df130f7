"""The dataset contract: items are dicts {image: float [C,H,W] in [-1,1], label: int64 (−1 unlabelled), mask?}.

Datasets read by the training loader also have `raw(i)`: the same item undecoded to float, {"image": uint8
[C, H, W], "label": int, "mask"?: uint8 [H, W], "index": int}, where "index" is the position actually read (a
corrupt item is replaced by a later one, and its label map and captions come along with it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from genvision.errors import GenvisionError


@dataclass
class DataInfo:
    """What a model needs to know about its data; stored in bundles under "data"."""

    dataset: str
    shape: tuple[int, int, int]  # C, H, W
    num_classes: int = 0
    class_names: list[str] | None = None
    source: str = ""  # where the files were found
    num_mask_classes: int = 0
    mask_flip_pairs: list[tuple[int, int]] | None = (
        None  # label values a horizontal flip swaps (l_eye, r_eye)
    )

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "shape": list(self.shape),
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "num_mask_classes": self.num_mask_classes,
        }


def uint8_to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N,H,W] or [N,H,W,C] → float [N,C,H,W] in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images))
    if x.ndim == 3:
        x = x.unsqueeze(-1)
    return x.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def raw_to_tensors(raw: dict) -> dict[str, torch.Tensor]:
    """A dataset's raw item (uint8 CHW image, int label, optional label map) as training tensors."""
    item = {
        "image": uint8_to_tensor(raw["image"].transpose(1, 2, 0)[None])[0],
        "label": torch.tensor(raw["label"]),
    }
    if "mask" in raw:
        item["mask"] = torch.from_numpy(raw["mask"].astype(np.int64))
    return item


def first_readable(
    decode: Callable[[int], np.ndarray], index: int, count: int, on_corrupt: str, what: str
) -> tuple[int, np.ndarray]:
    """(position, image) of the first item at or after `index` (wrapping) that `decode` reads, warning per skip;
    on_corrupt "error" re-raises instead. The caller takes every other field from the returned position."""
    for k in range(count):
        position = (index + k) % count
        try:
            return position, decode(position)
        except GenvisionError as exc:
            if on_corrupt == "error":
                raise
            warnings.warn(f"skipping unreadable {what} image: {exc}", stacklevel=4)
    raise GenvisionError(f"no {what} image could be read")


class ArrayDataset(Dataset):
    """An in-memory dataset of uint8 images (and labels, masks); `tensors()` gives the whole arrays to index on the
    host (the Trainer gathers each batch from them and moves only the batch to the device)."""

    def __init__(
        self, images: np.ndarray, labels: np.ndarray | None, info: DataInfo, masks: np.ndarray | None = None
    ):
        self.images = images
        self.labels = labels if labels is not None else np.full(len(images), -1, dtype=np.int64)
        self.masks = masks
        self.info = info

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = {
            "image": uint8_to_tensor(self.images[index : index + 1])[0],
            "label": torch.tensor(int(self.labels[index]), dtype=torch.int64),
        }
        if self.masks is not None:
            item["mask"] = torch.from_numpy(self.masks[index].astype(np.int64))
        return item

    def raw(self, index: int) -> dict:
        image = self.images[index]
        item = {
            "image": image[None] if image.ndim == 2 else image.transpose(2, 0, 1),
            "label": int(self.labels[index]),
            "index": index,
        }
        if self.masks is not None:
            item["mask"] = self.masks[index]
        return item

    def tensors(self) -> dict[str, torch.Tensor]:
        """The whole dataset as batched tensors (images as uint8 NCHW to save memory)."""
        x = torch.from_numpy(np.ascontiguousarray(self.images))
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
        out = {"image_uint8": x.contiguous(), "label": torch.from_numpy(self.labels.astype(np.int64))}
        if self.masks is not None:
            out["mask"] = torch.from_numpy(self.masks.astype(np.int64))
        return out

    def subset(self, start: int, stop: int) -> ArrayDataset:
        masks = self.masks[start:stop] if self.masks is not None else None
        return ArrayDataset(self.images[start:stop], self.labels[start:stop], self.info, masks)


class RangeSubset(Dataset):
    """Items start … stop−1 of a dataset, renumbered from 0 (keeps `info`, `raw` and per-item captions)."""

    def __init__(self, dataset: Dataset, start: int, stop: int):
        self.dataset, self.start, self.stop = dataset, start, stop
        self.info = dataset.info

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.dataset[self.start + index]

    def raw(self, index: int) -> dict:
        item = self.dataset.raw(self.start + index)
        return {**item, "index": item["index"] - self.start}

    def __getattr__(self, name: str):
        """The wrapped dataset's per-item methods (caption(i), label_map(i), ...) renumbered; other attributes."""
        if "dataset" not in self.__dict__:  # during unpickling (spawned loader workers)
            raise AttributeError(name)
        attr = getattr(self.__dict__["dataset"], name)
        if name in PER_ITEM_METHODS:
            return lambda index, *args, **kwargs: attr(self.start + index, *args, **kwargs)
        return attr


PER_ITEM_METHODS = ("caption", "captions", "label_map", "part_mask", "image")
