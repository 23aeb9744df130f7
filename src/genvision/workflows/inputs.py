"""Reading what commands are given: images (files or data references), fill masks and part label maps.

    images, labels = load_images(["photo.png"], shape=(1, 28, 28))           # files, in order
    images, labels = load_images(["fashion-mnist:test:0-8"], shape=(1, 28, 28))
    fills = build_fills(images, mask_file=None, mask_shape="center")          # [N, 1, H, W], 1 = fill
    label_map = load_label_map("parts.png", (64, 64))                         # int64 [H, W] part indices

An argument with an image suffix names a file (which must exist); anything else is a data reference
`NAME[:SPLIT[:INDEX|START-END]]`. Files are converted to the model's channels and resized to its size.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genvision.data import load_dataset
from genvision.data.images import IMAGE_SUFFIXES, load_image
from genvision.data.masks import load_fill_png, make_fills
from genvision.errors import GenvisionError
from genvision.viz.images import from_uint8

MAX_ASPECT_CHANGE = 4.0  # beyond this a centre crop would keep < 1/4 of the image: refused instead


def is_image_file(ref: str) -> bool:
    """Whether `ref` names an image file (by its suffix); such a file must exist."""
    if Path(ref).suffix.lower() not in IMAGE_SUFFIXES:
        return False
    if not Path(ref).is_file():
        raise GenvisionError(
            f"image file {ref} does not exist; give an existing image or a data reference "
            "such as fashion-mnist:test:0"
        )
    return True


def crop_to_aspect(array: np.ndarray, height: int, width: int, name: str) -> np.ndarray:
    """The centre crop of an image [h, w(, C)] with the aspect ratio width / height, with a warning when it cuts
    more than 5% off; an image whose aspect ratio is more than MAX_ASPECT_CHANGE times off is refused."""
    ih, iw = array.shape[:2]
    change = (iw / ih) / (width / height)
    if max(change, 1 / change) > MAX_ASPECT_CHANGE:
        raise GenvisionError(
            f"{name} is {iw}x{ih} pixels, too far from the model's {width}x{height} shape to crop "
            f"(aspect ratio off by {max(change, 1 / change):.0f}x): crop it to about {width}:{height} first"
        )
    if max(change, 1 / change) <= 1.05:
        return array
    ch, cw = (ih, round(ih * width / height)) if change > 1 else (round(iw * height / width), iw)
    top, left = (ih - ch) // 2, (iw - cw) // 2
    warnings.warn(
        f"{name} is {iw}x{ih} pixels; centre-cropped to {cw}x{ch} to match the model's {width}x{height} "
        "aspect ratio before resizing",
        stacklevel=3,
    )
    return array[top : top + ch, left : left + cw]


def load_image_file(path: str | Path, shape: tuple[int, int, int]) -> torch.Tensor:
    """One image file as [1, C, H, W] in [-1, 1], converted to C channels, centre-cropped to the model's aspect
    ratio (with a warning) and resized (bicubic) to H × W."""
    c, h, w = shape
    array = crop_to_aspect(load_image(path, None, 1 if c == 1 else 3), h, w, str(path))
    if array.shape[:2] != (h, w):
        mode = "L" if array.ndim == 2 else "RGB"
        array = np.array(Image.fromarray(array, mode).resize((w, h), Image.Resampling.BICUBIC))
    return from_uint8(array[None])


def load_reference(
    ref: str, shape: tuple[int, int, int], data_dir: str | None = None, with_label_maps: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(images [N, C, H, W] in [-1, 1], labels [N] (−1 unknown), part label maps [N, H, W] or None) of a
    data reference at the model's shape (test split unless the reference names one)."""
    c, h, _ = shape
    ds = load_dataset(ref, split="test", data_dir=data_dir, with_masks=with_label_maps)
    if tuple(ds.info.shape) != tuple(shape):  # said once, then rendered at the model's size
        warnings.warn(
            f"{ref} holds {ds.info.shape[0]}x{ds.info.shape[1]}x{ds.info.shape[2]} images; converted to "
            f"the model's {c}x{h}x{shape[2]}",
            stacklevel=2,
        )
        ds = load_dataset(
            ref, split="test", data_dir=data_dir, image_size=h, channels=c, with_masks=with_label_maps
        )
    if len(ds) == 0:
        raise GenvisionError(f"data reference {ref!r} selects no images")
    items = [ds[i] for i in range(len(ds))]
    images = torch.stack([it["image"] for it in items])
    if tuple(images.shape[1:]) != tuple(shape):
        raise GenvisionError(
            f"{ref} gives images of shape {list(images.shape[1:])}; the model needs {list(shape)}"
        )
    labels = torch.stack([torch.as_tensor(it["label"]) for it in items]).long()
    if not with_label_maps:
        return images, labels, None
    if "mask" not in items[0]:
        raise GenvisionError(f"{ref} has no part label maps; part masks need celebamask-hq")
    return images, labels, torch.stack([it["mask"] for it in items]).long()


def load_images(
    refs: list[str] | str, shape: tuple[int, int, int], data_dir: str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images [N, C, H, W] in [-1, 1] and labels [N] (−1 when unknown) from image files and data references,
    concatenated in the order given."""
    refs = [refs] if isinstance(refs, str) else list(refs)
    if not refs:
        raise GenvisionError(
            "no images given: pass an image file or a data reference such as fashion-mnist:test:0"
        )
    images, labels = [], []
    for ref in refs:
        if is_image_file(ref):
            images.append(load_image_file(ref, shape))
            labels.append(torch.tensor([-1]))
        else:
            x, y, _ = load_reference(ref, shape, data_dir)
            images.append(x)
            labels.append(y)
    return torch.cat(images), torch.cat(labels)


def load_one(
    ref: str, shape: tuple[int, int, int], data_dir: str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first image [1, C, H, W] (and label [1]) of an image file or a data reference."""
    images, labels = load_images([ref], shape, data_dir)
    return images[:1], labels[:1]


def build_fills(
    images: torch.Tensor,
    mask_file: str | None = None,
    mask_shape: str | None = None,
    seed: int = 0,
    label_maps: torch.Tensor | None = None,
) -> torch.Tensor:
    """Fill masks [N, 1, H, W] (1 = fill) from a user PNG (white = fill, resized with nearest) or a shape spec."""
    n, _, h, w = images.shape
    if (mask_file is None) == (mask_shape is None):
        raise GenvisionError(
            "give exactly one of --mask FILE.png or --mask-shape box|center|half|strokes|part:NAME"
        )
    if mask_file is not None:
        return load_fill_png(mask_file, (h, w))[None, None].expand(n, 1, h, w).clone()
    return make_fills(mask_shape, n, h, w, seed=seed, label_maps=label_maps)


def load_label_map(path: str | Path, size: tuple[int, int]) -> torch.Tensor:
    """A part label map PNG (pixel value = CelebAMask-HQ part 0-18, as the data layer caches them), resized with
    nearest neighbours to `size` (H, W) → int64 [H, W]."""
    path = Path(path)
    if not path.is_file():
        raise GenvisionError(f"label map {path} does not exist")
    try:
        with Image.open(path) as img:
            if img.mode not in ("L", "P", "I", "I;16"):
                raise GenvisionError(
                    f"{path} is a {img.mode} image; a label map is single-channel with part "
                    "indices as values (0 = background, 13 = hair, ...)"
                )
            labels = img.convert("L").resize((size[1], size[0]), Image.NEAREST)
            return torch.from_numpy(np.asarray(labels).astype(np.int64))
    except (OSError, SyntaxError, ValueError) as exc:
        raise GenvisionError(f"cannot read label map {path}: {exc}") from exc


def label_map_from_data(ref: str, shape: tuple[int, int, int], data_dir: str | None = None) -> torch.Tensor:
    """The part label map [H, W] of one dataset item, e.g. celebamask-hq:test:17."""
    _, _, maps = load_reference(ref, shape, data_dir, with_label_maps=True)
    if len(maps) != 1:
        raise GenvisionError(
            f"--label-map-from takes one item (e.g. celebamask-hq:test:17), {ref!r} selects {len(maps)}"
        )
    return maps[0]
