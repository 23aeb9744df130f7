"""Class conditions: parse a class given by name or index, and drop labels for classifier-free guidance.

The UNet owns the learned class embedding (added to the time embedding) and reserves one extra row as the
"null class" used for unconditional predictions; here we only decide which label each sample gets.
"""

from __future__ import annotations

import re

import torch

from genvision.errors import GenvisionError
from genvision.seeding import Draws, draw_uniform


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_class(spec: str | int, class_names: list[str] | None, num_classes: int | None = None) -> int:
    """A class index from an index ("7", 7) or a name ("sneaker", "Ankle boot", "ankle-boot", "t-shirt").

    Names match case- and punctuation-insensitively, on the whole name or any "/"-separated alternative
    ("T-shirt/top" answers to "tshirt" and "top")."""
    count = num_classes if num_classes is not None else len(class_names or [])
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < count:
            raise GenvisionError(
                f"class index {index} is out of range: this model has {count} classes (0-{count - 1})"
            )
        return index
    if not class_names:
        raise GenvisionError(
            f"class {text!r} given by name but the model stores no class names: pass an index"
        )
    wanted = _normalise(text)
    for index, name in enumerate(class_names):
        if wanted in {_normalise(name)} | {_normalise(part) for part in name.split("/")}:
            return index
    raise GenvisionError(f"unknown class {text!r}; classes: {', '.join(class_names)}")


def draw_dropped(
    batch: int, probability: float, gen: Draws, device: torch.device | None = None
) -> torch.Tensor:
    """Which samples lose their condition (True) for classifier-free guidance, each with `probability`."""
    if not 0.0 <= probability <= 1.0:
        raise GenvisionError(f"condition dropout must be in [0, 1], got {probability}")
    return draw_uniform((batch,), gen, device or gen.device) < probability


def drop_labels(labels: torch.Tensor, drop: torch.Tensor, null_label: int) -> torch.Tensor:
    """Replace dropped labels by the null class index (the UNet's extra embedding row)."""
    return torch.where(drop, torch.full_like(labels, null_label), labels)
