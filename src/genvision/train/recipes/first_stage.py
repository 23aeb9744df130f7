"""The latent diffusion recipe's first stage: a trained autoencoder bundle, frozen, and its latent scale.

stage = FirstStage.load(cfg, info, device)     # .bundle, .autoencoder, .latent_shape, .latent_scale
z_0 = stage.latent_scale · E(x)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn as nn

from genvision.data import load_dataset
from genvision.errors import BundleError, ConfigError
from genvision.models.bundle import Bundle, load_bundle


def estimate_latent_scale(latents: torch.Tensor) -> float:
    """1 / std of the latents, so that z_0 has unit variance (Rombach et al. 2022, appendix G)."""
    return float(1.0 / latents.float().std().clamp_min(1e-6))


@dataclass
class FirstStage:
    bundle: Bundle
    autoencoder: nn.Module  # frozen
    latent_shape: tuple[int, ...]
    latent_scale: float

    @classmethod
    def load(cls, cfg, info, device: torch.device) -> FirstStage:
        """model.autoencoder's bundle checked against the data; the scale is recipe.latent_scale, else the
        bundle's, else estimated from 512 training images."""
        ref = cfg.model.autoencoder
        try:
            bundle = load_bundle(ref, kinds=("autoencoder",))
        except BundleError as exc:
            raise ConfigError(
                f"{exc}. Train the first stage before the LDM (e.g. genvision train "
                "configs/autoencoder_fashion.yaml) and pass model.autoencoder=runs/<run>/bundle"
            ) from exc
        names = bundle.config.get("components") or ["autoencoder"]
        autoencoder = bundle.component(names[0], device).requires_grad_(False)
        shape = bundle.config.get("data", {}).get("shape")
        if shape and list(shape) != list(info.shape):
            raise ConfigError(
                f"autoencoder {ref} was trained on images {shape}, the data is "
                f"{list(info.shape)}: set data.image_size / data.channels to match"
            )
        with torch.no_grad():
            probe = autoencoder.encode(torch.zeros(1, *info.shape, device=device))
        scale = cfg.recipe.latent_scale or bundle.config.get("latent_scale")
        if not scale:
            warnings.warn(
                f"autoencoder bundle {bundle.path} stores no latent_scale; estimating 1/std "
                "from 512 training images",
                stacklevel=2,
            )
            d = cfg.data
            data = load_dataset(
                d.name, d.split, data_dir=d.data_dir, image_size=d.image_size, channels=d.channels, limit=512
            )
            images = torch.stack([data[i]["image"] for i in range(len(data))]).to(device)
            with torch.no_grad():
                scale = estimate_latent_scale(autoencoder.encode(images))
        return cls(bundle, autoencoder, tuple(probe.shape[1:]), float(scale))
