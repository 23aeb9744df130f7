"""`genvision data prepare SOURCE --size N --out DIR`: decode and resize once into a prepared folder.

Rows are written into `DIR.partial/` (memory-mapped .npy arrays, captions.jsonl) with a progress record every
`flush_every` rows; a killed prepare leaves only `DIR.partial/`, which nothing loads, and the same command
continues from its last record (a different command starts it over). At the end the checksums and manifest are
written and `DIR.partial/` is renamed to `DIR` in one step. An existing `DIR` made by the same plan is kept as
it is; one made from another source or size is refused, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genvision.data.prepared import FORMAT, MANIFEST, VERSION, read_manifest
from genvision.data.registry import load_dataset
from genvision.errors import GenvisionError
from genvision.version import __version__

PROGRESS = "progress.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _plan(source: str, size: int, channels: int, count: int, masks: bool) -> dict:
    return {"source": source, "size": size, "channels": channels, "source_count": count, "masks": masks}


def _open_arrays(folder: Path, n: int, size: int, channels: int, masks: bool, mode: str) -> dict:
    shapes = {
        "images.npy": ((n, size, size, channels), np.uint8),
        "labels.npy": ((n,), np.int64),
        "source_index.npy": ((n,), np.int64),
    }
    if masks:
        shapes["masks.npy"] = ((n, size, size), np.uint8)
    return {
        name: np.lib.format.open_memmap(
            folder / name, mode=mode, dtype=dtype, shape=shape if mode == "w+" else None
        )
        for name, (shape, dtype) in shapes.items()
    }


def prepare_folder(
    source: str,
    size: int,
    out: str | Path,
    data_dir: str | Path | None = None,
    channels: int | None = None,
    flush_every: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, dict]:
    """Write the prepared folder of data reference `source` at `size`²; returns (folder, manifest)."""
    out = Path(out)
    dataset = load_dataset(source, data_dir=data_dir, image_size=size, channels=channels, with_masks=True)
    info, n = dataset.info, len(dataset)
    masks = bool(info.num_mask_classes) and hasattr(dataset, "label_map")
    has_captions = hasattr(dataset, "captions")
    plan = _plan(source, size, info.shape[0], n, masks)
    if out.exists():
        done = read_manifest(out)
        differs = [k for k, v in plan.items() if done.get("plan", {}).get(k) != v]
        if differs:
            k = differs[0]
            raise GenvisionError(
                f"{out} already holds a prepared folder with {k} {done.get('plan', {}).get(k)!r}, not {plan[k]!r}; "
                "remove it or choose another --out"
            )
        return out, done
    partial = out.with_name(out.name + ".partial")
    state = _resume_state(partial, plan)
    if state is None:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        state = {"plan": plan, "done": 0, "kept": 0, "caption_bytes": 0, "skipped": [], "captioned": 0}
    arrays = _open_arrays(partial, n, size, info.shape[0], masks, "w+" if state["done"] == 0 else "r+")
    captions_path = partial / "captions.jsonl"
    with open(captions_path, "ab") as fh:
        fh.truncate(state["caption_bytes"])  # drop captions written after the last progress record
    captions_fh = open(captions_path, "a", encoding="utf-8")
    try:
        for i in range(state["done"], n):
            item = dataset.raw(i)
            if item["index"] != i:  # unreadable: the dataset substituted a later item; skip this one
                state["skipped"].append(i)
            else:
                k = state["kept"]
                arrays["images.npy"][k] = item["image"].transpose(1, 2, 0)
                arrays["labels.npy"][k] = item["label"]
                arrays["source_index.npy"][k] = i
                if masks:
                    arrays["masks.npy"][k] = item["mask"]
                if has_captions:
                    texts = dataset.captions(i)
                    state["captioned"] += bool(texts)
                    captions_fh.write(json.dumps(texts, ensure_ascii=False) + "\n")
                state["kept"] = k + 1
            state["done"] = i + 1
            if state["done"] % flush_every == 0 or state["done"] == n:
                _record(partial, arrays, captions_fh, state)
            if progress is not None:
                progress(i + 1, n)
    finally:
        captions_fh.close()
    del arrays
    if not state["captioned"]:
        captions_path.unlink()
    manifest = _manifest(partial, plan, info, state, masks)
    manifest["mask_names"] = getattr(dataset, "mask_names", None) if masks else None  # folder: labels.txt
    (partial / PROGRESS).unlink()
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=1))
    os.replace(partial, out)
    return out, manifest


def _resume_state(partial: Path, plan: dict) -> dict | None:
    """The progress record of an interrupted prepare of the same plan, else None (start over)."""
    try:
        state = json.loads((partial / PROGRESS).read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("plan") == plan else None


def _record(partial: Path, arrays: dict, captions_fh, state: dict) -> None:
    for array in arrays.values():
        array.flush()
    captions_fh.flush()
    os.fsync(captions_fh.fileno())
    state["caption_bytes"] = captions_fh.tell()
    tmp = partial / (PROGRESS + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, partial / PROGRESS)


def _manifest(partial: Path, plan: dict, info, state: dict, masks: bool) -> dict:
    files = sorted(p.name for p in partial.iterdir() if p.name not in (PROGRESS, MANIFEST))
    return {
        "format": FORMAT,
        "version": VERSION,
        "genvision_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "plan": plan,
        "source": plan["source"],
        "source_path": info.source,
        "dataset": info.dataset,
        "size": plan["size"],
        "channels": plan["channels"],
        "count": state["kept"],
        "skipped": state["skipped"],
        "num_classes": info.num_classes,
        "class_names": info.class_names,
        "num_mask_classes": info.num_mask_classes if masks else 0,
        "mask_flip_pairs": info.mask_flip_pairs if masks else None,
        "files": {
            name: {"bytes": (partial / name).stat().st_size, "sha256": sha256_file(partial / name)}
            for name in files
        },
    }
