"""Model classes by name, with their constructor arguments recorded for bundles.

`@register_model` wraps `__init__` so every instance keeps `init_args` (the bound constructor arguments,
defaults included); a bundle stores the class name and these arguments, and `build_model` rebuilds it.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar

import torch.nn as nn

from genvision.errors import BundleError

_MODELS: dict[str, type[nn.Module]] = {}
M = TypeVar("M", bound=type)


def register_model(cls: M) -> M:
    """Register `cls` under its class name and record its constructor arguments on each instance."""
    original_init = cls.__init__
    signature = inspect.signature(original_init)

    @functools.wraps(original_init)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        recorded = {k: v for k, v in bound.arguments.items() if k != "self"}
        original_init(self, *args, **kwargs)
        if type(self) is cls:  # the outermost registered class records its own arguments
            self.init_args = _jsonable(recorded)

    cls.__init__ = __init__
    _MODELS[cls.__name__] = cls
    return cls


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def model_class(name: str) -> type[nn.Module]:
    _import_model_modules()
    if name not in _MODELS:
        raise BundleError(f"unknown model class {name!r} in bundle; known: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def build_model(name: str, args: dict[str, Any]) -> nn.Module:
    """Instantiate a registered model class from its recorded arguments."""
    cls = model_class(name)
    try:
        return cls(**args)
    except TypeError as exc:
        raise BundleError(f"bundle arguments do not fit model class {name}: {exc}") from exc


def _import_model_modules() -> None:
    """Import every module under genvision.models so their classes register."""
    import importlib
    import pkgutil

    import genvision.models as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"genvision.models.{info.name}")
