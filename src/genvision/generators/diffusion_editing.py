"""Real-image editing on DiffusionModel: invert into the model's noise, then sample back under a new condition.

    m = genvision.load("fashion-ldm")
    inv = m.invert(images, label="shirt", steps=50)                                  # DDIM, guidance 1
    inv = m.invert(images, label="shirt", guidance=3.0, method="null-text")          # per-step ∅ fitted
    e = m.edit(images, source="shirt", target="dress", method="diffedit", strength=0.7)
    e = m.edit(inv, target="dress", method="swap")                                   # reuse an inversion

Methods (maths in genvision.diffusion.inversion / null_text / editing):
  invert  ddim            the DDIM ODE run upwards on the sampler's own (t, t_prev) grid, `refine` fixed-point
                          iterations per step (1 by default: one extra model call per step, 28 → 41 dB on
                          fashion-ddpm; 0 is the plain textbook inversion)
          null-text       pivot = DDIM inversion at guidance 1; per-step null inputs fitted so that the guided
                          step lands on the pivot (Mokady et al. 2022)
          negative-prompt the source condition stands in for the null one (Miyake et al. 2023): no optimisation,
                          and guided sampling with the source reduces to the guidance-1 pivot
  edit    sdedit          forward-noise to `strength`, sample under the target
          diffedit        mask from |ε_target − ε_source|; DDIM-invert to `strength`; sample under the target
                          inside the mask, the inverted trajectory pasted outside (the inpainting step)
          swap            the full inversion under the source sampled back under the target (null-text: guided)
Sampling from an inversion is deterministic DDIM (η = 0) without x̂_0 clipping: a clamp cannot be inverted.
Conditions are a class (index or name) or, for text models, a prompt; one for all images or one per image.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import torch

from genvision.conditioning.unet_inputs import Condition
from genvision.diffusion.editing import diffedit_mask, per_step_model, sdedit_start
from genvision.diffusion.guidance import classifier_free_guidance
from genvision.diffusion.inpaint import inpaint_sample
from genvision.diffusion.inversion import ddim_from_level, ddim_invert, sampler_grid, start_level, to_eps
from genvision.diffusion.null_text import NullTextSchedule, optimise_nulls
from genvision.diffusion.samplers import ModelFn
from genvision.errors import GenvisionError
from genvision.generators.base import Progress, batch_ranges
from genvision.generators.diffusion_conditions import DiffusionConditions
from genvision.generators.diffusion_results import DiffusionEdit, DiffusionInversion
from genvision.seeding import PerImageRNG

INVERSIONS = ("ddim", "null-text", "negative-prompt")
EDITS = ("sdedit", "diffedit", "swap")
DEFAULT_STRENGTH = {"sdedit": 0.6, "diffedit": 0.9, "swap": 1.0}  # diffedit: benchmarks/diffusion_editing.py
ConditionLike = int | str | Condition | None


def in_fp32(method):
    """Run a DiffusionEditing method with the UNet in fp32 (see `DiffusionEditing.full_precision`)."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.full_precision():
            return method(self, *args, **kwargs)

    return run


class DiffusionEditing(DiffusionConditions):
    """Inversion and editing for DiffusionModel (a mixin: it uses the model's encode, decode, conditions,
    `branch_inputs`, `network` and `model_fn`)."""

    @contextmanager
    def full_precision(self) -> Iterator[None]:
        """Run the UNet in fp32 inside: bf16's ~3 significant digits compound over 50 inverted steps, and on CPU
        its per-call weight casts make the one-image calls of null-text ~10x slower (measured: 22 vs 580 ms for
        a forward and backward pass of fashion-ldm's UNet)."""
        saved, self.autocast_dtype = self.autocast_dtype, None
        try:
            yield
        finally:
            self.autocast_dtype = saved

    # --- conditions -------------------------------------------------------------------------------------
    def edit_condition(self, value: ConditionLike) -> Condition:
        """A class index or name, else (text models) a prompt of several words; None is the null condition."""
        if value is None or isinstance(value, Condition):
            return value or Condition()
        if not self.num_classes and not self.takes_text:
            raise GenvisionError(
                f"{self.name} is unconditional: it cannot edit towards {value!r}; use a class- or "
                "text-conditional model (fashion-ldm), or SDEdit without a target"
            )
        if isinstance(value, int) or not self.takes_text or " " not in str(value).strip():
            try:
                return self.condition(label=value)
            except GenvisionError as exc:
                hint = "; a prompt takes several words" if self.takes_text else ""
                raise GenvisionError(f"{exc}{hint}") from None
        return self.condition(prompt=str(value))

    def edit_conditions(self, value: ConditionLike | Sequence[ConditionLike] | torch.Tensor, n: int):
        """One condition per image from one value or a sequence of n."""
        if isinstance(value, torch.Tensor):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise GenvisionError(f"{len(value)} conditions for {n} images: give one, or one per image")
            return [self.edit_condition(v) for v in value]
        return [self.edit_condition(cast(ConditionLike, value))] * n

    def _grid(self, steps: int | None, spacing: str | None) -> tuple[int, str, list[int]]:
        run = self.settings("ddim", steps, spacing=spacing, guidance=1.0)
        grid = cast(str, run.spacing)  # ddim follows the spacing, so it is never None
        return run.steps, grid, sampler_grid(self.schedule.num_timesteps, run.steps, grid)

    # --- the pieces every method shares -----------------------------------------------------------------
    def _eps(self, x: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return to_eps(self.schedule, x, t, out, self.prediction)

    def _no_grad_network(self, x: torch.Tensor, t: torch.Tensor, **kwargs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.network(x, t, **kwargs)

    def _ddim_from(self, x: torch.Tensor, model_fn: ModelFn, grid: list[int], level: int) -> torch.Tensor:
        with torch.no_grad():
            return ddim_from_level(model_fn, self.schedule, x, grid, level, prediction=self.prediction)

    def _swap_model(
        self, inversion: DiffusionInversion, target: list[Condition], lo: int, hi: int, grid: list[int]
    ) -> ModelFn:
        """Guided model towards `target` whose null branch is the inversion's: fitted per step (null-text), the
        source (negative-prompt) or the null condition (ddim, at the inversion's guidance)."""
        cond = self.branch_inputs(target)[0]
        g = inversion.guidance
        if inversion.method == "negative-prompt":
            source = self.branch_inputs(inversion.conditions[lo:hi])[0]
            return classifier_free_guidance(self._no_grad_network, cond, source, g)
        nulls = inversion.nulls
        if inversion.method == "null-text" and nulls:
            plan = NullTextSchedule(warm_start=bool(inversion.info.get("warm_start", 1)))
            base = self.null_text_inputs(inversion.conditions[lo:hi], plan)[1]
            if "class_embedding" in base:
                cond["class_embedding"] = self.unet.class_embed(cond["class_labels"]).detach()

            def at(k: int) -> ModelFn:
                fitted = {key: v[k, lo:hi].to(self.device) for key, v in nulls.items()}
                return classifier_free_guidance(self._no_grad_network, cond, {**base, **fitted}, g)

            return per_step_model(at, grid[:-1])
        return self.model_fn(target, g)

    def null_text_inputs(
        self, source: list[Condition], plan: NullTextSchedule | None = None
    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """(conditional inputs, the null branch's starting inputs) of null-text inversion. Its float inputs are
        what is optimised: the class row (as `class_embedding`), context tokens, pooled vector."""
        cond, null = self.branch_inputs(source)
        base = dict(cond if plan is None or plan.warm_start else null)
        if "class_labels" in base:
            base["class_embedding"] = self.unet.class_embed(base["class_labels"]).detach()
        return cond, base

    # --- inversion --------------------------------------------------------------------------------------
    @in_fp32
    def invert(
        self,
        images: torch.Tensor,
        *,
        label: ConditionLike | Sequence[ConditionLike] | torch.Tensor = None,
        prompt: str | None = None,
        method: str = "ddim",
        guidance: float = 1.0,
        steps: int | None = None,
        spacing: str | None = None,
        refine: int = 1,
        null_text: NullTextSchedule | None = None,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> DiffusionInversion:
        """The inversion of images [N, C, H, W] in [-1, 1]: latents z_T, the trajectory, per-step nulls
        (null-text) and the reconstruction sampled back under the same condition."""
        images = self.check_images(images)
        n = len(images)
        if method not in INVERSIONS:
            raise GenvisionError(
                f"unknown inversion method {method!r}: choose one of {', '.join(INVERSIONS)}"
            )
        if isinstance(refine, bool) or not isinstance(refine, int) or refine < 0:
            raise GenvisionError(f"refine must be an integer >= 0 (fixed-point iterations), got {refine!r}")
        if not math.isfinite(guidance) or guidance < 0:
            raise GenvisionError(f"guidance must be a finite number >= 0, got {guidance}")
        if prompt is not None and label is not None:
            raise GenvisionError("give the source as a class (label=) or a prompt (prompt=), not both")
        conditions = self.edit_conditions(label if prompt is None else self.condition(prompt=prompt), n)
        if method != "ddim" and all(c.empty for c in conditions):
            raise GenvisionError(
                f"{method} inversion contrasts a condition with the null one: give label= or prompt="
            )
        steps, spacing, grid = self._grid(steps, spacing)
        plan = null_text or NullTextSchedule()
        started = time.perf_counter()
        paths, recons, fitted, evaluations = [], [], [], 0
        for lo, hi in batch_ranges(n, batch_size):
            z0 = self.encode(images[lo:hi])
            source = conditions[lo:hi]
            pivot_fn = self.model_fn(source, guidance if method == "ddim" else 1.0)
            path = ddim_invert(
                pivot_fn,
                self.schedule,
                z0,
                prediction=self.prediction,
                steps=steps,
                spacing=spacing,
                fixed_point=refine,
            )
            if method == "null-text":
                cond, base = self.null_text_inputs(source, plan)
                learn = {k: v for k, v in base.items() if v.is_floating_point()}
                nulls, z, used = optimise_nulls(
                    functools.partial(self.network_with, base),
                    functools.partial(self.network_with, cond),
                    self.schedule,
                    path[::-1],
                    grid,
                    learn,
                    guidance=guidance,
                    prediction=self.prediction,
                    plan=plan,
                )
                evaluations += used
                fitted.append({k: torch.stack([step[k] for step in nulls]).cpu() for k in learn})
            else:  # negative-prompt: guided sampling with the source as null is the guidance-1 sampler
                z = self._ddim_from(
                    path[-1], self.model_fn(source, guidance if method == "ddim" else 1.0), grid, 0
                )
            paths.append(torch.stack(path, dim=1).cpu())
            recons.append(self.decode(z).cpu())
            if progress is not None:
                progress(hi, n)
        nulls_all = {k: torch.cat([f[k] for f in fitted], dim=1) for k in fitted[0]} if fitted else None
        info = {"method": method, "steps": steps, "refine": refine, "seconds": time.perf_counter() - started}
        if method == "null-text":
            info["warm_start"] = int(plan.warm_start)
            info["null_text_passes_per_step"] = evaluations / (steps * math.ceil(n / batch_size))
        return DiffusionInversion(
            trajectory=torch.cat(paths),
            original=images.cpu(),
            images=torch.cat(recons),
            conditions=conditions,
            method=method,
            steps=steps,
            spacing=spacing,
            guidance=float(guidance),
            nulls=nulls_all,
            info=info,
        )

    # --- editing ----------------------------------------------------------------------------------------
    @in_fp32
    def edit(
        self,
        images: torch.Tensor | DiffusionInversion,
        *,
        target: ConditionLike | Sequence[ConditionLike] | torch.Tensor = None,
        source: ConditionLike | Sequence[ConditionLike] | torch.Tensor = None,
        method: str = "diffedit",
        strength: float | None = None,
        guidance: float | None = None,
        steps: int | None = None,
        spacing: str | None = None,
        refine: int = 1,
        mask_draws: int = 10,
        threshold: float = 0.1,
        null_text: NullTextSchedule | None = None,
        reconstruct: bool = True,
        seed: int = 0,
        start: int = 0,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> DiffusionEdit:
        """Edit images [N, C, H, W] in [-1, 1] (or a saved inversion) from `source` towards `target`; noise for
        image k comes from the generator of (seed, start + k). `reconstruct=False` skips DiffEdit's sampling back
        under the source (the reconstruction is then decode(encode(x)))."""
        if method not in EDITS:
            raise GenvisionError(f"unknown edit method {method!r}: choose one of {', '.join(EDITS)}")
        inversion = images if isinstance(images, DiffusionInversion) else None
        if inversion is not None:
            if source is not None:
                raise GenvisionError("an inversion carries its source condition: drop source=")
            original, sources = inversion.original.to(self.device), inversion.conditions
            steps, spacing = inversion.steps, inversion.spacing
        else:
            original = self.check_images(cast(torch.Tensor, images))
            sources = self.edit_conditions(source, len(original))
        n = len(original)
        targets = self.edit_conditions(target, n)
        if method != "sdedit" and all(t.empty for t in targets):
            raise GenvisionError(f"{method} needs a target: give a class or a prompt (target= / --to)")
        strength = DEFAULT_STRENGTH[method] if strength is None else strength
        if not (isinstance(strength, (int, float)) and math.isfinite(strength) and 0 < strength <= 1):
            raise GenvisionError(f"strength must lie in (0, 1] (1 = from pure noise), got {strength!r}")
        if method == "swap" and strength != 1:
            raise GenvisionError(
                "swap samples from the full inversion (strength 1): use sdedit or diffedit for less"
            )
        if mask_draws < 1 or not 0 <= threshold < 1:
            raise GenvisionError(
                f"mask_draws must be >= 1 and threshold in [0, 1), got {mask_draws}, {threshold}"
            )
        conditioned = not all(t.empty for t in targets)
        g = (self.spec.sampling.guidance if conditioned else 1.0) if guidance is None else float(guidance)
        steps, spacing, grid = self._grid(steps, spacing)
        level = start_level(steps, strength)
        started = time.perf_counter()
        if method == "swap" and inversion is None:
            guided = g != 1.0 and not all(s.empty for s in sources)
            inversion = self.invert(
                original,
                label=sources,
                method="null-text" if guided else "ddim",
                guidance=g if guided else 1.0,
                steps=steps,
                spacing=spacing,
                refine=refine,
                null_text=null_text,
                batch_size=batch_size,
            )
        edited, recons, fills = [], [], []
        for lo, hi in batch_ranges(n, batch_size):
            x, src, tgt = original[lo:hi], sources[lo:hi], targets[lo:hi]
            rng = PerImageRNG(seed, range(start + lo, start + hi), self.device)
            if method == "swap":
                assert inversion is not None  # inverted above when not given
                z_top = inversion.latents[lo:hi].to(self.device)
                z = self._ddim_from(z_top, self._swap_model(inversion, tgt, lo, hi, grid), grid, 0)
                recons.append(inversion.images[lo:hi])
            else:
                z0 = inversion.trajectory[lo:hi, 0].to(self.device) if inversion else self.encode(x)
                if method == "sdedit":
                    z_k = sdedit_start(self.schedule, z0, grid[level], rng)
                    z = self._ddim_from(z_k, self.model_fn(tgt, g), grid, level)
                    recons.append(self.decode(z0).cpu())
                else:
                    fill = self._diffedit_mask(z0, src, tgt, mask_draws, threshold, rng)
                    known = self._known_levels(z0, src, inversion, (lo, hi), grid, spacing, level, refine)
                    with torch.no_grad():
                        z = inpaint_sample(
                            self.model_fn(tgt, g), self.schedule, z0, 1 - fill, sampler="ddim",
                            steps=len(grid) - 1, spacing=spacing, prediction=self.prediction,
                            x_T=known[level], first_level=level, known=known,
                        )  # fmt: skip
                    source_fn = self.model_fn(src, 1.0)
                    recon = self.decode(
                        self._ddim_from(known[level], source_fn, grid, level) if reconstruct else z0
                    )
                    recons.append(recon.cpu())
                    size = tuple(self.image_shape[1:])
                    fills.append(torch.nn.functional.interpolate(fill, size=size, mode="nearest").cpu())
            image = self.decode(z)
            if method == "diffedit":  # outside the mask decode(z0) exactly: the decoder spreads each latent
                pixel_fill = fills[-1].to(self.device)
                image = pixel_fill * image + (1 - pixel_fill) * self.decode(z0)
            edited.append(image.cpu())
            if progress is not None:
                progress(hi, n)
        info: dict[str, Any] = {
            "method": method,
            "strength": strength,
            "steps": steps,
            "start_level": level,
            "guidance": g,
            "seconds": time.perf_counter() - started,
        }
        fills_all = torch.cat(fills) if fills else None
        if fills_all is not None:
            info["mask_fraction"] = float(fills_all.mean())
        return DiffusionEdit(
            original.cpu(), torch.cat(recons), torch.cat(edited), fills_all, inversion=inversion, info=info
        )

    def _diffedit_mask(self, z0, src, tgt, draws: int, threshold: float, rng) -> torch.Tensor:
        """DiffEdit's binary fill [B, 1, h, w] at latent resolution (1 = edit)."""
        source, target = self.model_fn(src * draws, 1.0), self.model_fn(tgt * draws, 1.0)
        return diffedit_mask(
            source, target, self.schedule, z0, to_eps=self._eps, draws=draws, threshold=threshold, noise=rng
        )[0]

    def _known_levels(self, z0, src, inversion, rows, grid, spacing, level, refine) -> list:
        """The source's DDIM-inverted latents by grid level (None above `level`): from a saved inversion, else
        inverted now under the source at guidance 1."""
        n_levels, (lo, hi) = len(grid) - 1, rows
        if inversion is not None:  # trajectory[:, j] is grid level n - j
            path = [inversion.trajectory[lo:hi, j].to(self.device) for j in range(n_levels - level + 1)]
        else:
            path = ddim_invert(
                self.model_fn(src, 1.0), self.schedule, z0, prediction=self.prediction, steps=n_levels,
                spacing=spacing, to_level=level, fixed_point=refine,
            )  # fmt: skip
        known: list[torch.Tensor | None] = [None] * (n_levels + 1)
        for j, z in enumerate(path):
            known[n_levels - j] = z
        return known
