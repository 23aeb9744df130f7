"""What a sampler needs besides the graphs, per bundle kind, as manifest sections and arrays (docs/onnx.md).

diffusion: the schedule (ᾱ_t and β_t in float64), prediction type, sampler defaults and their timesteps,
           latent shape and scale, the null conditions, and for text models the caption set with its
           precomputed conditions (so caption prompts need no text encoder)
stylegan:  w̄ (truncation w' = w̄ + ψ (w − w̄)), num_ws, and edit directions n (ws + α n on every layer)
cgan:      the label-embedding table (generator input e = table[class])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.conditioning.unet_inputs import Condition
from genvision.data.captions import caption_set
from genvision.diffusion.samplers import sampler_row
from genvision.diffusion.schedules import NoiseSchedule, make_betas
from genvision.diffusion.timesteps import timestep_pairs
from genvision.export.manifest import write_array
from genvision.generators.diffusion import DiffusionModel
from genvision.generators.gan import GAN
from genvision.generators.stylegan import StyleGAN
from genvision.models.bundle import Bundle

DIRECTION_SAMPLES = 2000  # sampled codes per fitted direction (the StyleGAN.fit_direction default)


def _np(t: torch.Tensor, dtype: str = "float32") -> np.ndarray:
    return t.detach().cpu().to(getattr(torch, dtype)).numpy()


def image_section(bundle: Bundle) -> dict[str, Any]:
    names = bundle.spec.data.class_names
    return {
        "image": {
            "shape": list(bundle.spec.data.shape),
            "layout": "NCHW",
            "range": [-1.0, 1.0],
            "to_uint8": "round((clip(x, -1, 1) + 1) * 127.5)",
        },
        "class_names": list(names) if names else None,
    }


def diffusion_section(model: DiffusionModel, folder: Path, captions_per_class: int | None) -> dict[str, Any]:
    """Schedule, sampling defaults, latent space and conditions of a ddpm / ldm model."""
    schedule: NoiseSchedule = model.schedule
    defaults = model.spec.sampling
    steps = defaults.steps or sampler_row(defaults.sampler).steps_for(schedule.num_timesteps)
    arrays = {
        "alphas_cumprod": write_array(folder, "alphas_cumprod", _np(schedule.alpha_bar_ext64[1:], "float64")),
        "betas": write_array(folder, "betas", _np(make_betas(schedule.config), "float64")),
    }
    cond = model.conditioning
    section: dict[str, Any] = {
        "prediction": model.prediction,
        "clip_x0": model.clip_x0,
        "num_timesteps": schedule.num_timesteps,
        "schedule": schedule.to_dict(),
        "sampling": {
            "sampler": defaults.sampler,
            "steps": steps,
            "spacing": defaults.spacing,
            "eta": defaults.eta,
            "guidance": defaults.guidance,
            "timesteps": [list(p) for p in timestep_pairs(schedule.num_timesteps, steps, defaults.spacing)],
        },
        "latent": {
            "shape": list(model.latent_shape),
            "scale": model.latent_scale if model.autoencoder is not None else 1.0,
            "space": "latent" if model.autoencoder is not None else "pixel",
        },
        "conditioning": {
            "num_classes": int(cond.num_classes or 0),
            "null_class": int(cond.num_classes) if cond.num_classes else None,
            "text": None,
            "label_map_parts": int(cond.mask_parts or 0),
        },
    }
    if cond.text_encoder:
        null = model.branch_inputs([Condition()])[1]  # the null condition guidance contrasts with
        arrays["null_context"] = write_array(folder, "null_context", _np(null["context"][0]))
        text = {"encoder": cond.text_encoder, "max_length": cond.text_max_length, "pooled": cond.text_pooled}
        if cond.text_pooled:
            arrays["null_pooled"] = write_array(folder, "null_pooled", _np(null["pooled"][0]))
        section["conditioning"]["text"] = text
        section["captions"] = caption_section(model, folder, captions_per_class, arrays)
    section["arrays"] = arrays
    return section


def caption_section(
    model: DiffusionModel, folder: Path, per_class: int | None, arrays: dict[str, Any]
) -> dict[str, Any] | None:
    """The training caption set (the first `per_class` captions of each class, or all) and the held-out
    captions, with their encoder outputs: tokens [P, L, D], attention mask [P, L] (1 = real token), pooled [P, D]."""
    dataset = (model.spec.extra.get("captions") or {}).get("dataset")
    if dataset is None:
        return None
    names = model.class_names
    classes = model.num_classes or len(names or [])
    train = caption_set(dataset, "train", names)
    if per_class is not None:
        train = train[: per_class * classes]
    held = caption_set(dataset, "held_out", names)
    prompts = train + held
    emb = model.text_encoder().encode(prompts)
    arrays["caption_tokens"] = write_array(folder, "caption_tokens", _np(emb.tokens))
    arrays["caption_mask"] = write_array(folder, "caption_mask", _np(emb.attention_mask, "uint8"))
    arrays["caption_pooled"] = write_array(folder, "caption_pooled", _np(emb.pooled))
    return {
        "dataset": dataset,
        "prompts": prompts,
        "class_index": [k % classes for k in range(len(train))] + [k % classes for k in range(len(held))],
        "split": ["train"] * len(train) + ["held_out"] * len(held),
    }


def stylegan_section(model: StyleGAN, folder: Path) -> dict[str, Any]:
    """w̄, the code sizes and the edit directions (brightness, and class:NAME for each class)."""
    gen = model.generator
    names = ["brightness"] + [f"class:{n.lower()}" for n in model.class_names or []]
    vectors, accuracies = [], []
    for name in names:
        vector, accuracy, _ = model.fit_direction(name, samples=DIRECTION_SAMPLES, seed=0)
        vectors.append(vector.float())
        accuracies.append(round(float(accuracy), 4))
    return {
        "z_dim": int(gen.z_dim),
        "w_dim": int(gen.w_dim),
        "num_ws": int(gen.num_ws),
        "num_classes": model.num_classes,
        "noise": "const",
        "directions": {
            "names": names,
            "array": "directions",
            "accuracy": accuracies,
            "samples": DIRECTION_SAMPLES,
            "seed": 0,
            "truncation": 1.0,
        },
        "arrays": {
            "w_avg": write_array(folder, "w_avg", _np(gen.w_avg)),
            "directions": write_array(folder, "directions", np.stack([_np(v) for v in vectors])),
        },
    }


def gan_section(model: GAN, folder: Path) -> dict[str, Any]:
    section: dict[str, Any] = {"z_dim": model.z_dim, "num_classes": model.num_classes, "arrays": {}}
    if model.conditional:
        table = model.generator.embed.weight
        section["arrays"]["label_embeddings"] = write_array(folder, "label_embeddings", _np(table))
    return section


def autoencoding_section(model: Any) -> dict[str, Any]:
    return {
        "latent_shape": list(model.latent_shape),
        "num_classes": model.num_classes,
        "prior": "N(0, I)" if model.kind == "vae" else None,
        "arrays": {},
    }
