"""Model families: a Recipe class with the dataclass schemas of its `model:` and `recipe:` config sections.

FAMILIES is the explicit table from a config's `family:` to its recipe (families of other packages come
through the "genvision.families" entry points); `load_run_config` validates a YAML preset against the
schemas of its family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from genvision.config.run import RunConfig, read_run_config
from genvision.config.schema import from_dict
from genvision.errors import ConfigError
from genvision.plugins import plugin, plugin_names
from genvision.train.recipes.autoencoder import (
    AutoencoderModelConfig,
    AutoencoderRecipeConfig,
    AutoencoderTraining,
)
from genvision.train.recipes.classifier import ClassifierModel, ClassifierRecipe, ClassifierTraining
from genvision.train.recipes.ddpm import DDPMModel, DDPMRecipe, DDPMTraining
from genvision.train.recipes.distill import DistillModel, DistillRecipe
from genvision.train.recipes.gan import CGANTraining, DCGANTraining, GanModelConfig, GanRecipeConfig
from genvision.train.recipes.ldm import LDMModel, LDMRecipe, LDMTraining
from genvision.train.recipes.reflow import distill_training
from genvision.train.recipes.stylegan import StyleGANModelConfig, StyleGANRecipeConfig, StyleGANTraining
from genvision.train.recipes.vae import VAEModelConfig, VAERecipeConfig, VAETraining
from genvision.train.recipes.vqvae import VQVAEModelConfig, VQVAERecipeConfig, VQVAETraining


@dataclass(frozen=True)
class Family:
    name: str
    recipe: Callable  # (cfg, info, device) -> Recipe: a Recipe class or a factory
    model_schema: type
    recipe_schema: type


PLUGIN_GROUP = "genvision.families"  # families from other packages (genvision.plugins)
FAMILIES: dict[str, Family] = {
    "autoencoder": Family(
        "autoencoder", AutoencoderTraining, AutoencoderModelConfig, AutoencoderRecipeConfig
    ),
    "classifier": Family("classifier", ClassifierTraining, ClassifierModel, ClassifierRecipe),
    "ddpm": Family("ddpm", DDPMTraining, DDPMModel, DDPMRecipe),
    "distill": Family("distill", distill_training, DistillModel, DistillRecipe),
    "dcgan": Family("dcgan", DCGANTraining, GanModelConfig, GanRecipeConfig),
    "cgan": Family("cgan", CGANTraining, GanModelConfig, GanRecipeConfig),
    "ldm": Family("ldm", LDMTraining, LDMModel, LDMRecipe),
    "stylegan": Family("stylegan", StyleGANTraining, StyleGANModelConfig, StyleGANRecipeConfig),
    "vae": Family("vae", VAETraining, VAEModelConfig, VAERecipeConfig),
    "vqvae": Family("vqvae", VQVAETraining, VQVAEModelConfig, VQVAERecipeConfig),
}


def get_family(name: str) -> Family:
    """A built-in family, else one a package registers under the "genvision.families" entry points."""
    if name in FAMILIES:
        return FAMILIES[name]
    found = plugin(PLUGIN_GROUP, name, Family)
    if found is None:
        raise ConfigError(f"unknown family {name!r}; known: {', '.join(family_names())}")
    return found


def family_names() -> list[str]:
    return sorted({*FAMILIES, *plugin_names(PLUGIN_GROUP)})


def load_run_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a run config, including its family's `model` and `recipe` sections."""
    cfg = read_run_config(path, overrides)
    family = get_family(cfg.family)
    cfg.model = from_dict(family.model_schema, cfg.model, "model")
    cfg.recipe = from_dict(family.recipe_schema, cfg.recipe, "recipe")
    return cfg
