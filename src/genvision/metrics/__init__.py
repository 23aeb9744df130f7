"""Evaluation metrics in float64 over pluggable feature extractors.

Distribution metrics (features from a `FeatureExtractor`): `fid_from_features`, `kid_from_features`,
`inception_score` (from logits), `precision_recall`. Paired metrics: `psnr`, `ssim`, `LPIPS`.
Extractors: `InceptionFeatures` (pool3, local weights only), `ClassifierFeatures` (a `classifier` bundle),
`RandomProjectionFeatures` (network-free, for sanity checks).
"""

from genvision.metrics.features import FeatureExtractor, Features, RandomProjectionFeatures
from genvision.metrics.frechet import fid_from_features, frechet_distance, gaussian_stats
from genvision.metrics.image_quality import psnr, ssim
from genvision.metrics.inception_score import inception_score
from genvision.metrics.kid import kid_from_features
from genvision.metrics.precision_recall import precision_recall

__all__ = [
    "FeatureExtractor",
    "Features",
    "RandomProjectionFeatures",
    "fid_from_features",
    "frechet_distance",
    "gaussian_stats",
    "psnr",
    "ssim",
    "inception_score",
    "kid_from_features",
    "precision_recall",
]
