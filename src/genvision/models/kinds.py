"""Bundle kinds from other packages: what a "genvision.kinds" entry point names (see genvision.plugins).

    KIND = ModelKind("toy", loader=load_toy, networks=(ToyNet,))     # in the plugin package

Built-in kinds are in the tables of genvision.models.catalog (networks), bundle_config (schemas) and
genvision.generators (loaders); a kind those lack is looked up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.plugins import plugin, plugin_names

GROUP = "genvision.kinds"


@dataclass(frozen=True)
class ModelKind:
    """One bundle kind: how to open its bundles and which networks they name."""

    name: str  # the bundle kind, as written in config.json
    loader: Callable[..., Any]  # (Bundle, torch.device, precision: str) → a genvision.generators.LoadedModel
    networks: tuple[type[nn.Module], ...] = ()  # @register_model classes its components name
    config: type | None = None  # its config.json schema, a BundleConfig subclass (None: the common keys)
    samples: bool = True  # its models' sample(n, *, seed, label, batch_size) serves `genvision sample`


def plugin_kind(kind: str) -> ModelKind | None:
    """The plugin ModelKind of a bundle kind, or None when no installed package registers it."""
    return plugin(GROUP, kind, ModelKind)


def plugin_kind_names() -> list[str]:
    """Kinds registered by installed packages (their modules are not imported)."""
    return plugin_names(GROUP)


def plugin_network(name: str) -> type[nn.Module] | None:
    """A network class named `name` by a plugin kind, or None. A plugin that fails to load does not stop the
    others from answering; its error is raised only when no other plugin has the class."""
    failed: GenvisionError | None = None
    for kind in plugin_kind_names():
        try:
            networks = plugin(GROUP, kind, ModelKind).networks
        except GenvisionError as exc:
            failed = failed or exc
            continue
        for cls in networks:
            if cls.__name__ == name:
                return cls
    if failed is not None:
        raise failed
    return None
