"""A resolved sampler request (DiffusionModel.settings completes it from the bundle's `sampling` defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSettings:
    """A resolved sampler request: which sampler, how many steps, its options, the guidance scale."""

    sampler: str
    steps: int
    spacing: str
    eta: float | None  # ddim only
    guidance: float

    def info(self) -> dict[str, object]:
        out: dict[str, object] = {"sampler": self.sampler, "steps": self.steps, "spacing": self.spacing}
        if self.eta is not None:
            out["eta"] = self.eta
        return out
