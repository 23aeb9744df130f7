"""`--sampler` and `--sampler-option KEY=VALUE`, with help written from the sampler table.

genvision sample fashion-ddpm --sampler ddpm --sampler-option variance=large
"""

from __future__ import annotations

from typing import Any

import typer

from genvision.diffusion.samplers import SAMPLERS, inpainting_samplers
from genvision.diffusion.samplers.registry import parse_assignments
from genvision.errors import GenvisionError


def _rows(names: list[str]) -> str:
    return "; ".join(f"{name} ({SAMPLERS[name].description})" for name in names)


def _options() -> str:
    parts = [
        f"{key} ({name}: {option.help}; default {option.default})"
        for name, row in SAMPLERS.items()
        for key, option in row.options.items()
    ]
    return ", ".join(parts)


def sampler_flag(inpainting: bool = False) -> Any:
    """The `--sampler` option: one of the table's rows (those with an inpainting step for `inpainting`)."""
    names = inpainting_samplers() if inpainting else list(SAMPLERS)
    return typer.Option(None, "--sampler", help=f"Diffusion sampler (default: the bundle's): {_rows(names)}.")


def sampler_option_flag() -> Any:
    """The repeatable `--sampler-option KEY=VALUE`."""
    return typer.Option(
        None, "--sampler-option", help=f"A sampler's own option as KEY=VALUE, repeatable: {_options()}."
    )


def sampler_options(assignments: list[str] | None, eta: float | None = None) -> dict[str, Any]:
    """The options given by `--sampler-option` (values parsed by the sampler's row) and `--eta`."""
    options: dict[str, Any] = dict(parse_assignments(assignments))
    if eta is not None:
        if "eta" in options:
            raise GenvisionError("give eta once: --eta X or --sampler-option eta=X, not both")
        options["eta"] = eta
    return options
