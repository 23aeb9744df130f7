"""Features from the project's own classifier (a bundle of kind `classifier`, shipped as `fashion-classifier`).

Penultimate features (global average of the last conv stage) give FID/KID/PR "in classifier space"; the logits
give class histograms and the KL score. The classifier sees images exactly at its training shape: other shapes
are an error (use Inception features for them), never a silent resize.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from genvision.errors import BundleError, GenvisionError
from genvision.metrics.features import FeatureExtractor
from genvision.models.bundle import WEIGHTS_NAME, load_bundle

DEFAULT_CLASSIFIER = "fashion-classifier"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class ClassifierFeatures(FeatureExtractor):
    """Penultimate features [N, feature_dim] and logits [N, classes] of a `classifier` bundle."""

    has_logits = True

    def __init__(
        self,
        bundle: str | Path = DEFAULT_CLASSIFIER,
        device: torch.device | str = "cpu",
        batch_size: int = 500,
    ) -> None:
        super().__init__(device, batch_size)
        try:
            loaded = load_bundle(bundle, kinds=("classifier",))
        except BundleError as exc:
            if Path(bundle).exists():
                raise
            raise BundleError(
                f"{exc}. Classifier features need a `classifier` bundle: train one with "
                "`genvision train configs/classifier_fashion.yaml` and pass its folder "
                "(--classifier runs/classifier_fashion/bundle), or use --features inception"
            ) from exc
        self.net = loaded.component("classifier", self.device)
        data = loaded.config.get("data", {})
        self.shape = tuple(data.get("shape", ()))
        self.dataset = data.get("dataset", "?")
        self.class_names = data.get("class_names")
        self.accuracy = (loaded.config.get("metrics") or {}).get("test_accuracy")
        self.dim = int(self.net.feature_dim)
        self.name = f"classifier:{Path(loaded.path).name}"
        self.cache_key = f"classifier-{_file_digest(loaded.path / 'classifier' / WEIGHTS_NAME)}"

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.shape and tuple(x.shape[1:]) != self.shape:
            raise GenvisionError(
                f"{self.name} was trained on {self.dataset} images of shape {list(self.shape)} "
                f"(C, H, W); got {list(x.shape[1:])}. Use --features inception for other data"
            )
        features = self.net.features(x)
        return features, self.net.head(features)
