"""Output paths are checked before any work, so a long run never ends in an unwritable path."""

from __future__ import annotations

import os
from pathlib import Path

from genvision.errors import GenvisionError
from genvision.viz.images import image_format


def check_outputs(images: tuple[Path | None, ...] = (), files: tuple[Path | None, ...] = ()) -> None:
    """Image outputs need a known image suffix; every output must be creatable: its nearest existing folder is a
    writable folder, and the path itself is not a folder."""
    for path in images:
        if path is not None:
            image_format(path)
    for path in (p for p in (*images, *files) if p is not None):
        path = Path(path)
        if path.is_dir():
            raise GenvisionError(f"cannot write {path}: it is a folder; give a file name")
        ancestor = path.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise GenvisionError(f"cannot write {path}: {ancestor} is a file, not a folder")
        if not os.access(ancestor, os.W_OK):
            raise GenvisionError(f"cannot write {path}: {ancestor} is not writable")
