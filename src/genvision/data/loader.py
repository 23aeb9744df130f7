"""Streaming batches by training step through a torch DataLoader with worker processes.

The batch of step s is fixed before any worker sees it: a batch sampler yields, for s = start, start + 1, …,
the list of keys (s, i) for the dataset positions i that `indices_of(s)` names (the caller's DataOrder, for its
rank). A worker reads each key with the dataset's `raw(i)` (uint8, no float decode) and applies the augmentation
of (seed, s, i) (genvision.data.augment), so results do not depend on the number of workers or on which worker
read an item, and DataLoader returns batches in sampler order. Images cross the process boundary as uint8
(4× less than float) and become float on the device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, get_worker_info

from genvision.data.augment import flip_table, flips, hflip_item


class StepBatchSampler(Sampler):
    """Keys [(step, index), …] of steps start … stop−1; `start` may be moved before a new iteration."""

    def __init__(self, indices_of: Callable[[int], torch.Tensor], start: int, stop: int):
        self.indices_of, self.start, self.stop = indices_of, start, stop

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start, self.stop):
            yield [(step, int(i)) for i in self.indices_of(step)]

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


def raw_item(dataset: Dataset, index: int) -> dict:
    """`dataset.raw(index)`, or its float item for datasets without `raw` (image stays float [-1, 1])."""
    if hasattr(dataset, "raw"):
        return dataset.raw(index)
    item = dataset[index]
    out = {"image": item["image"].numpy(), "label": int(item["label"]), "index": index}
    if "mask" in item:
        out["mask"] = item["mask"].numpy()
    return out


class StepItems(Dataset):
    """The wrapped dataset indexed by (step, index) keys, with the hflip of (seed, step, index) applied."""

    def __init__(self, dataset: Dataset, hflip: bool, seed: int):
        self.dataset, self.hflip, self.seed = dataset, hflip, seed
        pairs = getattr(dataset.info, "mask_flip_pairs", None)
        self.table = flip_table(dataset.info.num_mask_classes, pairs) if pairs else None

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> dict:
        step, index = key
        item = raw_item(self.dataset, index)
        if self.hflip and flips(self.seed, step, index):
            item = hflip_item(item, self.table)
        return item


def stack(arrays: list[np.ndarray]) -> torch.Tensor:
    """np.stack into a new tensor; inside a worker process the tensor is made in shared memory, so handing the
    batch to the training process copies nothing more (as torch's default_collate does)."""
    first = np.asarray(arrays[0])
    out = torch.empty((len(arrays), *first.shape), dtype=torch.from_numpy(first[:0].copy()).dtype)
    if get_worker_info() is not None:
        out.share_memory_()
    np.stack(arrays, out=out.numpy())
    return out


def collate(items: list[dict]) -> dict[str, torch.Tensor]:
    """Stack raw items: "image_uint8" [B, C, H, W] (or "image" float), "label", "index", "mask" (as stored,
    e.g. uint8: 8× less to copy than int64; BatchSource widens it on the device)."""
    image = stack([it["image"] for it in items])
    batch = {
        "image_uint8" if image.dtype == torch.uint8 else "image": image,
        "label": torch.tensor([it["label"] for it in items], dtype=torch.int64),
        "index": torch.tensor([it["index"] for it in items], dtype=torch.int64),
    }
    if "mask" in items[0]:
        batch["mask"] = stack([it["mask"] for it in items])
    return batch


@dataclass
class LoaderSettings:
    num_workers: int = 0
    pin_memory: bool = False  # page-locked batches for asynchronous copies to a CUDA device
    prefetch_factor: int = 4  # batches each worker reads ahead


def step_loader(
    dataset: Dataset,
    sampler: StepBatchSampler,
    hflip: bool,
    seed: int,
    settings: LoaderSettings,
) -> DataLoader:
    """A DataLoader yielding the collated batch of each step of `sampler`, in step order."""
    workers = settings.num_workers
    return DataLoader(
        StepItems(dataset, hflip, seed),
        batch_sampler=sampler,
        num_workers=workers,
        collate_fn=collate,
        pin_memory=settings.pin_memory,
        persistent_workers=workers > 0,
        prefetch_factor=settings.prefetch_factor if workers > 0 else None,
    )
