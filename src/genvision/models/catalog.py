"""MODEL_CLASSES: every network a bundle may name, by class name — the explicit table `load_module` reads."""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from genvision.errors import BundleError
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.cgan import ConditionalDiscriminator, ConditionalGenerator
from genvision.models.classifier import ClassifierNet
from genvision.models.dcgan import DCGANDiscriminator, DCGANGenerator
from genvision.models.kinds import plugin_network
from genvision.models.patchgan import PatchGAN
from genvision.models.stylegan import StyleEncoder, StyleGANDiscriminator, StyleGANGenerator
from genvision.models.unet import UNet
from genvision.models.vae import VAE
from genvision.models.vqvae import VQVAE

MODEL_CLASSES: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (
        AutoencoderNet,
        ClassifierNet,
        ConditionalDiscriminator,
        ConditionalGenerator,
        DCGANDiscriminator,
        DCGANGenerator,
        PatchGAN,
        StyleEncoder,
        StyleGANDiscriminator,
        StyleGANGenerator,
        UNet,
        VAE,
        VQVAE,
    )
}
# classes renamed since bundles were first written (the public API's names stay in genvision.generators):
# bundles that name the old class still load
RENAMED = {"Autoencoder": "AutoencoderNet", "Classifier": "ClassifierNet"}


def model_class(name: str) -> type[nn.Module]:
    name = RENAMED.get(name, name)
    if name not in MODEL_CLASSES and (found := plugin_network(name)) is not None:
        return found  # a network of a bundle kind from another package (genvision.plugins)
    if name not in MODEL_CLASSES:
        raise BundleError(
            f"unknown model class {name!r} in bundle; known: {', '.join(sorted(MODEL_CLASSES))}"
        )
    return MODEL_CLASSES[name]


def build_model(name: str, args: dict[str, Any]) -> nn.Module:
    """An instance of the network class `name` from the constructor arguments a bundle recorded."""
    cls = model_class(name)
    try:
        return cls(**args)
    except TypeError as exc:
        raise BundleError(f"bundle arguments do not fit model class {name}: {exc}") from exc
