"""The sampler table: one row per sampler, read by the API, the CLI, config validation and the app.

    row = sampler_row("ddim")               # Sampler(name, sample, default_steps, options, inpaint_step, ...)
    row.resolve({"eta": "0.5"})             # {"eta": 0.5}: every option, given or default, checked
    row.steps_for(T)                         # its default step count (None in the row: all T timesteps)

A new sampler is one module (a `sample` function over explicit (t, t_prev) pairs, the signature of
`ddim_sample`) plus one row here; nothing else names samplers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from genvision.diffusion.samplers.ddim import ddim_sample, ddim_update
from genvision.diffusion.samplers.ddpm import VARIANCES, ddpm_sample, ddpm_update
from genvision.diffusion.samplers.dpm_solver import dpmpp_2m_sample
from genvision.diffusion.samplers.euler import euler_sample
from genvision.diffusion.timesteps import SPACINGS
from genvision.errors import GenvisionError
from genvision.plugins import plugin

# keyword arguments every sample function takes besides its options (see ddim_sample)
COMMON_ARGS = ("spacing", "noise", "clip_x0", "callback", "return_trajectory")


@dataclass(frozen=True)
class Option:
    """One sampler option: its default and the values it takes, either `choices` or a real number in `bounds`.
    Strings (from the command line or a config) are parsed."""

    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    bounds: tuple[float, float] | None = None

    def check(self, sampler: str, key: str, value: Any) -> Any:
        if self.choices:
            for choice in self.choices:
                if value == choice or (isinstance(value, str) and value == str(choice)):
                    return choice
            allowed = ", ".join(map(str, self.choices))
            raise GenvisionError(f"sampler option {key}={value!r} ({sampler}): choose one of {allowed}")
        lo, hi = self.bounds or (float("-inf"), float("inf"))
        number = _as_number(value)
        if number is None or not lo <= number <= hi:
            raise GenvisionError(f"sampler option {key}={value!r} ({sampler}): give a number in [{lo}, {hi}]")
        return number


@dataclass(frozen=True)
class Sampler:
    """A row of the table. `sample(model_fn, schedule, x_T, *, prediction, steps, spacing, noise, clip_x0,
    callback, return_trajectory, **options)`; `inpaint_step(schedule, *, prediction, noise, clip_x0, **options)`
    returns the StepUpdate that inpainting interleaves with its known-region paste (None: no inpainting)."""

    name: str
    sample: Callable[..., Any]
    default_steps: int | None  # None: every training timestep
    description: str
    options: Mapping[str, Option] = field(default_factory=dict)
    inpaint_step: Callable[..., Any] | None = None
    spacing: bool = True  # follows the timestep spacing; False: it picks its own timesteps

    def spacing_for(self, given: str | None, default: str | None = "trailing") -> str | None:
        """The timestep spacing of a run: given, else `default` (a bundle's); None for a sampler that picks its
        own timesteps, for which giving one is an error."""
        if not self.spacing:
            if given is not None:
                raise GenvisionError(f"the {self.name} sampler picks its own timesteps: drop the spacing")
            return None
        spacing = given or default
        if spacing not in SPACINGS:
            raise GenvisionError(f"unknown timestep spacing {spacing!r}: choose one of {', '.join(SPACINGS)}")
        return spacing

    def steps_for(self, num_timesteps: int) -> int:
        """The default number of steps for a schedule of `num_timesteps`."""
        return num_timesteps if self.default_steps is None else min(self.default_steps, num_timesteps)

    def resolve(self, given: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every option of this sampler, checked: given, else from `defaults` (e.g. a bundle's sampling block,
        whose keys this sampler does not take are ignored), else the row's default."""
        for key in given:
            if key not in self.options:
                raise unknown_option(self.name, key)
        defaults = {key: value for key, value in (defaults or {}).items() if value is not None}
        return {
            key: option.check(self.name, key, given.get(key, defaults.get(key, option.default)))
            for key, option in self.options.items()
        }


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def unknown_option(name: str, key: str) -> GenvisionError:
    owners = [row.name for row in SAMPLERS.values() if key in row.options]
    if owners:
        which = "/".join(owners)
        return GenvisionError(f"{key} applies to the {which} sampler, not {name!r}: drop it or use {which}")
    takes = ", ".join(SAMPLERS[name].options) or "none"
    return GenvisionError(f"unknown option {key!r} for the {name} sampler (its options: {takes})")


SAMPLERS: dict[str, Sampler] = {
    row.name: row
    for row in (
        Sampler(
            "ddpm",
            ddpm_sample,
            None,
            "ancestral DDPM (Ho et al. 2020), stochastic; default all T steps",
            {"variance": Option("small", "posterior variance: small (β̃) or large (β)", choices=VARIANCES)},
            ddpm_update,
        ),
        Sampler(
            "ddim",
            ddim_sample,
            50,
            "DDIM (Song et al. 2021): deterministic at eta 0, ancestral at eta 1",
            {"eta": Option(0.0, "stochasticity η: 0 deterministic, 1 ancestral", bounds=(0.0, 1.0))},
            ddim_update,
        ),
        Sampler("dpmpp", dpmpp_2m_sample, 20, "DPM-Solver++(2M) (Lu et al. 2022), deterministic, 2nd order"),
        Sampler(
            "euler",
            euler_sample,
            20,
            "Euler, or Heun at order 2, on Karras sigmas (Karras et al. 2022)",
            {
                "order": Option(1, "1: Euler; 2: Heun's correction, 2 network calls a step", choices=(1, 2)),
                "rho": Option(7.0, "ρ of the Karras σ spacing", bounds=(1.0, 100.0)),
            },
            spacing=False,
        ),
    )
}


def sampler_row(name: str) -> Sampler:
    """The row of sampler `name` (a built-in, else a `genvision.samplers` entry point of another package, added to
    the table on first use), or a one-line error listing the table."""
    if name not in SAMPLERS and (found := plugin("genvision.samplers", name, Sampler)) is not None:
        SAMPLERS[name] = found
    if name not in SAMPLERS:
        raise GenvisionError(f"unknown sampler {name!r}: choose one of {', '.join(SAMPLERS)}")
    return SAMPLERS[name]


def inpainting_samplers() -> list[str]:
    """The samplers that have an inpainting step."""
    return [name for name, row in SAMPLERS.items() if row.inpaint_step is not None]


def inpainting_row(name: str) -> Sampler:
    """The row of `name` when it can inpaint, else a one-line error naming those that can."""
    row = sampler_row(name)
    if row.inpaint_step is None:
        names = " and ".join(inpainting_samplers())
        raise GenvisionError(f"inpainting works with the {names} samplers, not {name!r}")
    return row


def parse_assignments(texts: list[str] | None, flag: str = "--sampler-option") -> dict[str, str]:
    """["variance=large", "eta=0.5"] → {"variance": "large", "eta": "0.5"}; values are checked by the row."""
    out: dict[str, str] = {}
    for text in texts or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise GenvisionError(f"{flag} takes KEY=VALUE (e.g. variance=large), got {text!r}")
        out[key.strip()] = value.strip()
    return out
