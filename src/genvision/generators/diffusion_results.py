"""What diffusion inversion and editing return, and the inversion file that `genvision invert` writes for reuse.

    inv = m.invert(images, label="shirt", method="null-text", guidance=3.0)
    inv.latents, inv.trajectory, inv.nulls, inv.images       # z_T, clean … z_T, per-step ∅, reconstruction
    inv.save("shirts.safetensors"); DiffusionInversion.load("shirts.safetensors")
    e = m.edit(inv, target="dress", method="swap"); e.panel()  # original | reconstruction | edit | mask

An inversion file is safetensors: "trajectory" [N, levels, C, h, w] (clean latents first, z_T last), "original"
and "images" [N, C, H, W], "null.<key>" [steps, N, ...] for null-text; the metadata (JSON under "genvision")
holds the method, steps, spacing, guidance, the model, each image's condition and the trajectory's layout (files
written before it was "N,levels" stored [levels, N, ...] and are read as such).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open

from genvision.conditioning.unet_inputs import Condition
from genvision.errors import GenvisionError
from genvision.io.tensorfile import load_tensors, save_tensors

TRAJECTORY_LAYOUT = "N,levels"  # the inversion file's trajectory is [N, levels, C, h, w]


@dataclass
class DiffusionInversion:
    """A DDIM / null-text / negative-prompt inversion of N images (latents on the CPU, images in [-1, 1])."""

    trajectory: torch.Tensor  # [N, levels, C, h, w]: the clean latents z_0 first, the inverted z_T last
    original: torch.Tensor  # [N, C, H, W] the inputs
    images: torch.Tensor  # [N, C, H, W] sampled back from z_T under the same condition (the reconstruction)
    conditions: list[Condition]
    method: str
    steps: int
    spacing: str
    guidance: float
    nulls: dict[str, torch.Tensor] | None = None  # null-text: per-step null inputs, each [steps, N, ...]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def latents(self) -> torch.Tensor:
        """The inverted noise z_T [N, C, h, w]."""
        return self.trajectory[:, -1]

    @property
    def seconds(self) -> float:
        return float(self.info.get("seconds", 0.0))

    def __len__(self) -> int:
        return self.trajectory.shape[0]

    def save(self, path: str | Path, model_ref: str = "") -> Path:
        """Write the inversion (atomically) for `genvision edit --inversion` or `DiffusionInversion.load`."""
        tensors = {"trajectory": self.trajectory, "original": self.original, "images": self.images}
        for key, value in (self.nulls or {}).items():
            tensors[f"null.{key}"] = value
        meta = {
            "method": self.method,
            "steps": self.steps,
            "spacing": self.spacing,
            "guidance": self.guidance,
            "model": str(model_ref),
            "layout": TRAJECTORY_LAYOUT,
            "conditions": [[c.class_label, c.prompt] for c in self.conditions],
            "info": {k: v for k, v in self.info.items() if isinstance(v, (int, float, str))},
        }
        save_tensors(path, tensors, {"genvision": json.dumps(meta)})
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> DiffusionInversion:
        path = Path(path)
        if not path.is_file():
            raise GenvisionError(
                f"inversion file {path} does not exist; write one with `genvision invert MODEL ... --out {path}`"
            )
        tensors = load_tensors(path)
        meta = _metadata(path)
        if "trajectory" not in tensors or meta is None:
            raise GenvisionError(
                f"{path} is not a diffusion inversion file (no trajectory); use `genvision invert`"
            )
        nulls = {k[5:]: v for k, v in tensors.items() if k.startswith("null.")}
        trajectory = tensors["trajectory"].float()
        if meta.get("layout") != TRAJECTORY_LAYOUT:  # written before the layout was [N, levels, ...]
            trajectory = trajectory.transpose(0, 1).contiguous()
        return cls(
            trajectory=trajectory,
            original=tensors["original"].float(),
            images=tensors["images"].float(),
            conditions=[Condition(label, prompt) for label, prompt in meta["conditions"]],
            method=meta["method"],
            steps=int(meta["steps"]),
            spacing=meta["spacing"],
            guidance=float(meta["guidance"]),
            nulls=nulls or None,
            info={**meta.get("info", {}), "model": meta.get("model", "")},
        )


def _metadata(path: Path) -> dict[str, Any] | None:
    with safe_open(str(path), framework="pt") as fh:
        raw = (fh.metadata() or {}).get("genvision")
    return json.loads(raw) if raw else None


@dataclass
class DiffusionEdit:
    """Edited images and what explains them, all [N, C, H, W] in [-1, 1] on the CPU."""

    original: torch.Tensor
    reconstruction: torch.Tensor  # the inversion sampled back under the source (SDEdit: decode(encode(x)))
    edited: torch.Tensor
    fill: torch.Tensor | None  # DiffEdit's mask [N, 1, H, W] at image size (1 = edited), else None
    inversion: DiffusionInversion | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def images(self) -> torch.Tensor:
        return self.edited

    def panel(self) -> torch.Tensor:
        """Rows of original | reconstruction | edit | mask as [4N, C, H, W] (mask white = edited; all black
        when the method has no mask)."""
        fill = self.fill if self.fill is not None else torch.zeros_like(self.original[:, :1])
        mask = (fill * 2 - 1).expand_as(self.original)
        return torch.stack([self.original, self.reconstruction, self.edited, mask], 1).flatten(0, 1)
