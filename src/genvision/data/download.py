"""Checksum-verified downloads, used only when files are absent locally and the network allows."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

from genvision.io.atomic import atomic_path


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def downloads_allowed() -> bool:
    """Downloads are off when GENVISION_OFFLINE=1 (tests and CI set it)."""
    return os.environ.get("GENVISION_OFFLINE", "0") not in ("1", "true", "yes")


def download_verified(urls: list[str], dest: Path, checksum: str, timeout: float = 20.0) -> bool:
    """Fetch the first URL that answers into `dest` if its `algo:hex` checksum matches; True on success."""
    algorithm, expected = checksum.split(":", 1)
    for url in urls:
        try:
            with atomic_path(dest) as tmp:
                with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
                    while chunk := resp.read(1 << 20):
                        out.write(chunk)
                if file_digest(tmp, algorithm) != expected:
                    raise ValueError(f"checksum mismatch for {url}")
            return True
        except (OSError, ValueError):
            continue
    return False
