"""genvision: generative computer vision in PyTorch."""

__version__ = "0.1.0"
