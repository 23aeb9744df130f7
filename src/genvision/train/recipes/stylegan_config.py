"""The "stylegan" family's YAML schema: its `model:` section (the networks) and `recipe:` section (training).

Field comments give units; the recipe's losses are in genvision.train.recipes.stylegan.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StyleGANModelConfig:
    z_dim: int = 128
    w_dim: int = 128
    mapping_layers: int = 4
    channel_base: int = 1792  # channels at size s: min(channel_max, channel_base // s)
    channel_max: int = 128
    mapping_lr_mul: float = 0.01
    mbstd_group: int = 4
    encoder_hidden: int = 256
    conditional: bool = False  # class-conditional mapping network and projection discriminator


@dataclass
class StyleGANRecipeConfig:
    gan_steps: int | None = (
        None  # steps of stage 1; the remaining train.steps train the encoder (None: no encoder)
    )
    init_from: str | None = None  # a "stylegan" bundle to start from
    lr_g: float = 2.0e-3
    lr_d: float = 2.0e-3
    betas: tuple[float, float] = (0.0, 0.99)
    r1_gamma: float = 1.0
    r1_interval: int = 16
    pl_weight: float = 0.0  # > 0 turns on path-length regularisation (StyleGAN2 uses 2)
    pl_interval: int = 4
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing: float = 0.9
    ema_half_life: float = 10000.0  # images
    ema_rampup: float | None = 0.05  # half-life ≤ rampup · images seen so far
    lr_e: float = 1.0e-3
    lr_ed: float = 1.0e-3
    perceptual: str = (
        "discriminator"  # none | lpips | lpips-alex | classifier[:REF] | discriminator (stage-1 D)
    )
    enc_pixel: float = 1.0
    enc_perceptual: float = 1.0
    enc_adversarial: float = 0.05
    enc_latent: float = 1.0
    enc_r1_gamma: float = 1.0
    export_discriminator: bool = True
    eval_n: int = 256  # held-out test images for the encoder's PSNR / SSIM recorded in the bundle
