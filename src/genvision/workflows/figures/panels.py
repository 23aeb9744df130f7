"""Drawing for the figures: labelled image panels and matplotlib figures, written atomically as PNG.

A panel is one mosaic of images (`genvision.viz.grid.make_grid`) drawn with a label per row and per column,
so a reader sees which class, timestep or guidance scale each cell holds. Figures use matplotlib's Agg canvas
directly (no pyplot state), and every file goes through `genvision.io.atomic.atomic_path`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from genvision.io.atomic import atomic_path
from genvision.viz.grid import make_grid

CELL_INCHES = 0.6  # a 28 × 28 image is drawn 0.6 inch wide: about 2× at the figures' 100 dpi
PAD = 2  # pixels between cells
DPI = 100
FONT = 8


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib Figure (width × height inches) on an Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def compact(rgba: np.ndarray) -> Image.Image:
    """An RGB(A) figure as a compact PNG image: 8-bit gray when it has no colour, else a 256-colour palette."""
    rgb = rgba[..., :3]
    if (rgb == rgb[..., :1]).all():
        return Image.fromarray(np.ascontiguousarray(rgb[..., 0]))
    return Image.fromarray(np.ascontiguousarray(rgb)).quantize(
        256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write a matplotlib Figure as a compact PNG (see `compact`), atomically."""
    fig.canvas.draw()
    image = compact(np.asarray(fig.canvas.buffer_rgba()))
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", optimize=True)
    return Path(path)


@contextlib.contextmanager
def png_target(path: str | Path) -> Iterator[Path]:
    """A temporary `.png` name for helpers that save by file name; on success its image, compacted, goes to `path`."""
    with atomic_path(path) as tmp:
        png = tmp.with_name(tmp.name + ".png")
        try:
            yield png
            with Image.open(png) as written:
                image = compact(np.asarray(written.convert("RGB")))
            image.save(tmp, format="PNG", optimize=True)
        finally:
            png.unlink(missing_ok=True)


def draw_panel(
    ax: Axes,
    cells: torch.Tensor,
    ncol: int,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
) -> None:
    """Draw images [R·C, ch, H, W] in [-1, 1] (row-major, `ncol` per row) on `ax`, labelled at the left and top."""
    mosaic = make_grid(cells.float().cpu(), nrow=ncol, pad=PAD)
    gray = mosaic.shape[-1] == 1
    ax.imshow(
        mosaic[..., 0] if gray else mosaic,
        cmap="gray" if gray else None,
        vmin=0,
        vmax=255,
        interpolation="nearest",
    )
    h, w = cells.shape[-2:]
    rows = -(-len(cells) // ncol)
    ax.set_xticks([PAD + c * (w + PAD) + w / 2 for c in range(ncol)] if col_labels else [])
    ax.set_yticks([PAD + r * (h + PAD) + h / 2 for r in range(rows)] if row_labels else [])
    if col_labels:
        ax.set_xticklabels(list(col_labels)[:ncol], fontsize=FONT)
        ax.xaxis.tick_top()
    if row_labels:
        ax.set_yticklabels(list(row_labels)[:rows], fontsize=FONT)
    ax.tick_params(length=0, pad=2)
    for spine in ax.spines.values():
        spine.set_visible(False)


def panel_size(
    cells: torch.Tensor,
    ncol: int,
    row_labels: Sequence[str] | None,
    col_labels: Sequence[str] | None,
    title: str | None,
) -> tuple[float, float, float, float]:
    """(width, height, left margin, top margin) in inches for a panel with these labels."""
    rows = -(-len(cells) // ncol)
    h, w = cells.shape[-2:]
    cell = CELL_INCHES * max(h, w) / 28 if max(h, w) <= 56 else CELL_INCHES * 2
    grid_w, grid_h = ncol * cell * w / max(h, w), rows * cell * h / max(h, w)
    left = 0.15 + 0.065 * max((len(s) for s in row_labels or ()), default=0)
    lines = max((s.count("\n") + 1 for s in col_labels or ()), default=0)
    top = 0.12 + 0.16 * lines + (0.3 if title else 0.0)
    width = max(left + grid_w + 0.15, 0.075 * len(title or "") + 0.3)  # room for the title at FONT + 1
    return width, top + grid_h + 0.12, left, top


def save_panel(
    path: str | Path,
    cells: torch.Tensor,
    ncol: int,
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Write a labelled panel of images [R·C, ch, H, W] in [-1, 1] as a PNG (see `draw_panel`)."""
    width, height, left, top = panel_size(cells, ncol, row_labels, col_labels, title)
    fig = new_figure(width, height)
    ax = fig.add_axes((left / width, 0.12 / height, 1 - (left + 0.15) / width, 1 - (top + 0.12) / height))
    ax.set_anchor("N")
    draw_panel(ax, cells, ncol, row_labels, col_labels)
    if title:
        fig.suptitle(title, fontsize=FONT + 1, y=1 - 0.08 / height, va="top")
    return save_figure(fig, path)


def rows_of(*rows: torch.Tensor) -> torch.Tensor:
    """Stack equally long rows of images [K, C, H, W] into one row-major batch [R·K, C, H, W]."""
    return torch.cat([r.float().cpu() for r in rows])


def to_display(x: torch.Tensor) -> torch.Tensor:
    """Any real tensor [N, C, H, W] min-max scaled to [-1, 1] per image and channel (latents, masks)."""
    lo = x.amin(dim=(-2, -1), keepdim=True)
    hi = x.amax(dim=(-2, -1), keepdim=True)
    return (x - lo) / (hi - lo).clamp(min=1e-8) * 2 - 1
