"""`genvision eval`: read samples (a .npy array, an image folder, a data reference) or generate them from a
model, then score them with genvision.metrics.evaluation.

Generated samples are quantised to uint8 before scoring, exactly as if they had been saved with `--npy` and
scored with `--samples`, so the two routes give the same numbers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from genvision.data.folder import list_images
from genvision.data.images import load_image
from genvision.data.registry import DATASETS
from genvision.errors import GenvisionError
from genvision.generators import LoadedModel
from genvision.metrics.evaluation import EvalReport, collapse_gray, evaluate_samples, load_reference
from genvision.viz.images import save_npy
from genvision.workflows.sample import SampleRequest, sample


def is_data_reference(text: str) -> bool:
    name = str(text).split(":")[0]
    return not Path(text).exists() and name in DATASETS and name != "folder"


def load_folder_samples(folder: Path, resize: int | None = None) -> tuple[np.ndarray, list[str]]:
    """uint8 images of a folder (recursive, sorted), and notes naming every file skipped or resized.

    Unreadable files are skipped and named. Images must share one size unless `resize` gives one (H = W)."""
    paths = list_images(folder)
    if not paths:
        raise GenvisionError(f"no images found under {folder}")
    arrays, notes, skipped = [], [], []
    for path in paths:
        try:
            arrays.append(load_image(path, None, None))
        except GenvisionError:
            skipped.append(path.name)
    if skipped:
        notes.append(
            f"skipped {len(skipped)} unreadable file(s) in {folder}: {', '.join(skipped[:10])}"
            + (" ..." if len(skipped) > 10 else "")
        )
    if not arrays:
        raise GenvisionError(f"none of the {len(paths)} images under {folder} could be read")
    channels = {a.shape[2] if a.ndim == 3 else 1 for a in arrays}
    if len(channels) > 1:  # mixed grayscale and colour: read everything as RGB
        arrays = [a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2) for a in arrays]
    sizes = sorted({a.shape[:2] for a in arrays})
    if resize is not None:
        changed = sum(a.shape[:2] != (resize, resize) for a in arrays)
        arrays = [
            a
            if a.shape[:2] == (resize, resize)
            else np.asarray(Image.fromarray(a).resize((resize, resize), Image.Resampling.BICUBIC))
            for a in arrays
        ]
        if changed:
            notes.append(f"resized {changed} image(s) to {resize}x{resize} (--resize)")
    elif len(sizes) > 1:
        shown = ", ".join(f"{h}x{w}" for h, w in sizes[:4])
        raise GenvisionError(
            f"the images under {folder} have different sizes ({shown}); pass --resize SIZE to "
            "resize them all, or give images of one size"
        )
    return collapse_gray(np.stack(arrays)), notes


def load_samples(path: str | Path, resize: int | None = None) -> tuple[np.ndarray, list[str]]:
    """(samples, notes): a .npy array (uint8 [N,H,W(,C)] or [N,C,H,W], or float [N,C,H,W] in [-1, 1]), a folder
    of images, or a data reference such as `fashion-mnist:train` (for real-vs-real baselines)."""
    if is_data_reference(str(path)):
        if resize is not None:
            raise GenvisionError("--resize applies to image folders, not to data references")
        return load_reference(str(path), None)[0], []
    path = Path(path)
    if path.is_dir():
        return load_folder_samples(path, resize)
    if not path.is_file():
        raise GenvisionError(
            f"samples {path} do not exist: pass a .npy file, a folder of images or a data reference"
        )
    if path.suffix != ".npy":
        raise GenvisionError(f"samples {path} must be a .npy array or a folder of images")
    if resize is not None:
        raise GenvisionError("--resize applies to image folders; resize a .npy array before saving it")
    try:
        return np.load(path, allow_pickle=False), []
    except (ValueError, OSError, EOFError) as exc:
        raise GenvisionError(f"cannot read {path} as a numpy array: {exc}") from exc


def evaluate_model(
    model: LoadedModel, request: SampleRequest, npy: str | Path | None = None, **eval_kwargs
) -> EvalReport:
    """Generate request.n samples from `model`, quantise them to uint8 (optionally saving them with `npy`),
    then score them (genvision.metrics.evaluation.evaluate_samples)."""
    samples = sample(model, request).uint8
    if npy is not None:
        save_npy(npy, samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes come back in the report
        return evaluate_samples(samples, n=request.n, **eval_kwargs)
