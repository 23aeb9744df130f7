"""Reproducible randomness: one generator per output image, derived from (seed, image index).

Image k of a 1000-image run equals image k of a 10-image run, whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from genvision.errors import GenvisionError

_MIX = 0x9E3779B97F4A7C15  # golden-ratio increment (splitmix64) keeps nearby seeds far apart


def image_seed(seed: int, index: int) -> int:
    """A 63-bit seed for image `index` of a run seeded with `seed` (splitmix64 finaliser)."""
    z = (seed * 0x100000001B3 + index * _MIX + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFF


class PerImageRNG:
    """A batch of generators, one per image; draws stack one tensor per image.

    Noise is drawn on the CPU (bit-identical across batch sizes and machines) and moved to `device`.
    """

    def __init__(self, seed: int, indices: Sequence[int], device: torch.device | str = "cpu"):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise GenvisionError(f"seed must be an integer, got {seed!r}")
        self.seed = seed
        self.indices = list(indices)
        if self.indices and min(self.indices) < 0:
            raise GenvisionError(f"image indices must be >= 0 (start >= 0), got {min(self.indices)}")
        self.device = torch.device(device)
        self.generators = [torch.Generator().manual_seed(image_seed(seed, i)) for i in self.indices]

    @classmethod
    def from_generators(
        cls, generators: Sequence[torch.Generator], device: torch.device | str = "cpu"
    ) -> PerImageRNG:
        """Given CPU generators, one per image, in place of ones derived from a seed (state shared with them)."""
        rng = cls.__new__(cls)
        rng.seed, rng.device = -1, torch.device(device)
        rng.indices = list(range(len(generators)))
        rng.generators = list(generators)
        return rng

    def __len__(self) -> int:
        return len(self.generators)

    def randn(self, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Standard normal noise of shape [N, *shape]."""
        out = torch.stack([torch.randn(shape, generator=g, dtype=dtype) for g in self.generators])
        return out.to(self.device)

    def rand(self, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Uniform [0, 1) noise of shape [N, *shape]."""
        out = torch.stack([torch.rand(shape, generator=g, dtype=dtype) for g in self.generators])
        return out.to(self.device)

    def randint(self, high: int, *shape: int) -> torch.Tensor:
        out = torch.stack([torch.randint(high, shape, generator=g) for g in self.generators])
        return out.to(self.device)

    def subset(self, start: int, stop: int) -> PerImageRNG:
        """The generators of images [start, stop) of this batch, sharing state."""
        sub = PerImageRNG.__new__(PerImageRNG)
        sub.seed, sub.device = self.seed, self.device
        sub.indices = self.indices[start:stop]
        sub.generators = self.generators[start:stop]
        return sub
