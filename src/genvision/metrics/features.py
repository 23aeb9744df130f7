"""Feature extractors: images → float64 features [N, dim] (and optionally class logits, for the KL score).

A `FeatureExtractor` accepts uint8 NHWC/NHW or float NCHW in [-1, 1] (see `metrics.images`), runs a torch
network in batches without gradients and returns numpy float64 arrays, so every metric downstream is float64.
Subclasses implement `_forward(x) -> (features, logits | None)` on float [-1, 1] NCHW batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.metrics.images import to_model_images


@dataclass
class Features:
    """Features [N, dim] and, when the extractor classifies, logits [N, classes] (both float64)."""

    features: np.ndarray
    logits: np.ndarray | None = None


class FeatureExtractor:
    """Base class: batching, input conversion, no-grad and float64 output around `_forward`."""

    name: str = "features"
    dim: int = 0
    has_logits: bool = False
    cache_key: str | None = None  # identifies the exact network, so reference features can be cached

    def __init__(self, device: torch.device | str = "cpu", batch_size: int = 256) -> None:
        self.device = torch.device(device)
        self.batch_size = batch_size

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        raise NotImplementedError

    @torch.no_grad()
    def extract(self, images: np.ndarray | torch.Tensor) -> Features:
        """Features (and logits) of a batch of images of any accepted layout."""
        n = images.shape[0]
        if n == 0:
            raise GenvisionError("no images to extract features from")
        feats, logits = [], []
        for start in range(0, n, self.batch_size):
            x = to_model_images(images[start : start + self.batch_size]).to(self.device)
            f, lg = self._forward(x)
            feats.append(f.double().cpu())
            if lg is not None:
                logits.append(lg.double().cpu())
        return Features(torch.cat(feats).numpy(), torch.cat(logits).numpy() if logits else None)

    def __call__(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """Features [N, dim] in float64."""
        return self.extract(images).features


class RandomProjectionFeatures(FeatureExtractor):
    """A fixed random linear projection of the (resized) pixels: a network-free baseline for sanity checks.

    f(x) = W · vec(resize(x)) with W ~ N(0, 1/(C·S²)) drawn from `seed`; it has no notion of semantics, so
    use it only to test metric code or compare runs on identical data, never to report model quality.
    """

    has_logits = False

    def __init__(
        self,
        dim: int = 64,
        size: int = 28,
        channels: int = 1,
        seed: int = 0,
        device: torch.device | str = "cpu",
        batch_size: int = 256,
    ) -> None:
        super().__init__(device, batch_size)
        self.name, self.dim, self.size, self.channels = f"random-projection-{dim}", dim, size, channels
        gen = torch.Generator().manual_seed(seed)
        fan_in = channels * size * size
        self.weight = (torch.randn(fan_in, dim, generator=gen) / fan_in**0.5).to(self.device)

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        x = match_channels(x, self.channels)
        if x.shape[-2:] != (self.size, self.size):
            x = nn.functional.interpolate(
                x, size=(self.size, self.size), mode="bilinear", align_corners=False
            )
        return x.flatten(1) @ self.weight, None


def match_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """Repeat grayscale to RGB or average RGB to grayscale so `x` has `channels` channels."""
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1)
    if channels == 1:
        return x.mean(dim=1, keepdim=True)
    raise GenvisionError(f"cannot convert {x.shape[1]}-channel images to {channels} channels")
