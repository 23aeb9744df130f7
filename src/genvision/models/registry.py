"""Model classes by name, with their constructor arguments recorded for bundles.

`@register_model` wraps `__init__` so every instance keeps `init_args` (the bound constructor arguments,
defaults included); a bundle stores the class name and these arguments, and `build_model` rebuilds it.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar

M = TypeVar("M", bound=type)


def register_model(cls: M) -> M:
    """Record the constructor arguments of each instance of `cls` as `init_args` (for bundles; the class is
    looked up by name in genvision.models.catalog.MODEL_CLASSES)."""
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
    return cls


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
