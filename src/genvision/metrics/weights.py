"""Where pretrained weight files are looked up; nothing is ever downloaded by the metrics.

Search order: $GENVISION_HOME/weights (default ~/.cache/genvision/weights), then the torch hub cache
(`torch.hub.get_dir()/checkpoints`, i.e. $TORCH_HOME/hub/checkpoints), where torchvision and torch-fidelity
keep their downloads.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.errors import GenvisionError
from genvision.paths import genvision_home


def weight_dirs() -> list[Path]:
    return [genvision_home() / "weights", Path(torch.hub.get_dir()) / "checkpoints"]


def find_weight_file(filenames: list[str]) -> Path | None:
    """The first of `filenames` found in the weight folders (folder order first), or None."""
    for folder in weight_dirs():
        for name in filenames:
            if (folder / name).is_file():
                return folder / name
    return None


def require_weight_file(filenames: list[str], purpose: str, source: str) -> Path:
    """Like `find_weight_file`, but raise a GenvisionError that says which file to put where."""
    found = find_weight_file(filenames)
    if found is None:
        names = " or ".join(filenames)
        folders = " or ".join(str(d) for d in weight_dirs())
        raise GenvisionError(
            f"{purpose} needs the weight file {names}, which is not on this machine; "
            f"download it from {source} and put it in {folders}"
        )
    return found


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    """Read a public checkpoint of plain tensors with `weights_only=True` (no arbitrary unpickling)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the file is unusable
        raise GenvisionError(
            f"{path} could not be read as a tensor checkpoint ({exc}); delete it and put a fresh copy there"
        ) from exc
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict):
        raise GenvisionError(f"{path} holds a {type(state).__name__}, not a state dict of tensors")
    return state
