"""Tiny randomly initialised latent diffusion models for pipeline tests (no training, no text encoder)."""

from __future__ import annotations

import torch

from genvision.conditioning.text import TextEmbedding, TextEmbeddingCache
from genvision.diffusion.schedules import NoiseSchedule
from genvision.generators import DiffusionModel
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle_config import ConditioningSpec, DataSpec, DiffusionConfig
from genvision.models.unet import UNet

PROMPTS = ["a photo of a sneaker", "here is a coat", "a bag"]


def tiny_text() -> TextEmbeddingCache:
    g = torch.Generator().manual_seed(0)
    emb = TextEmbedding(
        torch.randn(3, 4, 16, generator=g),
        torch.tensor([[1, 1, 1, 0]] * 3).bool(),
        torch.randn(3, 16, generator=g),
    )
    return TextEmbeddingCache.from_embeddings(PROMPTS, emb, "test", 4)


def diffusion_config(
    kind: str,
    shape: tuple[int, int, int],
    spec: ConditioningSpec | None = None,
    latent_shape: list[int] | None = None,
    class_names: list[str] | None = None,
    latent_scale: float = 1.0,
) -> DiffusionConfig:
    return DiffusionConfig(
        kind=kind,
        data=DataSpec(dataset="synthetic", shape=shape, class_names=class_names),
        schedule={"num_timesteps": 100},
        conditioning=spec or ConditioningSpec(),
        latent_shape=latent_shape,
        latent_scale=latent_scale,
    )


def tiny_ldm(
    classes: bool = True, text: bool = True, mask_parts: int = 0, variant: str = "kl"
) -> DiffusionModel:
    torch.manual_seed(0)
    ae = AutoencoderNet(
        in_channels=1,
        image_size=16,
        variant=variant,
        downsample=4,
        channels=[8, 8, 8],
        latent_channels=2,
        mid_attention=False,
        num_codes=16,
    ).eval()
    spec = ConditioningSpec(
        num_classes=3 if classes else 0,
        text_encoder="minilm" if text else None,
        text_max_length=4,
        text_dim=16 if text else 0,
        mask_parts=mask_parts,
    )
    unet = UNet(
        in_channels=2,
        image_size=4,
        model_channels=32,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(4,),
        head_dim=16,
        num_classes=spec.num_classes or None,
        context_dim=spec.text_dim or None,
        extra_in_channels=mask_parts,
    ).eval()
    with torch.no_grad():  # zero-initialised layers get random weights, so every input visibly matters
        for p in unet.parameters():
            if not p.any():
                p.normal_(0, 0.2)
    config = diffusion_config(
        "ldm", (1, 16, 16), spec, [2, 4, 4], ["sneaker", "coat", "bag"], latent_scale=1.5
    )
    return DiffusionModel(
        config,
        unet,
        NoiseSchedule(num_timesteps=100),
        ae,
        precision="fp32",
        text=tiny_text() if text else None,
    )


def tiny_pixel_ddpm() -> DiffusionModel:
    """A pixel-space DDPM for 1x8x8 images whose predictions are non-zero and depend on x_t and t (deterministic)."""
    torch.manual_seed(0)
    unet = UNet(
        in_channels=1,
        image_size=8,
        model_channels=32,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(),
        head_dim=16,
    ).eval()
    with torch.no_grad():  # the zero-initialised output layers would make every prediction exactly 0
        for p in unet.parameters():
            if not p.any():
                p.normal_(0, 0.2)
    return DiffusionModel(
        diffusion_config("ddpm", (1, 8, 8)), unet, NoiseSchedule(num_timesteps=100), precision="fp32"
    )
