"""Model families: a Recipe class with the dataclass schemas of its `model:` and `recipe:` config sections."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from genvision.errors import ConfigError

# Modules under genvision.train.recipes that register families; missing ones are skipped.
RECIPE_MODULES = ("classifier", "ddpm", "vae", "vqvae", "autoencoder", "gan", "stylegan", "ldm")


@dataclass
class Family:
    name: str
    recipe: type
    model_schema: type
    recipe_schema: type


_FAMILIES: dict[str, Family] = {}


def register_family(name: str, model_schema: type, recipe_schema: type) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        _FAMILIES[name] = Family(name, cls, model_schema, recipe_schema)
        return cls

    return wrap


def _import_recipes() -> None:
    for module in RECIPE_MODULES:
        try:
            importlib.import_module(f"genvision.train.recipes.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"genvision.train.recipes.{module}":
                raise


def get_family(name: str) -> Family:
    _import_recipes()
    if name not in _FAMILIES:
        raise ConfigError(f"unknown family {name!r}; known: {', '.join(sorted(_FAMILIES))}")
    return _FAMILIES[name]


def family_names() -> list[str]:
    _import_recipes()
    return sorted(_FAMILIES)
