"""Extensions from other packages through Python entry points: no edits inside genvision, no import side effects.

A package extends genvision by naming objects in its pyproject.toml:

    [project.entry-points."genvision.kinds"]      # a bundle kind: a genvision.models.kinds.ModelKind
    toy = "genvision_toy:KIND"
    [project.entry-points."genvision.families"]   # a training family: a genvision.train.families.Family
    toy = "genvision_toy:FAMILY"
    [project.entry-points."genvision.samplers"]   # a diffusion sampler, called like ddim_sample
    toy-ddim = "genvision_toy:toy_ddim"

genvision's own tables are read first and win; a name they lack is looked for among the entry points, whose
modules are imported once per process, on first need (so start-up never pays for plugins it does not use).
A plugin that fails to import is a one-line GenvisionError naming the plugin and its package.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from genvision.errors import GenvisionError

GROUPS = ("genvision.kinds", "genvision.families", "genvision.samplers")


@functools.cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def plugin_names(group: str) -> list[str]:
    """The names registered in an entry-point group, read from package metadata without importing any plugin."""
    return sorted(_entry_points(group))


@functools.cache
def load_plugin(group: str, name: str) -> Any:
    """The object entry point `name` of `group` names, imported on the first call only."""
    ep = _entry_points(group)[name]
    try:
        return ep.load()
    except Exception as exc:  # noqa: BLE001 (any failure inside a plugin becomes one line)
        package = ep.dist.name if ep.dist is not None else "its package"
        why = (str(exc).strip().splitlines() or [""])[0]
        raise GenvisionError(
            f"plugin {name!r} ({group} = {ep.value}) from {package} failed to load: "
            f"{type(exc).__name__}: {why}; fix or uninstall {package}"
        ) from exc


def plugin(group: str, name: str, expected: type) -> Any | None:
    """The object of plugin `name` in `group`, or None when no installed package registers that name; an
    object that is not an `expected` is a GenvisionError."""
    if name not in _entry_points(group):
        return None
    found = load_plugin(group, name)
    if not isinstance(found, expected):
        raise GenvisionError(
            f"plugin {name!r} ({group}) is a {type(found).__name__}, not a {expected.__name__}; "
            "its package registers the wrong object"
        )
    return found
