"""Prepared folders (`prepared:DIR`): a dataset decoded and resized once, read through memory maps.

    DIR/manifest.json     format, version, source, size, count, classes, label-map class names, files with
                          their bytes and sha256
    DIR/images.npy        uint8 [n, H, W, C]  (rows ≥ count are unused; a skipped corrupt source item leaves none)
    DIR/labels.npy        int64 [n]           (−1: unlabelled)
    DIR/source_index.npy  int64 [n]           position of each row in the source dataset
    DIR/masks.npy         uint8 [n, H, W]     part label maps, when the source has them
    DIR/captions.jsonl    one JSON list of captions per row, when the source has captions

The folder appears under its name only when complete (genvision.data.prepare renames it into place), so a
folder without a manifest is a killed or foreign one, and is refused. Reading maps the arrays (np.load with
mmap_mode="r"): pages come from the page cache, shared by every worker process, and nothing is copied whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from genvision.data.base import DataInfo, raw_to_tensors
from genvision.errors import DataNotFoundError

FORMAT = "genvision-prepared"
VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = ("images.npy", "labels.npy", "source_index.npy", "masks.npy")


def read_manifest(folder: Path) -> dict:
    """The manifest of a complete prepared folder; one-line errors for missing, partial or other versions."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise DataNotFoundError(
            f"prepared folder {folder} does not exist; make it with genvision data prepare"
        )
    if not path.is_file():
        raise DataNotFoundError(
            f"{folder} is not a finished prepared folder (no {MANIFEST}: an interrupted prepare?); "
            "rerun genvision data prepare SOURCE --size N --out DIR"
        )
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise DataNotFoundError(f"{path} is not valid JSON ({exc}); rerun genvision data prepare") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise DataNotFoundError(
            f"{folder} has prepared-folder version {manifest.get('version')!r}, this genvision reads "
            f"{VERSION}; rerun genvision data prepare"
        )
    for name, entry in manifest["files"].items():
        actual = (folder / name).stat().st_size if (folder / name).is_file() else None
        if actual != entry["bytes"]:
            raise DataNotFoundError(
                f"{folder / name} has {actual} bytes, the manifest says {entry['bytes']}: the folder was "
                "changed after it was prepared; rerun genvision data prepare"
            )
    return manifest


class PreparedDataset(Dataset):
    """A prepared folder as a dataset (items as in data.base; `raw`, `captions`, `label_map` for the loader)."""

    def __init__(self, folder: str | Path, image_size: int | None = None, channels: int | None = None):
        self.folder = Path(folder)
        m = self.manifest = read_manifest(self.folder)
        for key, wanted in (("size", image_size), ("channels", channels)):
            if wanted is not None and wanted != m[key]:
                raise DataNotFoundError(
                    f"{self.folder} was prepared with {key} {m[key]}, the config asks for {wanted}; "
                    f"prepare it again with --{key} {wanted} into another --out, or set data.image_size"
                )
        count = m["count"]
        self.images = np.load(self.folder / "images.npy", mmap_mode="r")[:count]
        self.labels = np.load(self.folder / "labels.npy", mmap_mode="r")[:count]
        masks = self.folder / "masks.npy"
        self.masks = np.load(masks, mmap_mode="r")[:count] if masks.is_file() else None
        self._captions: list[list[str]] | None = None
        self.mask_names = m.get("mask_names")  # the label-map class names of a folder source, if any
        self.info = DataInfo(
            dataset=m["dataset"],
            shape=(m["channels"], m["size"], m["size"]),
            num_classes=m["num_classes"],
            class_names=m["class_names"],
            source=str(self.folder),
            num_mask_classes=m["num_mask_classes"] if self.masks is not None else 0,
            mask_flip_pairs=[tuple(p) for p in m["mask_flip_pairs"]] if m.get("mask_flip_pairs") else None,
        )

    def __len__(self) -> int:
        return int(self.manifest["count"])

    def raw(self, index: int) -> dict:
        item = {
            "image": self.images[index].transpose(2, 0, 1),  # a view: collate's stack makes the one copy
            "label": int(self.labels[index]),
            "index": index,
        }
        if self.masks is not None:
            item["mask"] = np.array(self.masks[index])
        return item

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return raw_to_tensors(self.raw(index))

    def label_map(self, index: int) -> np.ndarray:
        if self.masks is None:
            raise DataNotFoundError(f"{self.folder} holds no label maps")
        return np.array(self.masks[index])

    def captions(self, index: int) -> list[str]:
        if self._captions is None:
            path = self.folder / "captions.jsonl"
            lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            self._captions = [json.loads(line) for line in lines] or [[] for _ in range(len(self))]
        return self._captions[index]

    def caption(self, index: int) -> str | None:
        found = self.captions(index)
        return found[0] if found else None
