"""Upload limits: bytes and pixels are checked before an uploaded image is decoded.

    limits = UploadLimits(max_bytes=10_000_000, max_side=4096)
    array = read_upload("/tmp/gradio/…/photo.png", limits)    # uint8 [H, W] or [H, W, 3], or GenvisionError

The path is the copy gradio wrote when the browser uploaded a file; the browser never names a server path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from genvision.errors import GenvisionError

MB = 1_000_000
KEEP_SIDE = 1024  # an accepted upload is shrunk to this longest side: the models are far smaller


@dataclass(frozen=True)
class UploadLimits:
    """The largest upload accepted: bytes on the wire and width / height in pixels."""

    max_bytes: int = 10 * MB
    max_side: int = 4096

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_side <= 0:
            raise GenvisionError(
                f"upload limits must be positive, got {self.max_bytes} bytes and {self.max_side} pixels"
            )

    def describe(self) -> str:
        return f"{size_text(self.max_bytes)}, {self.max_side}×{self.max_side} pixels"


def size_text(n: int) -> str:
    """12.3 MB, 48.8 kB or 812 bytes."""
    if n >= MB:
        return f"{n / MB:.3g} MB"
    return f"{n / 1000:.3g} kB" if n >= 1000 else f"{n} bytes"


def check_bytes(path: Path, limits: UploadLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise GenvisionError(
            f"{path.name} is {size_text(size)}; uploads are limited to "
            f"{size_text(limits.max_bytes)} (genvision serve --max-upload-mb)"
        )


def check_pixels(name: str, width: int, height: int, limits: UploadLimits) -> None:
    if width > limits.max_side or height > limits.max_side:
        raise GenvisionError(
            f"{name} is {width}×{height} pixels; uploads are limited to "
            f"{limits.max_side}×{limits.max_side} (genvision serve --max-image-size)"
        )


def open_upload(path: str | Path, limits: UploadLimits) -> Image.Image:
    """The upload opened lazily (header read, pixels not yet decoded) once its bytes and size pass."""
    path = Path(path)
    check_bytes(path, limits)
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:  # PIL refuses before reading the header's size for us
        raise GenvisionError(
            f"{path.name} has too many pixels; uploads are limited to {limits.max_side}×"
            f"{limits.max_side} (genvision serve --max-image-size)"
        ) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise GenvisionError(
            f"{path.name} is not an image this app can read (PNG, JPEG, WebP, BMP, ...)"
        ) from exc
    check_pixels(path.name, *image.size, limits)
    return image


def read_upload(path: str | Path, limits: UploadLimits) -> np.ndarray:
    """uint8 [H, W] (grayscale) or [H, W, 3] of an upload within the limits; transparency over black."""
    with open_upload(path, limits) as image:
        image.thumbnail((KEEP_SIDE, KEEP_SIDE), Image.LANCZOS)
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            black = Image.new("RGBA", image.size, (0, 0, 0, 255))
            image = Image.alpha_composite(black, image).convert("RGB")
        elif image.mode not in ("L", "RGB"):
            image = image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")
        return np.asarray(image, dtype=np.uint8).copy()
