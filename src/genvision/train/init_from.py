"""Start a run's networks from a trained bundle (`train.init_from`), and add up training across runs.

A shipped bundle is the end of a short run; `train.init_from=fashion-ddpm` continues from it in a new run
folder: every network named like one of the bundle's components gets its weights (and so does its EMA copy,
made after this), optimiser state and step count start fresh. Weights the bundle lacks (a module added since,
e.g. a pooled-text projection) keep their fresh initialisation and are listed in a warning; a weight of the
wrong shape, or one the network does not have, is an error. Networks without a component (a GAN's
discriminator, which bundles do not ship) start fresh, with a warning.

Totals: each bundle's `training.totals` = {steps, images, hours, runs}, the bundle it started from's totals
(or its own steps/images/seconds when it predates totals) plus this run's, so a bundle says how much training
it holds across sessions, resumes and continuations.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn as nn

from genvision.errors import ConfigError
from genvision.models.bundle import Bundle, load_bundle


def init_from_bundle(nets: dict[str, nn.Module], ref: str, family: str) -> Bundle:
    """Copy the bundle's component weights into the networks of the same name; returns the bundle."""
    bundle = load_bundle(ref)
    kind = bundle.config.get("kind")
    if kind != family:
        raise ConfigError(f"train.init_from={ref} is a {kind!r} bundle; this run trains {family!r}")
    shared = [name for name in nets if (bundle.path / name).is_dir()]
    if not shared:
        raise ConfigError(
            f"train.init_from={ref}: the bundle has no component named like this run's networks ({sorted(nets)})"
        )
    for name in sorted(set(nets) - set(shared)):
        warnings.warn(f"train.init_from: {ref} ships no {name!r}; it starts fresh", stacklevel=2)
    for name in shared:
        copy_weights(nets[name], bundle.component(name).state_dict(), f"{ref}/{name}")
    return bundle


def copy_weights(net: nn.Module, source: dict[str, torch.Tensor], where: str) -> None:
    """Load `source` into `net` (cast to each tensor's dtype); keys `source` lacks keep their values."""
    target = net.state_dict()
    unknown = sorted(set(source) - set(target))
    if unknown:
        raise ConfigError(
            f"train.init_from: {where} has weights this network lacks ({', '.join(unknown[:3])}); "
            "match the model settings to the bundle's"
        )
    for key, value in source.items():
        if value.shape != target[key].shape:
            raise ConfigError(
                f"train.init_from: {where} weight {key} is {list(value.shape)}, the network's is "
                f"{list(target[key].shape)}; match the model settings to the bundle's"
            )
    missing = sorted(set(target) - set(source))
    if missing:
        warnings.warn(
            f"train.init_from: {where} lacks {len(missing)} weights ({', '.join(missing[:3])}); "
            "they keep their fresh initialisation",
            stacklevel=3,
        )
    net.load_state_dict({**target, **{k: v.to(target[k].dtype) for k, v in source.items()}})


def bundle_totals(training: dict[str, Any]) -> dict[str, float]:
    """A bundle's training totals; bundles from before totals count their one recorded run."""
    if training.get("totals"):
        return dict(training["totals"])
    recipe = training.get("recipe") or {}
    if "steps" in training:
        steps, images = int(training["steps"]), int(training.get("images_seen", 0))
        seconds = float(training.get("seconds_this_run", training.get("seconds_this_session", 0.0)))
    else:  # schema-1 bundles kept only their train block (steps, batch size, sometimes seconds)
        steps = int(recipe.get("steps", 0))
        images = steps * int(recipe.get("batch_size", 0))
        seconds = float(recipe.get("seconds", 0.0))
    return {"steps": steps, "images": images, "hours": round(seconds / 3600, 6), "runs": int(steps > 0)}


def add_totals(before: dict[str, float], steps: int, images: int, seconds: float) -> dict[str, float]:
    return {
        "steps": int(before["steps"]) + steps,
        "images": int(before["images"]) + images,
        "hours": round(float(before["hours"]) + seconds / 3600, 6),
        "runs": int(before["runs"]) + 1,
    }
