"""Deterministic, resumable data order: epoch e is a permutation seeded by (seed, e); step s takes the
global batch at position s·B, and rank r of W takes its contiguous slice. The position is a function of
the step alone, so resuming at step s continues the exact same order."""

from __future__ import annotations

import torch


class DataOrder:
    def __init__(
        self,
        num_items: int,
        global_batch: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        drop_last: bool = True,
    ):
        if global_batch % world:
            raise ValueError(
                f"batch size {global_batch} must be divisible by the number of processes {world}"
            )
        if num_items < global_batch:
            raise ValueError(f"dataset has {num_items} items, fewer than one batch of {global_batch}")
        self.n, self.batch, self.seed, self.rank, self.world = num_items, global_batch, seed, rank, world
        self.batches_per_epoch = num_items // global_batch
        self._epoch, self._perm = -1, None

    def permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm, self._epoch = torch.randperm(self.n, generator=g), epoch
        return self._perm

    def position(self, step: int) -> tuple[int, int]:
        """(epoch, batch index within the epoch) of a training step."""
        return divmod(step, self.batches_per_epoch)

    def global_indices(self, step: int) -> torch.Tensor:
        epoch, b = self.position(step)
        return self.permutation(epoch)[b * self.batch : (b + 1) * self.batch]

    def rank_indices(self, step: int) -> torch.Tensor:
        per_rank = self.batch // self.world
        return self.global_indices(step)[self.rank * per_rank : (self.rank + 1) * per_rank]
