"""Inpainting masks: which pixels to fill (1) and which to keep (0).

Every builder returns a `fill` tensor: float [H, W] with values in {0, 1}, 1 = the region the model paints.
`keep = 1 - fill`. User files follow the common convention: white (255) = fill, black = keep.

Shapes (`make_fill` spec strings):
    box[:TOP,LEFT,H,W]   an axis-aligned box (default: a box of half the side at a seeded random position)
    center[:FRACTION]    a centred square whose side is FRACTION of the image side (default 0.5)
    half[:SIDE]          one half of the image: right (default), left, top, bottom
    strokes[:COVERAGE]   seeded random free-form brush strokes covering about COVERAGE of the image (0.35)
    part:NAME[+NAME]     CelebAMask-HQ parts (e.g. part:hair, part:hair+hat), needs a label map
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from genvision.data.celebamask import LABELS
from genvision.errors import GenvisionError
from genvision.seeding import image_seed

# CelebAMask-HQ label-map values: index in this tuple (0 = background, then the parts in merge order).
CELEBAMASK_PARTS: tuple[str, ...] = tuple(LABELS)

MASK_SHAPES = ("box", "center", "half", "strokes", "part")


def box_fill(height: int, width: int, top: int, left: int, box_h: int, box_w: int) -> torch.Tensor:
    """Fill the box rows [top, top+box_h) × columns [left, left+box_w), clipped to the image."""
    if box_h <= 0 or box_w <= 0:
        raise GenvisionError(f"box size must be positive, got {box_h}x{box_w}")
    fill = torch.zeros(height, width)
    fill[max(top, 0) : max(top + box_h, 0), max(left, 0) : max(left + box_w, 0)] = 1.0
    return fill


def random_box_fill(
    height: int, width: int, seed: int, index: int = 0, fraction: float = 0.5
) -> torch.Tensor:
    """A box of side `fraction` of the image at a position drawn from (seed, index)."""
    rng = np.random.default_rng(image_seed(seed, index))
    box_h, box_w = max(1, round(height * fraction)), max(1, round(width * fraction))
    top = int(rng.integers(0, height - box_h + 1))
    left = int(rng.integers(0, width - box_w + 1))
    return box_fill(height, width, top=top, left=left, box_h=box_h, box_w=box_w)


def center_fill(height: int, width: int, fraction: float = 0.5) -> torch.Tensor:
    """A centred box whose sides are `fraction` of the image sides."""
    if not 0.0 < fraction <= 1.0:
        raise GenvisionError(f"centre box fraction must be in (0, 1], got {fraction}")
    box_h, box_w = max(1, round(height * fraction)), max(1, round(width * fraction))
    return box_fill(
        height, width, top=(height - box_h) // 2, left=(width - box_w) // 2, box_h=box_h, box_w=box_w
    )


def half_fill(height: int, width: int, side: str = "right") -> torch.Tensor:
    """Fill one half of the image (the middle column/row goes to the filled half for odd sizes)."""
    fill = torch.zeros(height, width)
    if side == "right":
        fill[:, width // 2 :] = 1.0
    elif side == "left":
        fill[:, : (width + 1) // 2] = 1.0
    elif side == "bottom":
        fill[height // 2 :, :] = 1.0
    elif side == "top":
        fill[: (height + 1) // 2, :] = 1.0
    else:
        raise GenvisionError(f"half mask side must be right, left, top or bottom, got {side!r}")
    return fill


def _stamp_segment(fill: np.ndarray, p0: np.ndarray, p1: np.ndarray, radius: float) -> None:
    """Set every pixel within `radius` of the segment p0–p1 (row, col coordinates) to 1."""
    rows, cols = np.mgrid[0 : fill.shape[0], 0 : fill.shape[1]]
    d = p1 - p0
    length2 = float(d @ d)
    u = (
        np.zeros_like(rows, dtype=np.float64)
        if length2 == 0
        else np.clip(((rows - p0[0]) * d[0] + (cols - p0[1]) * d[1]) / length2, 0.0, 1.0)
    )
    dist2 = (rows - p0[0] - u * d[0]) ** 2 + (cols - p0[1] - u * d[1]) ** 2
    fill[dist2 <= radius**2] = 1.0


def strokes_fill(
    height: int, width: int, coverage: float = 0.35, seed: int = 0, index: int = 0, max_segments: int = 500
) -> torch.Tensor:
    """Free-form brush strokes (random walks of thick segments) until `coverage` of the pixels is filled.

    Segments are added one at a time and drawing stops at the first segment that reaches the target,
    so the coverage is at least `coverage` and overshoots by at most one segment.
    """
    if not 0.0 < coverage < 1.0:
        raise GenvisionError(f"stroke coverage must be in (0, 1), got {coverage}")
    rng = np.random.default_rng(image_seed(seed, index))
    fill = np.zeros((height, width), dtype=np.float32)
    side = min(height, width)
    target = coverage * height * width
    segments = 0
    while fill.sum() < target and segments < max_segments:
        point = rng.uniform([0, 0], [height, width])
        radius = rng.uniform(0.03, 0.08) * side
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(3, 8))):
            angle += rng.uniform(-1.2, 1.2)
            step = rng.uniform(0.1, 0.3) * side
            nxt = np.clip(point + step * np.array([np.sin(angle), np.cos(angle)]), 0, [height - 1, width - 1])
            _stamp_segment(fill, point, nxt, radius)
            segments += 1
            point = nxt
            if fill.sum() >= target:
                break
    return torch.from_numpy(fill)


def part_indices(names: list[str] | tuple[str, ...]) -> list[int]:
    """CelebAMask-HQ label indices for part names (e.g. ["hair"] → [13])."""
    unknown = [n for n in names if n not in CELEBAMASK_PARTS]
    if unknown:
        raise GenvisionError(
            f"unknown CelebAMask-HQ part {unknown[0]!r}; parts: {', '.join(CELEBAMASK_PARTS[1:])}"
        )
    return [CELEBAMASK_PARTS.index(n) for n in names]


def part_fill(label_map: torch.Tensor, names: list[str] | tuple[str, ...]) -> torch.Tensor:
    """Fill the pixels whose CelebAMask-HQ label is one of `names`; label_map is int [H, W]."""
    indices = torch.tensor(part_indices(names), device=label_map.device)
    return torch.isin(label_map.long(), indices).float()


def load_fill_png(path: str | Path, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Read a user mask (white = fill). Any size is resized to `size` (H, W) with nearest neighbours;
    values other than 0 and 255 are thresholded at 128 with a warning."""
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"mask file {path} does not exist")
    try:
        with Image.open(path) as img:
            gray = img.convert("L")
            if size is not None and gray.size != (size[1], size[0]):
                gray = gray.resize((size[1], size[0]), Image.NEAREST)
            values = np.asarray(gray)
    except OSError as exc:
        raise GenvisionError(f"cannot read mask image {path}: {exc}") from exc
    if not np.isin(values, (0, 255)).all():
        warnings.warn(
            f"mask {path} is not binary (values other than 0 and 255); thresholding at 128 (white = fill)",
            stacklevel=2,
        )
    return torch.from_numpy((values >= 128).astype(np.float32))


def resize_fill(fill: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bring a fill mask [H, W] or [N, 1, H, W] to `size` with nearest neighbours (values stay in {0, 1})."""
    if tuple(fill.shape[-2:]) == tuple(size):
        return fill
    if fill.ndim not in (2, 4):
        raise GenvisionError(f"a fill mask is [H, W] or [N, 1, H, W], got shape {list(fill.shape)}")
    x = fill[None, None] if fill.ndim == 2 else fill
    out = F.interpolate(x.float(), size=size, mode="nearest-exact")
    return out[0, 0] if fill.ndim == 2 else out


def make_fill(
    spec: str, height: int, width: int, seed: int = 0, index: int = 0, label_map: torch.Tensor | None = None
) -> torch.Tensor:
    """Build one fill mask [H, W] from a shape spec (see the module docstring); image `index` of a run
    seeded with `seed` gets the same random mask whatever the batch."""
    name, _, arg = spec.partition(":")
    try:
        if name == "box":
            if not arg:
                return random_box_fill(height, width, seed, index)
            top, left, box_h, box_w = (int(v) for v in arg.split(","))
            return box_fill(height, width, top=top, left=left, box_h=box_h, box_w=box_w)
        if name == "center":
            return center_fill(height, width, float(arg) if arg else 0.5)
        if name == "half":
            return half_fill(height, width, arg or "right")
        if name == "strokes":
            return strokes_fill(height, width, float(arg) if arg else 0.35, seed=seed, index=index)
    except ValueError as exc:
        raise GenvisionError(f"cannot parse mask shape {spec!r}: {exc}") from exc
    if name == "part":
        if not arg:
            raise GenvisionError("part masks name the parts, e.g. part:hair or part:hair+hat")
        if label_map is None:
            raise GenvisionError(
                f"mask shape {spec!r} needs CelebAMask-HQ label maps: use --data celebamask-hq:..."
            )
        return resize_fill(part_fill(label_map, arg.split("+")), (height, width))
    raise GenvisionError(f"unknown mask shape {spec!r}; choose one of: box, center, half, strokes, part:NAME")


def make_fills(
    spec: str,
    count: int,
    height: int,
    width: int,
    seed: int = 0,
    start: int = 0,
    label_maps: torch.Tensor | None = None,
) -> torch.Tensor:
    """A batch of fill masks [N, 1, H, W] for images start … start+count-1 (label_maps: [N, h, w])."""
    fills = [
        make_fill(
            spec,
            height,
            width=width,
            seed=seed,
            index=start + i,
            label_map=None if label_maps is None else label_maps[i],
        )
        for i in range(count)
    ]
    return torch.stack(fills)[:, None]


def latent_fill(fill: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bring a pixel fill mask [N, 1, H, W] to latent resolution `size` (h, w).

    Rule: a latent cell is fill if ANY pixel of its block is fill (max-pooling), so no latent cell that
    influences a hole pixel is clamped to the known image. For sizes that do not divide, the blocks are
    adaptive-pooling bins (rows floor(i·H/h) … ceil((i+1)·H/h)).
    """
    if tuple(fill.shape[-2:]) == tuple(size):
        return fill
    return F.adaptive_max_pool2d(fill.float(), output_size=size)


def feather_weights(fill: torch.Tensor, radius: float) -> torch.Tensor:
    """Soft fill weights for the pixel composite: 1 in the hole, falling linearly to 0 over `radius`
    pixels into the known region (w = max(0, 1 - d/radius), d = distance to the nearest fill pixel).
    radius 0 returns the hard mask; only with radius 0 does the composite keep the known pixels exact."""
    if radius <= 0:
        return fill.float()
    from scipy.ndimage import distance_transform_edt  # noqa: PLC0415 (0.3 s to import: soft edges only)

    flat = fill.detach().cpu().float().reshape(-1, *fill.shape[-2:]).numpy()
    out = np.empty_like(flat)
    for i, f in enumerate(flat):
        dist = distance_transform_edt(f < 0.5) if f.any() else np.full_like(f, np.inf)
        out[i] = np.clip(1.0 - dist / radius, 0.0, 1.0)
    return torch.from_numpy(out).reshape(fill.shape).to(fill.device)


def composite(
    original: torch.Tensor, generated: torch.Tensor, fill: torch.Tensor, feather: float = 0.0
) -> torch.Tensor:
    """The final mask manipulation in pixel space: w ⊙ generated + (1 − w) ⊙ original, w = feathered fill.

    With feather 0 the known region is the original bit for bit (selection, not arithmetic)."""
    fill = resize_fill(fill, tuple(original.shape[-2:]))
    if feather <= 0:
        return torch.where(fill.bool().expand_as(original), generated, original)
    w = feather_weights(fill, feather)
    return w * generated + (1 - w) * original
