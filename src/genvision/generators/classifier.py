"""The project's image classifier ("classifier" bundle, shipped as `fashion-classifier`).

    c = genvision.load("fashion-classifier")
    c.predict(images)            # class indices [N]
    c.features(images)           # penultimate features [N, D] (FID/KID/PR "in classifier space")

Images must have the classifier's training shape (an error otherwise). A classifier is a measuring instrument
(FID/KID/PR features): `precision="auto"` runs it in float32 everywhere; bf16 is an explicit opt-in.
"""

from __future__ import annotations

from typing import Any, cast

import torch
import torch.nn as nn

from genvision.errors import GenvisionError
from genvision.generators.base import LoadedModel, batch_ranges
from genvision.generators.saving import component_parts
from genvision.models.bundle import Bundle, BundleParts
from genvision.models.bundle_config import ClassifierConfig
from genvision.runtime import sampling_dtype


class Classifier(LoadedModel):
    def __init__(self, spec: ClassifierConfig, net: nn.Module, bundle: Bundle | None = None) -> None:
        super().__init__(spec, next(net.parameters()).device, bundle)
        self.net: Any = net.eval()  # a genvision.models.classifier.Classifier (features, head)

    def networks(self) -> dict[str, nn.Module]:
        return {"classifier": self.net}

    def bundle_parts(self) -> BundleParts:
        return BundleParts(self.spec, component_parts(self, self.networks()))

    @property
    def num_outputs(self) -> int:
        return int(self.net.head.out_features)

    @torch.no_grad()
    def classify(self, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """(features [N, D], logits [N, K]) of images [N, C, H, W] in [-1, 1], on the CPU."""
        images = self.check_images(images)
        feats, logits = [], []
        for lo, hi in batch_ranges(len(images), batch_size):
            with self.autocast():
                f = self.net.features(images[lo:hi])
                feats.append(f.float().cpu())
                logits.append(self.net.head(f).float().cpu())
        return torch.cat(feats), torch.cat(logits)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return self.classify(images)[1].argmax(1)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.classify(images)[0]


def load_classifier(
    bundle: Bundle, device: torch.device | str = "cpu", precision: str = "auto"
) -> Classifier:
    if bundle.kind != "classifier":
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle, not a classifier")
    model = Classifier(cast(ClassifierConfig, bundle.spec), bundle.component("classifier", device), bundle)
    if precision != "auto":
        model.autocast_dtype = sampling_dtype(precision, torch.device(device))
    return model
