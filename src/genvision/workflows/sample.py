"""`genvision sample` and `genvision eval MODEL`: one request, answered by the loaded model of any kind.

    request = SampleRequest(n=64, seed=0, sampler="dpmpp", steps=20, label="sneaker")
    result = sample(genvision.load("fashion-ldm"), request)      # genvision.generators.Generated

Options that a kind does not take are errors naming the flag, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from genvision.errors import GenvisionError
from genvision.generators import GAN, DiffusionModel, Generated, LoadedModel, Progress, StyleGAN
from genvision.models.kinds import plugin_kind
from genvision.workflows.inputs import label_map_from_data, load_label_map


@dataclass
class SampleRequest:
    """Everything `genvision sample` parsed; None means the model's default."""

    n: int = 64
    seed: int = 0
    sampler: str | None = None  # diffusion: a name in genvision.diffusion.samplers.SAMPLERS
    steps: int | None = None
    eta: float | None = None
    sampler_option: dict[str, Any] | None = None  # the sampler's own options (--sampler-option KEY=VALUE)
    spacing: str | None = None
    label: str | int | None = None  # class name or index
    prompt: str | None = None
    negative_prompt: str | None = None  # guidance pushes away from it (in the null branch's place)
    guidance: float | None = None
    grounding: int | None = None  # text models: a free-text prompt takes its k nearest training captions
    label_map: str | None = None  # a part label-map PNG
    label_map_from: str | None = None  # a data reference with part label maps
    data_dir: str | None = None
    truncation: float | None = None  # StyleGAN ψ
    batch_size: int = 256
    trajectory_frames: int = 0
    trajectory_rows: int = 8

    def given(self, *names: str) -> list[str]:
        """The flags among `names` that were set, spelled as on the command line."""
        return [f"--{name.replace('_', '-')}" for name in names if getattr(self, name) is not None]


DIFFUSION_ONLY = (
    "sampler",
    "steps",
    "eta",
    "sampler_option",
    "spacing",
    "prompt",
    "negative_prompt",
    "guidance",
    "grounding",
    "label_map",
    "label_map_from",
)


def reject(model: LoadedModel, flags: list[str], why: str) -> None:
    if flags:
        raise GenvisionError(
            f"{', '.join(flags)} do not apply to {model.name} (a {model.kind!r} model): {why}"
        )


def sample(model: LoadedModel, request: SampleRequest, progress: Progress | None = None) -> Generated:
    """request.n images from `model`; image k is the same whatever n or the batch size."""
    r = request
    if isinstance(model, DiffusionModel):
        reject(model, r.given("truncation"), "truncation is for StyleGAN")
        label_map = None
        if r.label_map is not None and r.label_map_from is not None:
            raise GenvisionError("give --label-map FILE.png or --label-map-from DATA, not both")
        if r.label_map is not None:
            label_map = load_label_map(r.label_map, tuple(model.image_shape[1:]))
        elif r.label_map_from is not None:
            label_map = label_map_from_data(r.label_map_from, model.image_shape, r.data_dir)
        return model.sample(
            r.n,
            seed=r.seed,
            label=r.label,
            prompt=r.prompt,
            negative_prompt=r.negative_prompt,
            label_map=label_map,
            guidance=r.guidance,
            sampler=r.sampler,
            steps=r.steps,
            spacing=r.spacing,
            grounding=r.grounding,
            batch_size=r.batch_size,
            trajectory=r.trajectory_frames,
            trajectory_rows=r.trajectory_rows,
            progress=progress,
            **{**(r.sampler_option or {}), **({} if r.eta is None else {"eta": r.eta})},
        )
    if r.trajectory_frames:
        raise GenvisionError(
            f"{model.name} records no trajectory (it is not a diffusion model): drop --trajectory"
        )
    if isinstance(model, GAN):
        reject(
            model,
            r.given(*DIFFUSION_ONLY, "truncation"),
            "a GAN generates in one pass and takes only --class",
        )
        return model.sample(r.n, seed=r.seed, label=r.label, batch_size=r.batch_size)
    if isinstance(model, StyleGAN):
        reject(
            model, r.given(*DIFFUSION_ONLY), "a StyleGAN takes only --truncation (and --class if conditional)"
        )
        return model.sample(
            r.n,
            seed=r.seed,
            truncation=1.0 if r.truncation is None else r.truncation,
            label=r.label,
            batch_size=r.batch_size,
        )
    plugin = plugin_kind(model.kind)
    if plugin is not None and plugin.samples:  # a kind from another package (genvision.plugins)
        reject(model, r.given(*DIFFUSION_ONLY, "truncation"), f"a {model.kind!r} model takes only --class")
        return model.sample(r.n, seed=r.seed, label=r.label, batch_size=r.batch_size)
    raise GenvisionError(
        f"{model.name} is a {model.kind!r} bundle, which cannot be sampled; sample supports "
        "ddpm, ldm, dcgan, cgan and stylegan bundles"
    )


def generate(model: LoadedModel, n: int, seed: int = 0, **options) -> torch.Tensor:
    """n images [-1, 1] (for `genvision eval MODEL` and benchmarks); keyword names are SampleRequest's."""
    return sample(model, SampleRequest(n=n, seed=seed, **options)).images


def grounding_line(model: LoadedModel, prompt: str | None, grounding: int | None) -> str | None:
    """What a progress line shows before sampling when a free-text prompt will be rewritten: e.g. "'a tote' →
    'a canvas bag' +4 more (placed by the word 'tote' (Bag))", "'a fleece' → ... (low confidence: cosine 0.49)";
    None when nothing is rewritten."""
    if not prompt or not isinstance(model, DiffusionModel) or not model.takes_text:
        return None
    k = model.grounding_k(grounding)
    if not k:
        return None
    (match,) = model.caption_index().search([prompt], k)
    near = match.captions
    if near == [prompt]:
        return None
    more = f" +{len(near) - 1} more" if len(near) > 1 else ""
    low = f" (low confidence: cosine {match.cosine:.2f})" if match.low_confidence() else ""
    by = f" (placed by {match.placed_by})" if match.placed_by else ""
    return f"{prompt!r} → {near[0]!r}{more}{by}{low}"
