"""Progress bars for commands, fed by the library's progress(done, total) callbacks."""

from __future__ import annotations

from tqdm import tqdm


class ProgressBar:
    """A tqdm bar that appears on the first progress(done, total) call (so errors raised before any work print
    alone), hidden unless `enabled`; `close()` removes it."""

    def __init__(self, enabled: bool, unit: str = "img-step", desc: str | None = None) -> None:
        self.enabled, self.unit, self.desc = enabled, unit, desc
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(total=total, unit=self.unit, desc=self.desc, dynamic_ncols=True, leave=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def progress_bar(
    enabled: bool, unit: str = "img-step", desc: str | None = None
) -> tuple[ProgressBar, ProgressBar]:
    """(bar, callback) — the same object, kept as a pair so call sites read `bar.close()` and `progress=...`."""
    bar = ProgressBar(enabled, unit, desc)
    return bar, bar
