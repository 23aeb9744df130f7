"""Perceptual reconstruction losses, chosen explicitly in the config (never a silently random network).

- "lpips":      LPIPS-VGG (Zhang et al., 2018) through `genvision.metrics.lpips.LPIPS`; its ImageNet backbone
                must be on this machine (vgg16-397923af.pth in $GENVISION_HOME/weights or the torch hub cache),
                otherwise a GenvisionError names the file and where to put it.
- "classifier": for small grayscale data, the same construction on the project's own classifier (a bundle of
                kind "classifier", e.g. `fashion-classifier`): with f̂_l the channel-unit-normalised feature maps
                of its intermediate layers,
                    d(x, y) = Σ_l mean_{h,w} ‖f̂_l(x) − f̂_l(y)‖²
                i.e. LPIPS with uniform layer weights (the "lin = 1" baseline of the LPIPS paper) on a network
                trained on the data at hand. The classifier is frozen and in eval mode.
- "none":       no perceptual term.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.metrics.lpips import LPIPS
from genvision.models.bundle import load_bundle

PerceptualKind = Literal["none", "lpips", "classifier"]
PERCEPTUAL_KINDS = ("none", "lpips", "classifier")
FEATURE_METHOD = "feature_maps"  # classifier method: images [-1, 1] → list of intermediate feature maps


def unit_normalize(f: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """f / ‖f‖ along the channel dimension (dim 1)."""
    return f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)


def feature_distance(feats_a: list[torch.Tensor], feats_b: list[torch.Tensor]) -> torch.Tensor:
    """Σ_l mean_{spatial} ‖f̂_l(a) − f̂_l(b)‖² per example → [B]; flat [B, D] features count as one position."""
    total = 0.0
    for fa, fb in zip(feats_a, feats_b):
        sq = (unit_normalize(fa.float()) - unit_normalize(fb.float())).pow(2).sum(dim=1)
        total = total + sq.flatten(1).mean(1) if sq.dim() > 1 else total + sq
    return total


class ClassifierPerceptualLoss(nn.Module):
    """LPIPS-style distance on a frozen project classifier's intermediate features; forward(a, b) → [B]."""

    def __init__(self, classifier: nn.Module, image_shape: list[int] | None = None):
        super().__init__()
        if not callable(getattr(classifier, FEATURE_METHOD, None)):
            raise GenvisionError(
                f"classifier {type(classifier).__name__} has no {FEATURE_METHOD}() method; "
                "the perceptual loss needs its intermediate feature maps"
            )
        self.classifier = classifier.eval().requires_grad_(False)
        self.image_shape = list(image_shape) if image_shape is not None else None

    def train(self, mode: bool = True) -> ClassifierPerceptualLoss:
        super().train(mode)
        self.classifier.eval()  # frozen: batch-norm statistics never move
        return self

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.image_shape is not None and list(a.shape[1:]) != self.image_shape:
            raise GenvisionError(
                f"the perceptual classifier takes images of shape {self.image_shape}, "
                f"got {list(a.shape[1:])}; choose perceptual: lpips or none for this data"
            )
        feature_maps = getattr(self.classifier, FEATURE_METHOD)
        return feature_distance(feature_maps(a), feature_maps(b))


class LPIPSLoss(nn.Module):
    """LPIPS distance as a loss; forward(a, b) → [B]. Raises GenvisionError when the backbone file is missing."""

    def __init__(self, net: str = "vgg", device: torch.device | str = "cpu"):
        super().__init__()
        self.lpips = LPIPS(net=net, device=device)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.lpips(a.float(), b.float())


def build_perceptual_loss(
    kind: PerceptualKind,
    device: torch.device | str = "cpu",
    classifier: str = "fashion-classifier",
    lpips_net: str = "vgg",
) -> nn.Module | None:
    """The perceptual loss a config asks for (None for "none"); `classifier` is a classifier bundle reference."""
    if kind == "none":
        return None
    if kind == "lpips":
        return LPIPSLoss(lpips_net, device)
    if kind == "classifier":
        bundle = load_bundle(classifier, kinds=("classifier",))
        shape = bundle.config.get("data", {}).get("shape")
        name = bundle.config.get("components", ["classifier"])[0]
        return ClassifierPerceptualLoss(bundle.component(name, device), shape).to(device)
    raise GenvisionError(f"unknown perceptual loss {kind!r}; choose one of {', '.join(PERCEPTUAL_KINDS)}")
