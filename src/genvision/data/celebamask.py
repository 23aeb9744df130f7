"""CelebAMask-HQ in its real layout, with the 18 part masks merged into one label map.

    ROOT/CelebA-HQ-img/{i}.jpg
    ROOT/CelebAMask-HQ-mask-anno/{i // 2000}/{i:05d}_{part}.png   (white = part)
    ROOT/celeba-caption/{i}.txt                                  (optional)

Label map: 0 = background, 1..18 = PARTS in order; a later part overwrites an earlier one where they overlap.
Merged maps are cached once under $GENVISION_HOME/cache/. Split: every 10th id (i % 10 == 0) is test.
A horizontal flip swaps the left/right parts (`MIRRORED`); every caption line of an image is kept (`captions`).
An unreadable image is replaced by the next readable one together with its label map, captions and index.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from genvision.data.base import DataInfo, first_readable, raw_to_tensors
from genvision.data.images import load_image, resize_center_crop
from genvision.errors import DataNotFoundError, GenvisionError
from genvision.paths import data_home, genvision_home

PARTS = [
    "skin",
    "nose",
    "eye_g",
    "l_eye",
    "r_eye",
    "l_brow",
    "r_brow",
    "l_ear",
    "r_ear",
    "mouth",
    "u_lip",
    "l_lip",
    "hair",
    "hat",
    "ear_r",
    "neck_l",
    "neck",
    "cloth",
]
LABELS = ["background"] + PARTS
MIRRORED = [("l_eye", "r_eye"), ("l_brow", "r_brow"), ("l_ear", "r_ear")]  # swapped by a horizontal flip
IMG_DIR, MASK_DIR, CAPTION_DIR = "CelebA-HQ-img", "CelebAMask-HQ-mask-anno", "celeba-caption"


def part_index(name: str) -> int:
    """The label-map value of a part name (e.g. hair → 13)."""
    if name not in PARTS:
        raise GenvisionError(f"unknown CelebAMask-HQ part {name!r}; parts: {', '.join(PARTS)}")
    return PARTS.index(name) + 1


def locate_root(data_dir: str | Path | None) -> Path:
    for root in ([Path(data_dir)] if data_dir else []) + [
        data_home("celebamask-hq"),
        data_home("CelebAMask-HQ"),
    ]:
        if (root / IMG_DIR).is_dir():
            return root
    raise DataNotFoundError(
        f"CelebAMask-HQ not found: unpack CelebAMask-HQ.zip so that {data_home('celebamask-hq')}/{IMG_DIR}/0.jpg "
        f"and {MASK_DIR}/0/00000_skin.png exist, or pass --data-dir ROOT"
    )


def merge_part_masks(root: Path, index: int) -> np.ndarray:
    """Merge the per-part PNGs of image `index` into one uint8 label map at mask resolution."""
    folder = root / MASK_DIR / str(index // 2000)
    label_map = None
    for value, part in enumerate(PARTS, start=1):
        path = folder / f"{index:05d}_{part}.png"
        if not path.is_file():
            continue
        part_mask = np.asarray(Image.open(path).convert("L")) > 127
        if label_map is None:
            label_map = np.zeros(part_mask.shape, dtype=np.uint8)
        label_map[part_mask] = value
    if label_map is None:
        raise GenvisionError(f"no part masks for image {index} in {folder}")
    return label_map


class CelebAMaskHQ(Dataset):
    """Faces with merged part label maps; images are read lazily, merged masks come from the cache."""

    def __init__(
        self,
        root: str | Path | None = None,
        split: str = "train",
        image_size: int = 256,
        with_masks: bool = True,
        on_corrupt: str = "skip",
    ):
        self.root = locate_root(root)
        if split not in ("train", "test", "all"):
            raise DataNotFoundError(f"celebamask-hq has splits train, test and all, not {split!r}")
        ids = sorted(int(p.stem) for p in (self.root / IMG_DIR).glob("*.jpg") if p.stem.isdigit())
        if split != "all":
            ids = [i for i in ids if (i % 10 == 0) == (split == "test")]
        self.ids, self.image_size, self.with_masks, self.on_corrupt = ids, image_size, with_masks, on_corrupt
        key = hashlib.sha1(str(self.root.resolve()).encode()).hexdigest()[:12]
        self.cache = genvision_home() / "cache" / f"celebamask-hq-{key}" / "masks"
        self.info = DataInfo(
            dataset="celebamask-hq",
            shape=(3, image_size, image_size),
            source=str(self.root),
            num_mask_classes=len(LABELS),
            mask_flip_pairs=[(part_index(a), part_index(b)) for a, b in MIRRORED],
        )

    def __len__(self) -> int:
        return len(self.ids)

    def label_map(self, index: int) -> np.ndarray:
        """The merged label map of dataset position `index`, resized (nearest) to image_size."""
        image_id = self.ids[index]
        cached = self.cache / f"{image_id}.png"
        if cached.is_file():
            merged = np.asarray(Image.open(cached))
        else:
            merged = merge_part_masks(self.root, image_id)
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp.png")
            Image.fromarray(merged).save(tmp)
            tmp.replace(cached)
        img = resize_center_crop(Image.fromarray(merged), self.image_size, Image.NEAREST)
        return np.array(img)

    def part_mask(self, index: int, part: str) -> np.ndarray:
        """A binary mask (bool [H, W]) of one part, e.g. hair."""
        return self.label_map(index) == part_index(part)

    def captions(self, index: int) -> list[str]:
        """Every non-empty caption line of item `index` ([] without a caption file)."""
        path = self.root / CAPTION_DIR / f"{self.ids[index]}.txt"
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
        return [ln.strip() for ln in text.splitlines() if ln.strip()]

    def caption(self, index: int) -> str | None:
        """The first caption of item `index`, or None."""
        lines = self.captions(index)
        return lines[0] if lines else None

    def image(self, index: int) -> np.ndarray:
        return load_image(self.root / IMG_DIR / f"{self.ids[index]}.jpg", self.image_size, 3)

    def readable(self, index: int) -> tuple[int, np.ndarray]:
        """(position, image) of the first readable image at or after `index` (wrapping), warning per skip."""
        return first_readable(
            self.image, index, len(self), self.on_corrupt, f"CelebAMask-HQ ({self.root / IMG_DIR})"
        )

    def raw(self, index: int) -> dict:
        position, image = self.readable(index)
        item = {"image": image.transpose(2, 0, 1), "label": -1, "index": position}
        if self.with_masks:
            item["mask"] = self.label_map(position)
        return item

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return raw_to_tensors(self.raw(index))  # raw's label is -1: CelebAMask-HQ has no classes
