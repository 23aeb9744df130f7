"""Reproducible randomness: one generator per output image, derived from (seed, image index).

Image k of a 1000-image run equals image k of a 10-image run, whatever the batch size. In training,
`SampleRandom` gives each sample of a step its own counter-based draws, so any number of processes draws what
one process draws.
"""

from __future__ import annotations

import math
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


# ---- training: per-sample draws keyed by (seed, step, phase, global sample position) --------------------------
_M32 = 0xFFFFFFFF
_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)  # Threefry-2x32 (Salmon et al. 2011, table 4)
_PARITY = 0x1BD11BDA
_POOL = 16  # words a sample for small draws


def threefry2x32(key: int, c0: torch.Tensor, c1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Threefry-2x32-20 of counters (c0, c1) (int64 tensors holding uint32) under a 64-bit key: two uint32 words.

    Counter-based (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): 20 rounds of
    x0 += x1, x1 = rotl(x1, R_r) ^ x0, with the key schedule (k0, k1, k0 ^ k1 ^ 0x1BD11BDA) injected every 4
    rounds. Only add, rotate and xor, so int64 arithmetic computes it exactly on any device: x1 is kept to 32
    bits (it is rotated), x0 only at the end (it grows by < 2³² a round, far from 2⁶³).
    """
    ks = (key & _M32, (key >> 32) & _M32)
    ks = (*ks, ks[0] ^ ks[1] ^ _PARITY)
    x0, x1 = c0 + ks[0], (c1 + ks[1]) & _M32
    for r in range(20):
        x0.add_(x1)  # x0 and x1 are this function's own tensors from here on: update them in place
        rot = _ROTATIONS[r % 8]
        high = x1 << rot
        x1.bitwise_right_shift_(32 - rot).bitwise_or_(high).bitwise_xor_(x0).bitwise_and_(_M32)
        if r % 4 == 3:
            s = r // 4 + 1
            x0.add_(ks[s % 3])
            x1.add_(ks[(s + 1) % 3] + s).bitwise_and_(_M32)
    return x0.bitwise_and_(_M32), x1


def stream_key(*parts: int) -> int:
    """One 63-bit key from integers (seed, step, phase, draw number, ...), chained through `image_seed`."""
    key = 0
    for part in parts:
        key = image_seed(key, part & 0x7FFFFFFFFFFFFFFF)
    return key


class SampleRandom:
    """Per-sample training draws: row i of every draw is a function of (key, positions[i], draw number) alone.

    `key` names the step (and phase) of a run, `positions` the global positions of this process's samples in the
    step's global batch; so whichever process or micro-batch holds sample i, it gets the same noise, timestep
    and condition dropout, and two processes draw exactly what one process draws for the same samples. Each call
    is a new draw (like advancing a generator); words come from Threefry-2x32-20 of (position, k) vectorised
    over the batch on `device`. Uniforms have 24 bits; normals are Box–Muller pairs
    (√(−2 ln u₁) cos 2πu₂, √(−2 ln u₁) sin 2πu₂), u₁ ∈ (0, 1].
    """

    def __init__(self, key: int, positions: torch.Tensor, device: torch.device | str = "cpu"):
        self.key, self.device = key, torch.device(device)
        self.positions = positions.to(self.device, torch.int64)
        self.draws = 0
        self._pool: torch.Tensor | None = None  # words of small draws, made _POOL at a time
        self._used = 0

    def __len__(self) -> int:
        return self.positions.shape[0]

    def subset(self, start: int, stop: int) -> SampleRandom:
        """The draws of samples [start, stop) (e.g. one micro-batch), continuing from this draw."""
        sub = SampleRandom(self.key, self.positions[start:stop], self.device)
        sub.draws, sub._used = self.draws, self._used
        sub._pool = self._pool[start:stop] if self._pool is not None else None
        return sub

    def _block(self, count: int) -> torch.Tensor:
        """[N, count] uint32 words (in int64) from a new stream."""
        key = stream_key(self.key, self.draws)
        self.draws += 1
        pairs = (count + 1) // 2
        c0 = self.positions[:, None].expand(-1, pairs)
        c1 = torch.arange(pairs, device=self.device, dtype=torch.int64)[None, :].expand(len(self), -1)
        x0, x1 = threefry2x32(key, c0, c1)
        return torch.stack((x0, x1), dim=-1).reshape(len(self), 2 * pairs)[:, :count]

    def _words(self, count: int) -> torch.Tensor:
        """[N, count] words of the next draw; small draws (timesteps, dropouts, choices: a few words a sample)
        share one block of _POOL words, so a step's scalars cost one Threefry pass, not one each."""
        if count > _POOL:
            return self._block(count)
        if self._pool is None or self._used + count > _POOL:
            self._pool, self._used = self._block(_POOL), 0
        self._used += count
        return self._pool[:, self._used - count : self._used]

    def rand(self, *shape: int) -> torch.Tensor:
        """Uniform [0, 1) float32 of shape [N, *shape]."""
        count = math.prod(shape)
        words = self._words(count)
        return ((words >> 8).to(torch.float32) * 2.0**-24).reshape(len(self), *shape)

    def randint(self, high: int, *shape: int) -> torch.Tensor:
        """Integers in [0, high) (int64, [N, *shape]): ⌊w · high / 2³²⌋ of a 32-bit word w (bias ≤ high / 2³²)."""
        if not 0 < high < 2**31:
            raise GenvisionError(f"randint: high must be in [1, 2^31), got {high}")
        return ((self._words(math.prod(shape)) * high) >> 32).reshape(len(self), *shape)

    def randn(self, *shape: int) -> torch.Tensor:
        """Standard normal float32 of shape [N, *shape] (Box–Muller on pairs of words)."""
        count = math.prod(shape)
        words = self._words(2 * ((count + 1) // 2)).reshape(len(self), -1, 2)
        u1 = ((words[..., 0] >> 8) + 1).to(torch.float32) * 2.0**-24  # (0, 1]: log stays finite
        angle = (words[..., 1] >> 8).to(torch.float32) * (2.0**-24 * 2 * math.pi)
        radius = torch.sqrt(-2.0 * torch.log(u1))
        normals = torch.stack((radius * torch.cos(angle), radius * torch.sin(angle)), dim=-1)
        return normals.reshape(len(self), -1)[:, :count].reshape(len(self), *shape)


Draws = torch.Generator | SampleRandom  # what a training recipe's `gen` may be


def _per_sample(shape: Sequence[int], gen: SampleRandom) -> tuple[int, ...]:
    """The per-sample shape of `shape` [N, ...], checking that `gen` draws for N samples."""
    if shape[0] != len(gen):
        raise GenvisionError(f"{len(gen)} per-sample draws for a batch of {shape[0]}")
    return tuple(shape[1:])


def draw_normal(shape: Sequence[int], gen: Draws, device: torch.device | str) -> torch.Tensor:
    """Standard normal noise [N, ...] = `shape` from a generator, or one row per sample from a SampleRandom."""
    if isinstance(gen, SampleRandom):
        return gen.randn(*_per_sample(shape, gen)).to(device)
    return torch.randn(tuple(shape), generator=gen, device=gen.device).to(device)


def draw_uniform(shape: Sequence[int], gen: Draws, device: torch.device | str) -> torch.Tensor:
    """Uniform [0, 1) [N, ...] = `shape`, as `draw_normal`."""
    if isinstance(gen, SampleRandom):
        return gen.rand(*_per_sample(shape, gen)).to(device)
    return torch.rand(tuple(shape), generator=gen, device=gen.device).to(device)


def draw_integers(high: int, shape: Sequence[int], gen: Draws, device: torch.device | str) -> torch.Tensor:
    """Integers in [0, high) [N, ...] = `shape`, as `draw_normal`."""
    if isinstance(gen, SampleRandom):
        return gen.randint(high, *_per_sample(shape, gen)).to(device)
    return torch.randint(high, tuple(shape), generator=gen, device=gen.device).to(device)
