"""Random augmentation as a pure function of (seed, step, index): the same flips in every process and worker.

A horizontal flip of item `index` at training step `step` happens when bit 63 of

    h = splitmix64(splitmix64(splitmix64(seed) ⊕ step) ⊕ index)

is set (probability 1/2); splitmix64 (Steele et al., 2014) is a bijective 64-bit mixer, so neighbouring steps and
indices give independent-looking bits. No generator state is involved, so a worker process, a resumed run and
a run with another number of workers all flip the same items.

Flipping a part label map also swaps the labels of mirrored parts (left eye ↔ right eye): `flip_table` is the
permutation applied to label values, e.g. CelebAMask-HQ's l_eye/r_eye, l_brow/r_brow, l_ear/r_ear.
"""

from __future__ import annotations

import numpy as np

_MASK64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """One splitmix64 output for the 64-bit input x."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def item_hash(seed: int, step: int, index: int, stream: int = 0) -> int:
    """A 64-bit hash of (seed, step, index) for one random choice; `stream` separates independent choices."""
    h = splitmix64((seed & _MASK64) ^ (stream * 0xD1B54A32D192ED03 & _MASK64))
    h = splitmix64(h ^ (step & _MASK64))
    return splitmix64(h ^ (index & _MASK64))


def flips(seed: int, step: int, index: int) -> bool:
    """Whether item `index` is mirrored at `step` (probability 1/2)."""
    return bool(item_hash(seed, step, index) >> 63)


def flip_table(num_labels: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The label permutation of a horizontal flip: identity except that each (a, b) pair is swapped."""
    table = np.arange(max(num_labels, 1), dtype=np.int64)
    for a, b in pairs:
        table[a], table[b] = b, a
    return table


def hflip_item(item: dict[str, np.ndarray], table: np.ndarray | None) -> dict[str, np.ndarray]:
    """Mirror an item's image (uint8 [C, H, W]) and label map ([H, W]), swapping mirrored part labels."""
    out = dict(item)
    out["image"] = item["image"][..., ::-1]  # a view; the batch's stack copies it
    if "mask" in item:
        mask = item["mask"][..., ::-1]
        out["mask"] = table[mask].astype(mask.dtype) if table is not None else mask
    return out
