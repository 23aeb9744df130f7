"""Large batches run as one slice per thread, each on its own single-threaded onnxruntime session, at once.

    runner = BatchSplit(lambda: session(path, threads=1), threads=2)
    outputs = runner.run(feeds)      # feeds {name: array [B, ...]}, B ≥ SPLIT_BATCH; outputs as session.run

Every input and output of an exported graph has the batch as its first axis and rows do not interact, so
running rows [0, B/2) and [B/2, B) apart and concatenating is the same function. At batch 64–128 this beat one
session with 2 intra-op threads on the 2-core Xeon (fashion-ldm UNet at batch 128: 1.09–1.15× faster, at 64
1.09×, at 16 even, at 2–4 0.66–0.78×; its decoder at 32–64 1.11–1.14×), since each small operator then runs
without a thread hand-off.

Worker k is pinned to the k-th CPU this process may use (Linux, when there is one worker per CPU: with fewer
workers the scheduler has idle CPUs to choose from, and processes pinning to the same first CPUs would collide).
Unpinned, after the cores had idled a few milliseconds the scheduler often woke both workers on one core: the
fashion DCGAN generator's 64 rows took 11.6 ms after a 12 ms pause instead of 5.4 back to back, and 6.6 ms pinned
(2-core Xeon).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

SPLIT_BATCH = 32  # smallest batch that is split


def pinning(threads: int) -> Callable[[], None] | None:
    """A thread-pool initializer that pins each new worker to its own CPU of this process's set, or None unless
    there is exactly one worker per CPU (and sched_setaffinity)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) != threads:
        return None
    order, lock = itertools.count(), threading.Lock()

    def pin() -> None:
        with lock:
            cpu = cpus[next(order) % len(cpus)]
        os.sched_setaffinity(0, {cpu})  # 0: the calling thread

    return pin


class BatchSplit:
    """`threads` single-threaded sessions made on first use, each running one slice of the batch."""

    def __init__(self, make_session: Callable[[], Any], threads: int) -> None:
        self.make_session, self.threads = make_session, threads
        self.sessions: list[Any] = []
        self.pool: ThreadPoolExecutor | None = None
        self.lock = threading.Lock()  # callers on several threads make the sessions once

    def worthwhile(self, batch: int) -> bool:
        return self.threads > 1 and batch >= SPLIT_BATCH

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        with self.lock:
            if self.pool is None:
                self.sessions = [self.make_session() for _ in range(self.threads)]
                self.pool = ThreadPoolExecutor(
                    self.threads, thread_name_prefix="genvision-onnx", initializer=pinning(self.threads)
                )
        batch = len(next(iter(feeds.values())))
        # np.linspace(0, batch, threads + 1).round(), which cost 0.1 ms a call
        bounds = [round(batch * k / self.threads) for k in range(self.threads + 1)]
        jobs = [
            self.pool.submit(sess.run, None, {k: v[lo:hi] for k, v in feeds.items()})
            for sess, lo, hi in zip(self.sessions, bounds[:-1], bounds[1:], strict=True)
        ]
        parts = [job.result() for job in jobs]
        return [np.concatenate(outs) for outs in zip(*parts, strict=True)]
