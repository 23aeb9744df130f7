"""Procedural data for tests: labelled shapes with part masks, and a miniature CelebAMask-HQ tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from genvision.data.base import ArrayDataset, DataInfo
from genvision.data.celebamask import CAPTION_DIR, IMG_DIR, MASK_DIR

SHAPE_CLASSES = ["disc", "square", "bar"]


def _draw_shape(kind: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One grayscale shape image and its part map (0 background, 1 body, 2 top half of the body)."""
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    r = size * rng.uniform(0.22, 0.32)
    cx, cy = size / 2 + rng.uniform(-1, 1) * size * 0.1, size / 2 + rng.uniform(-1, 1) * size * 0.1
    box = [cx - r, cy - r, cx + r, cy + r]
    shade = int(rng.integers(170, 256))
    if kind == 0:
        draw.ellipse(box, fill=shade)
    elif kind == 1:
        draw.rectangle(box, fill=shade)
    else:
        draw.rectangle([cx - r / 3, cy - r, cx + r / 3, cy + r], fill=shade)
    pixels = np.asarray(img)
    parts = (pixels > 0).astype(np.uint8)
    rows = np.arange(size)[:, None] < cy
    parts[(parts == 1) & rows] = 2
    return pixels, parts


def synthetic_shapes(n: int = 512, size: int = 16, seed: int = 0) -> ArrayDataset:
    """`n` images of three shape classes at random positions and shades, with part masks."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), n)
    drawn = [_draw_shape(int(k), size, rng) for k in labels]
    images = np.stack([d[0] for d in drawn])
    masks = np.stack([d[1] for d in drawn])
    info = DataInfo(
        dataset="synthetic",
        shape=(1, size, size),
        num_classes=len(SHAPE_CLASSES),
        class_names=list(SHAPE_CLASSES),
        source="procedural",
        num_mask_classes=3,
    )
    return ArrayDataset(images, labels.astype(np.int64), info, masks)


def make_mini_celebamask_tree(
    root: str | Path, n: int = 24, size: int = 64, mask_size: int = 32, captions: bool = True, seed: int = 0
) -> Path:
    """Write a miniature CelebAMask-HQ tree with cartoon faces (skin, hair, eyes, mouth, neck, cloth)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    (root / IMG_DIR).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        hair_color = tuple(int(c) for c in rng.integers(0, 120, 3))
        skin_color = tuple(int(c) for c in rng.integers(150, 240, 3))
        s = mask_size
        parts = {
            name: Image.new("L", (s, s), 0)
            for name in ("skin", "hair", "l_eye", "r_eye", "mouth", "neck", "cloth")
        }
        ImageDraw.Draw(parts["cloth"]).rectangle([0, int(0.85 * s), s, s], fill=255)
        ImageDraw.Draw(parts["neck"]).rectangle(
            [int(0.42 * s), int(0.7 * s), int(0.58 * s), int(0.86 * s)], fill=255
        )
        ImageDraw.Draw(parts["skin"]).ellipse(
            [int(0.28 * s), int(0.2 * s), int(0.72 * s), int(0.78 * s)], fill=255
        )
        hair_h = rng.uniform(0.3, 0.45)
        ImageDraw.Draw(parts["hair"]).rectangle(
            [int(0.24 * s), int(0.12 * s), int(0.76 * s), int(hair_h * s)], fill=255
        )
        ImageDraw.Draw(parts["l_eye"]).ellipse(
            [int(0.36 * s), int(0.45 * s), int(0.44 * s), int(0.5 * s)], fill=255
        )
        ImageDraw.Draw(parts["r_eye"]).ellipse(
            [int(0.56 * s), int(0.45 * s), int(0.64 * s), int(0.5 * s)], fill=255
        )
        ImageDraw.Draw(parts["mouth"]).rectangle(
            [int(0.42 * s), int(0.62 * s), int(0.58 * s), int(0.66 * s)], fill=255
        )
        canvas = np.full((s, s, 3), 200, dtype=np.uint8)
        colors = {
            "cloth": (40, 60, 160),
            "neck": skin_color,
            "skin": skin_color,
            "hair": hair_color,
            "l_eye": (20, 20, 20),
            "r_eye": (20, 20, 20),
            "mouth": (170, 30, 40),
        }
        for name in ("cloth", "neck", "skin", "hair", "l_eye", "r_eye", "mouth"):
            canvas[np.asarray(parts[name]) > 127] = colors[name]
        Image.fromarray(canvas).resize((size, size), Image.BILINEAR).save(
            root / IMG_DIR / f"{i}.jpg", quality=95
        )
        mask_dir = root / MASK_DIR / str(i // 2000)
        mask_dir.mkdir(parents=True, exist_ok=True)
        for name, img in parts.items():
            img.save(mask_dir / f"{i:05d}_{name}.png")
        if captions:
            (root / CAPTION_DIR).mkdir(exist_ok=True)
            shade = "dark" if sum(hair_color) < 180 else "brown"
            (root / CAPTION_DIR / f"{i}.txt").write_text(
                f"A person with {shade} hair.\nThis person smiles.\n"
            )
    return root
