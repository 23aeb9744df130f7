"""Reading figure PNGs back for the tests."""

from pathlib import Path

import numpy as np
from PIL import Image


def png_std(path: Path) -> float:
    """Pixel standard deviation (0–255 scale, all channels) of a PNG: near 0 for a blank figure."""
    return float(np.asarray(Image.open(path).convert("RGB"), dtype=np.float64).std())
