"""genvision: generative computer vision in PyTorch.

    import genvision
    m = genvision.load("fashion-ddpm")          # a shipped bundle name or a bundle folder
    grid = m.sample(16, seed=0).images          # float [16, 1, 28, 28] in [-1, 1]
    genvision.zoo()                             # the shipped bundles and their measured metrics

The README's "Python API" section shows every model class. The public names are imported on first use
(PEP 562), so `import genvision` and the command line's `--help` start without loading torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genvision.version import __version__

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """The public API from genvision.generators, imported (with torch) the first time one of its names is read."""
    if name in __all__:
        import genvision.generators  # noqa: PLC0415 (torch, on first use of the API)

        value = getattr(genvision.generators, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'genvision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
