"""The Trainer's batches by step: only batches go to the device, never the dataset.

Two paths, chosen by the dataset, give the same batches:
- in-memory arrays (`ArrayDataset`s not memory-mapped: MNIST, Fashion-MNIST, digits, synthetic; tens of MB)
  are gathered on the host in the training process, one `index_select` per step; no DataLoader and no worker
  processes are involved (`data.num_workers` is not used);
- every other dataset (image folders, CelebAMask-HQ, prepared memory-mapped folders) is read by a torch
  DataLoader (genvision.data.loader.step_loader) with `data.num_workers` persistent, prefetching worker
  processes (0: items are read in the training process), pinned memory on CUDA.
Both take rank r's items of step s from the DataOrder and flip item i at step s by the pure hash of (seed, s, i),
so a run gives the same batches whatever the number of workers, and a resumed run continues bit-exactly.
`wait_seconds` adds up the time `get` takes (waiting for the loader's batch or the host gather, the uint8 → float
conversion and the copy to the device; on CUDA the copy is asynchronous, so only its launch is counted).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.data import Dataset

from genvision.data.augment import flip_table, flips
from genvision.data.base import ArrayDataset
from genvision.data.loader import LoaderSettings, StepBatchSampler, step_loader
from genvision.train.data_order import DataOrder


def in_memory(dataset: Dataset) -> bool:
    """Arrays held in RAM (not memory-mapped files, which would be copied whole by `tensors()`)."""
    return isinstance(dataset, ArrayDataset) and not isinstance(dataset.images, np.memmap)


class BatchSource:
    """`get(step)` → the batch dict of this rank on the device: image float [B, C, H, W] in [-1, 1], label,
    index (dataset positions, e.g. for per-item captions), mask when the data has label maps."""

    def __init__(
        self,
        dataset: Dataset,
        order: DataOrder,
        device: torch.device,
        num_workers: int,
        hflip: bool,
        seed: int,
        stop: int | None = None,
    ):
        self.order, self.device, self.hflip, self.seed = order, device, hflip, seed
        self.dataset, self.num_workers = dataset, num_workers
        self.cuda = device.type == "cuda"
        self.wait_seconds = 0.0
        pairs = getattr(dataset.info, "mask_flip_pairs", None)
        self.table = torch.from_numpy(flip_table(dataset.info.num_mask_classes, pairs)) if pairs else None
        self.tensors = dataset.tensors() if in_memory(dataset) else None
        if self.tensors is not None and self.cuda:
            self.tensors = {k: v.pin_memory() for k, v in self.tensors.items()}
        self.sampler = StepBatchSampler(order.rank_indices, 0, stop if stop is not None else 1 << 62)
        self.loader = None
        self._iter, self._next_step = None, -1

    def get(self, step: int) -> dict[str, torch.Tensor]:
        started = time.perf_counter()
        batch = self._host_batch(step) if self.tensors is not None else self._loaded_batch(step)
        out = {k: v.to(self.device, non_blocking=self.cuda) for k, v in batch.items()}
        if "image_uint8" in out:
            out["image"] = out.pop("image_uint8").float().div_(127.5).sub_(1.0)
        if "mask" in out:
            out["mask"] = out["mask"].long()
        self.wait_seconds += time.perf_counter() - started
        return out

    def take_wait(self) -> float:
        """Seconds blocked on data since the last call."""
        wait, self.wait_seconds = self.wait_seconds, 0.0
        return wait

    def close(self) -> None:
        """Stop the worker processes (persistent workers otherwise live as long as the loader)."""
        self._iter, self.loader = None, None

    # ---- the two paths ----------------------------------------------------------------------------------------
    def _host_batch(self, step: int) -> dict[str, torch.Tensor]:
        idx = self.order.rank_indices(step)
        batch = {k: v.index_select(0, idx) for k, v in self.tensors.items()}
        batch["index"] = idx.clone()
        if self.hflip:
            flip = torch.tensor([flips(self.seed, step, int(i)) for i in idx], dtype=torch.bool)
            batch["image_uint8"] = torch.where(
                flip[:, None, None, None], batch["image_uint8"].flip(-1), batch["image_uint8"]
            )
            if "mask" in batch:
                mirrored = batch["mask"].flip(-1)
                if self.table is not None:
                    mirrored = self.table[mirrored]
                batch["mask"] = torch.where(flip[:, None, None], mirrored, batch["mask"])
        if self.cuda:
            batch = {k: v.pin_memory() for k, v in batch.items()}
        return batch

    def _loaded_batch(self, step: int) -> dict[str, torch.Tensor]:
        if self.loader is None:
            settings = LoaderSettings(num_workers=self.num_workers, pin_memory=self.cuda)
            self.loader = step_loader(self.dataset, self.sampler, self.hflip, self.seed, settings)
        if (
            self._iter is None or step != self._next_step
        ):  # first call, a resume, or a jump: restart at `step`
            self.sampler.start = step
            self._iter = iter(self.loader)
        self._next_step = step + 1
        return next(self._iter)
