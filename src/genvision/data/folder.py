"""`folder:PATH` — a user's images, read one at a time from disk, optionally with label maps and captions.

Plain layout: every image under PATH (recursive); class sub-folders become labels when every image sits in one.
Paired layout, when PATH/images/ exists:

    PATH/images/**/NAME.jpg|png|…     the images (class sub-folders of images/ become labels, as above)
    PATH/masks/**/NAME.png            single-channel label maps (values = class indices), same relative stem
    PATH/labels.txt                   one class name per line (line k names value k), or labels.yaml (a list)
    PATH/captions.jsonl               {"file": "NAME.jpg" (relative to images/), "text": "..."}, several per image

Unpaired files, malformed caption lines and images whose mask has another size are refused up front in one line;
a label value past the declared classes is refused when its map is read. Files that are not images at all are
skipped with a warning at listing time (or refused with on_corrupt="error"); an image that fails to decode later
is replaced by the next readable one together with its label map, captions and index.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image
from torch.utils.data import Dataset

from genvision.data.base import DataInfo, first_readable, raw_to_tensors
from genvision.data.images import IMAGE_SUFFIXES, load_image, resize_center_crop
from genvision.errors import DataNotFoundError, GenvisionError

LABEL_FILES = ("labels.txt", "labels.yaml", "labels.yml")


def list_images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _header(path: Path) -> tuple[tuple[int, int], str] | None:
    """(size, mode) from the file header without decoding; None when it is not an image."""
    try:
        with Image.open(path) as img:
            return img.size, img.mode
    except (OSError, SyntaxError, ValueError):
        return None


def read_label_names(root: Path) -> list[str]:
    """Class names of the label-map values from labels.txt (one per line) or labels.yaml (a list)."""
    for name in LABEL_FILES:
        path = root / name
        if path.is_file():
            if name == "labels.txt":
                names = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
            else:
                names = yaml.safe_load(path.read_text())
                if isinstance(names, dict):  # {0: background, 1: hair}
                    names = [names[k] for k in sorted(names)]
            if not isinstance(names, list) or not names:
                raise DataNotFoundError(f"{path} must list the label-map class names, one per value")
            return [str(n) for n in names]
    raise DataNotFoundError(
        f"{root / 'masks'} needs its class names: write {root / 'labels.txt'} with one name per line "
        "(line k names label value k)"
    )


def read_captions(path: Path, files: set[str]) -> dict[str, list[str]]:
    """captions.jsonl → {file: [text, …]}; every line must name an image under images/."""
    out: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            file, text = str(entry["file"]), str(entry["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataNotFoundError(
                f'{path}:{number}: expected {{"file": ..., "text": ...}}, got {line[:60]!r}'
            ) from exc
        if file not in files:
            raise DataNotFoundError(f"{path}:{number}: no image {file!r} under {path.parent / 'images'}")
        out.setdefault(file, []).append(text)
    return out


class FolderDataset(Dataset):
    """Images (and label maps, captions) of a folder, decoded when read; see the module docstring."""

    def __init__(
        self,
        root: str | Path,
        image_size: int | None = None,
        channels: int | None = None,
        on_corrupt: str = "skip",
    ):
        root = Path(root)
        if not root.is_dir():
            raise DataNotFoundError(f"image folder {root} does not exist")
        self.root, self.on_corrupt = root, on_corrupt
        paired = (root / "images").is_dir()
        self.image_root = root / "images" if paired else root
        paths = list_images(self.image_root)
        if not paths:
            raise DataNotFoundError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) found under {root}")
        headers = {}
        for p in paths:
            headers[p] = _header(p)
            if headers[p] is None:
                if on_corrupt == "error":
                    raise GenvisionError(f"cannot read image {p}: not an image file")
                warnings.warn(f"skipping unreadable image {p}", stacklevel=2)
        self.paths = [p for p in paths if headers[p] is not None]
        if not self.paths:
            raise DataNotFoundError(f"none of the {len(paths)} images under {root} could be read")
        self.mask_paths = self._pair_masks(headers) if (root / "masks").is_dir() else None
        self.mask_names = read_label_names(root) if self.mask_paths is not None else None
        self.rel = [p.relative_to(self.image_root).as_posix() for p in self.paths]
        caption_file = root / "captions.jsonl"
        self._captions = read_captions(caption_file, set(self.rel)) if caption_file.is_file() else None
        self.labels, class_names = self._class_labels()
        first_size, first_mode = headers[self.paths[0]]
        if channels is None:
            channels = 1 if first_mode in ("1", "L", "I", "I;16", "F") else 3
        self.image_size, self.channels = image_size or min(first_size), channels
        self.info = DataInfo(
            dataset=f"folder:{root}",
            shape=(channels, self.image_size, self.image_size),
            num_classes=len(class_names or []),
            class_names=class_names,
            source=str(root),
            num_mask_classes=len(self.mask_names or []),
        )

    def _pair_masks(self, headers: dict) -> list[Path]:
        masks_root = self.root / "masks"
        masks = {p.relative_to(masks_root).with_suffix("").as_posix(): p for p in list_images(masks_root)}
        stems = [p.relative_to(self.image_root).with_suffix("").as_posix() for p in self.paths]
        missing = [s for s in stems if s not in masks]
        if missing:
            raise DataNotFoundError(
                f"{len(missing)} image(s) have no label map, e.g. {missing[0]}: expected "
                f"{masks_root / missing[0]}.png"
            )
        extra = sorted(set(masks) - set(stems))
        if extra:
            raise DataNotFoundError(
                f"{len(extra)} label map(s) have no image, e.g. {masks[extra[0]]}: expected "
                f"{self.image_root / extra[0]}.<jpg|png>"
            )
        for image, stem in zip(self.paths, stems):
            found = _header(masks[stem])
            if found is None or found[0] != headers[image][0]:
                got = "unreadable" if found is None else f"{found[0][0]}x{found[0][1]}"
                want = f"{headers[image][0][0]}x{headers[image][0][1]}"
                raise DataNotFoundError(f"label map {masks[stem]} is {got}, its image {image} is {want}")
        return [masks[s] for s in stems]

    def _class_labels(self) -> tuple[np.ndarray, list[str] | None]:
        parents = [p.parent for p in self.paths]
        if all(par.parent == self.image_root for par in parents) and len(set(parents)) > 1:
            names = sorted({par.name for par in parents})
            return np.array([names.index(par.name) for par in parents], dtype=np.int64), names
        return np.full(len(self.paths), -1, dtype=np.int64), None

    def __len__(self) -> int:
        return len(self.paths)

    def image(self, index: int) -> np.ndarray:
        return load_image(self.paths[index], self.image_size, self.channels)

    def label_map(self, index: int) -> np.ndarray:
        """The label map of item `index` at image_size (nearest), values checked against labels.txt."""
        path = self.mask_paths[index]
        with Image.open(path) as img:
            values = np.array(
                resize_center_crop(
                    img if img.mode in ("L", "P") else img.convert("L"), self.image_size, Image.NEAREST
                )
            )
        if values.max(initial=0) >= len(self.mask_names):
            raise GenvisionError(
                f"label map {path} has value {int(values.max())}, but {len(self.mask_names)} classes are "
                f"declared ({', '.join(self.mask_names[:4])}…): add names or fix the map"
            )
        return values.astype(np.uint8)

    def captions(self, index: int) -> list[str]:
        return list(self._captions.get(self.rel[index], [])) if self._captions is not None else []

    def caption(self, index: int) -> str | None:
        found = self.captions(index)
        return found[0] if found else None

    def readable(self, index: int) -> tuple[int, np.ndarray]:
        """(position, image) of the first image at or after `index` (wrapping) that decodes."""
        return first_readable(self.image, index, len(self), self.on_corrupt, f"folder ({self.root})")

    def raw(self, index: int) -> dict:
        position, image = self.readable(index)
        item = {
            "image": image[None] if image.ndim == 2 else image.transpose(2, 0, 1),
            "label": int(self.labels[position]),
            "index": position,
        }
        if self.mask_paths is not None:
            item["mask"] = self.label_map(position)
        return item

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return raw_to_tensors(self.raw(index))


def load_folder(
    root: str | Path, image_size: int | None = None, channels: int | None = None, on_corrupt: str = "skip"
) -> FolderDataset:
    return FolderDataset(root, image_size, channels, on_corrupt)
