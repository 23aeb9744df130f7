"""Evaluation mode for a block of code: dropout off and batch norm on its running statistics, then back.

with evaluating(unet):           # previews and export metrics in the middle of training
    images = model.sample(64).images
# unet.training is what it was before the block, even if the block raised
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluating(*nets: nn.Module) -> Iterator[None]:
    """Put `nets` in eval mode for the block; each returns to the mode (train or eval) it was in."""
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(nets, modes, strict=True):
            net.train(mode)
