"""The dataset contract: items are dicts {image: float [C,H,W] in [-1,1], label: int64 (−1 unlabelled), mask?}."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset


@dataclass
class DataInfo:
    """What a model needs to know about its data; stored in bundles under "data"."""

    dataset: str
    shape: tuple[int, int, int]  # C, H, W
    num_classes: int = 0
    class_names: list[str] | None = None
    source: str = ""  # where the files were found
    num_mask_classes: int = 0

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


class ArrayDataset(Dataset):
    """An in-memory dataset of uint8 images (and labels, masks); `tensors()` lets the Trainer keep it on the GPU."""

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
