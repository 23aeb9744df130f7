"""A resolved sampler request (DiffusionModel.settings completes it from the bundle's `sampling` defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SamplerSettings:
    """A resolved sampler request: which sampler, how many steps, its options, the guidance scale."""

    sampler: str
    steps: int
    spacing: str | None  # None: the sampler picks its own timesteps
    options: dict[str, Any]  # every option of the sampler's table row (eta, variance, ...), resolved
    guidance: float

    def info(self) -> dict[str, object]:
        spacing = {"spacing": self.spacing} if self.spacing else {}
        return {"sampler": self.sampler, "steps": self.steps, **spacing, **self.options}
