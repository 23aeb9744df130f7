"""Command flows of `genvision invert` / `genvision edit` for diffusion bundles (fashion-ddpm, fashion-ldm).

    genvision invert fashion-ldm --data fashion-mnist:test:0-8 --method null-text --guidance 3 --out inv.safetensors
    genvision edit fashion-ldm --data fashion-mnist:test:0-8 --to dress --method diffedit --out panel.png
    genvision edit fashion-ldm --inversion inv.safetensors --to sandal --method swap --out panel.png

The source condition (--from) defaults to each image's own class when the data reference carries labels and the
model is class-conditional. Outputs: the panel (original | reconstruction | edit | mask per row), the edited
images as .npy, and the inversion file for reuse (`--save-inversion`; `invert --out`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genvision.errors import GenvisionError
from genvision.generators import DiffusionModel
from genvision.generators.diffusion_results import DiffusionEdit, DiffusionInversion
from genvision.metrics.image_quality import psnr
from genvision.viz.grid import save_grid
from genvision.viz.images import save_npy

INVERT_METHODS = {
    "auto": "ddim",
    "ddim": "ddim",
    "null-text": "null-text",
    "negative-prompt": "negative-prompt",
}


def source_conditions(model: DiffusionModel, given: str | None, labels: torch.Tensor):
    """--from, else each image's own class (known labels, class-conditional model), else the null condition."""
    if given is not None:
        return given
    if model.num_classes and len(labels) and bool((labels >= 0).all()):
        return labels
    return None


def invert_images(
    model: DiffusionModel,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    source: str | None,
    method: str,
    guidance: float,
    steps: int | None,
    refine: int,
    batch_size: int,
    progress=None,
) -> DiffusionInversion:
    if method not in INVERT_METHODS:
        raise GenvisionError(
            f"diffusion inversion methods are ddim, null-text and negative-prompt, not {method!r}"
        )
    return model.invert(
        images,
        label=source_conditions(model, source, labels),
        method=INVERT_METHODS[method],
        guidance=guidance,
        steps=steps,
        refine=refine,
        batch_size=batch_size,
        progress=progress,
    )


def parse_strength(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise GenvisionError(
            f"--strength for a diffusion edit is one number in (0, 1], got {text!r}"
        ) from exc


def write_edit(
    result: DiffusionEdit, out: Path, npy: Path | None, inversion_out: Path | None, model_ref: str
) -> list[str]:
    """The panel, the edited images as .npy and the inversion (when the method made one); the paths written."""
    save_grid(result.panel(), out, nrow=4)
    written = [str(out)]
    if npy is not None:
        save_npy(npy, result.edited)
        written.append(str(npy))
    if inversion_out is not None and result.inversion is not None:
        result.inversion.save(inversion_out, model_ref)
        written.append(str(inversion_out))
    return written


def mean_psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(np.mean(psnr(a, b)))
