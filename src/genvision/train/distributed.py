"""torch.distributed set-up for torchrun: gloo on CPU, NCCL on GPU; only rank 0 writes files."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def is_main_process() -> bool:
    """Rank 0 (or not launched by torchrun), known from RANK before the process group exists."""
    return int(os.environ.get("RANK", "0")) == 0


def init_distributed(device: torch.device) -> DistInfo:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistInfo(
        rank=dist.get_rank(), world=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", "0"))
    )


def all_finite(value: torch.Tensor, info: DistInfo) -> bool:
    """True when `value` is finite on every rank (so all ranks skip a bad step together)."""
    flag = torch.isfinite(value.detach()).all().to(torch.float32).reshape(1)
    if info.enabled:
        flag = flag.to("cuda" if value.is_cuda else "cpu")
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    return bool(flag.item() > 0)


def any_rank(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """True when `flag` is true on any rank (so all ranks stop at the same step)."""
    if not info.enabled:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
