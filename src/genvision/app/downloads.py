"""Result files offered for download: one fresh folder per request under the server's temporary root.

    files = Downloads(root)
    paths = files.images(files.folder(), "samples", result.images, nrow=4)   # samples.png, samples.npy

PNG grids and .npy arrays follow the command line: `save_grid` and the uint8 [N, H, W(, C)] `--npy` layout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from genvision.viz.grid import save_grid
from genvision.viz.images import save_npy, save_png


class Downloads:
    """Writes result files under `root`, each request in its own folder so names never collide."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="result-", dir=self.root))

    def images(self, folder: Path, stem: str, images: torch.Tensor, nrow: int | None = None) -> list[str]:
        """[stem.png (grid), stem.npy (uint8 arrays)] of images [N, C, H, W] in [-1, 1]."""
        grid = save_grid(images, folder / f"{stem}.png", nrow=nrow)
        return [str(grid), str(save_npy(folder / f"{stem}.npy", images))]

    def png(self, folder: Path, name: str, array: np.ndarray) -> str:
        return str(save_png(folder / name, array))
