"""genvision: generative computer vision in PyTorch.

    import genvision
    m = genvision.load("fashion-ddpm")          # a shipped bundle name or a bundle folder
    grid = m.sample(16, seed=0).images          # float [16, 1, 28, 28] in [-1, 1]
    genvision.zoo()                             # the shipped bundles and their measured metrics

The README's "Python API" section shows every model class.
"""

from genvision.generators import (
    GAN,
    Autoencoder,
    Classifier,
    DiffusionModel,
    Generated,
    Inpainting,
    Inversion,
    StyleGAN,
    load,
    zoo,
)
from genvision.version import __version__

__all__ = [
    "GAN",
    "Autoencoder",
    "Classifier",
    "DiffusionModel",
    "Generated",
    "Inpainting",
    "Inversion",
    "StyleGAN",
    "__version__",
    "load",
    "zoo",
]
