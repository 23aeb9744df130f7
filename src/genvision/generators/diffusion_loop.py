"""The one batching / RNG / trajectory / progress loop of diffusion runs (sampling, inpainting, and what comes next).

    images, trajectory = run_batches(n, body, noise=noise, batch_size=64, transitions=steps,
                                     decode=model.decode, device=model.device, trajectory=10, rows=8)

For each batch [lo, hi) the loop draws the initial noise x_T and the batch's generator(s) from `noise`
(genvision.generators.noise: seed, generator or given latents), hands them to `body(batch)`, which runs its
sampler and returns the batch's images (CPU), calling `batch.record(x)` after every transition. The loop counts
progress (n · transitions in all) and keeps the trajectory: the decoded x at `trajectory` transitions evenly spaced
over 0 … transitions (0 = x_T, the last = the result) for the first `rows` images, as [rows, frames, C, H, W].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from genvision.generators.base import Progress, batch_ranges
from genvision.generators.guards import check_int
from genvision.generators.noise import BatchRNG, Noise


def evenly_spaced(count: int, total: int) -> set[int]:
    """`count` indices spread evenly over 0 … total (both ends included when count >= 2)."""
    if count <= 0:
        return set()
    return {round(i * total / max(count - 1, 1)) for i in range(count)}


@dataclass
class Batch:
    """One batch of a run, as the loop hands it to the body."""

    lo: int
    hi: int
    x_T: torch.Tensor  # initial noise [hi - lo, *shape] on the model's device
    rng: BatchRNG  # the generator(s) of the batch's later draws (stochastic steps)
    noise: Noise  # the run's randomness (e.g. `noise.rng(lo, hi, device, stream=…)` for a second stream)
    record: Callable[[torch.Tensor], None]  # call with x after every transition
    fixed: Callable[[torch.Tensor], None]  # call with the answer when the batch runs no transitions at all


@dataclass
class _Recorder:
    frames: set[int]
    want: int  # rows of this batch to keep (0: none)
    decode: Callable[[torch.Tensor], torch.Tensor]
    count: int  # images in the batch
    tick: Callable[[int], None]  # progress: transitions × images done
    done: int = 0
    snaps: list[torch.Tensor] = field(default_factory=list)

    def __call__(self, x: torch.Tensor) -> None:
        if self.want and self.done in self.frames:
            self.snaps.append(self.decode(x[: self.want]).cpu())
        self.done += 1
        self.tick(self.count)

    def fixed(self, images: torch.Tensor, transitions: int) -> None:
        if self.want:
            self.snaps = [images[: self.want].cpu()] * len(self.frames)
        self.tick(self.count * transitions)


def run_batches(
    n: int,
    body: Callable[[Batch], torch.Tensor],
    *,
    noise: Noise,
    batch_size: int,
    transitions: int,
    decode: Callable[[torch.Tensor], torch.Tensor],
    device: torch.device,
    trajectory: int = 0,
    rows: int | None = None,
    progress: Progress | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(images [n, ...] on the CPU, trajectory [rows, frames, C, H, W] or None); see the module docstring.
    `rows` None keeps every image's trajectory."""
    check_int("trajectory", trajectory)
    frames = evenly_spaced(trajectory, transitions)
    rows = min(n if rows is None else rows, n) if trajectory else 0
    outputs: list[torch.Tensor] = []
    kept: list[list[torch.Tensor]] = []
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, n * transitions)

    for lo, hi in batch_ranges(n, batch_size):
        x_T, rng = noise.batch(lo, hi, device)
        recorder = _Recorder(frames, max(0, rows - lo), decode, hi - lo, tick)
        if recorder.want and 0 in frames:  # frame 0 is x_T itself; record(x) then sees transitions 1, 2, …
            recorder.snaps.append(decode(x_T[: recorder.want]).cpu())
        recorder.done = 1

        def fixed(images: torch.Tensor, recorder: _Recorder = recorder) -> None:
            recorder.fixed(images, transitions)

        outputs.append(body(Batch(lo, hi, x_T, rng, noise, recorder, fixed)))
        if recorder.snaps:
            kept.append(recorder.snaps)
    trajectory_out = None
    if kept:
        length = min(len(s) for s in kept)
        trajectory_out = torch.cat([torch.stack(s[:length], dim=1) for s in kept])[:rows]
    return torch.cat(outputs), trajectory_out
