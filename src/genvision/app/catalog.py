"""The models a server offers: shipped bundles plus folders named on the command line, loaded lazily.

    catalog = ModelCatalog.from_refs(["runs/mine/bundle"], device="cpu")
    catalog.names(("ddpm", "ldm"))      # ['fashion-ddpm', 'fashion-ldm', ...]: what the pickers list
    catalog.get("fashion-ldm")          # genvision.load(...) on first use, then the same object

The browser only ever sends one of these names; a name that is not in the catalog is an error, so no
request can make the server open a path of its choosing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import genvision
from genvision.errors import GenvisionError
from genvision.models.bundle import Bundle, load_bundle


@dataclass(frozen=True)
class CatalogEntry:
    """One model the pickers list: the name shown, its kind, and the bundle behind it (server side only)."""

    name: str
    kind: str
    bundle: Bundle


def display_name(path: Path) -> str:
    """A folder's name in the pickers; runs/<name>/bundle (what training writes) shows as <name>."""
    path = path.resolve()
    return path.parent.name if path.name == "bundle" and path.parent.name else path.name


class ModelCatalog:
    """Named bundles and a cache of the models loaded from them (one load per name, thread-safe)."""

    def __init__(self, entries: list[CatalogEntry], device: str = "auto") -> None:
        self.entries = {e.name: e for e in entries}
        self.device = device
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_refs(cls, refs: list[str] | None = None, device: str = "auto") -> ModelCatalog:
        """The shipped bundles, then each extra folder or shipped name (checked now, loaded on first use)."""
        entries = [CatalogEntry(e.name, e.kind, load_bundle(e.name)) for e in genvision.zoo()]
        taken = {e.name for e in entries}
        shipped = {e.name: e.bundle.path.resolve() for e in entries}
        for ref in refs or []:
            bundle = load_bundle(ref)
            if bundle.path.resolve() in shipped.values():
                continue
            name, k = display_name(bundle.path), 2
            while name in taken:
                name, k = f"{display_name(bundle.path)}-{k}", k + 1
            taken.add(name)
            entries.append(CatalogEntry(name, bundle.kind, bundle))
        return cls(entries, device)

    def names(self, kinds: tuple[str, ...]) -> list[str]:
        """Names of the models of these kinds, in the order of `kinds` (then shipped before extra)."""
        return [e.name for kind in kinds for e in self.entries.values() if e.kind == kind]

    def kind(self, name: str) -> str:
        return self._entry(name).kind

    def get(self, name: str, kinds: tuple[str, ...] | None = None) -> Any:
        """The loaded model of a catalog name (loaded once); `kinds` restricts which kinds are accepted."""
        entry = self._entry(name)
        if kinds is not None and entry.kind not in kinds:
            raise GenvisionError(f"{name} is a {entry.kind} model; this view takes: {', '.join(kinds)}")
        with self._lock:
            if name not in self._models:
                self._models[name] = genvision.load(entry.bundle, device=self.device)
            return self._models[name]

    def _entry(self, name: str) -> CatalogEntry:
        if name not in self.entries:
            raise GenvisionError(f"unknown model {name!r}; choose one from the list")
        return self.entries[name]
