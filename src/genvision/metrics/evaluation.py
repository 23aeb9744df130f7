"""Evaluation orchestration: feature extractors, the reference-feature cache, metric computation, FID in training.

    samples (uint8 .npy / image folder / tensor) ─┐
                                                  ├─ feature extractor ─→ float64 features ─→ metrics
    reference data ref (e.g. fashion-mnist:test) ─┘      (classifier for 28×28 grayscale, Inception otherwise)

Reference features are cached in memory and on disk ($GENVISION_HOME/cache/eval) per (network, data, n, seed),
so repeated evaluations, and FID during training, pay for them once.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genvision.data import load_dataset
from genvision.data.base import ArrayDataset
from genvision.errors import GenvisionError
from genvision.io.atomic import atomic_path, atomic_write_text
from genvision.metrics.classifier_features import DEFAULT_CLASSIFIER, ClassifierFeatures
from genvision.metrics.features import FeatureExtractor, Features
from genvision.metrics.frechet import fid_from_features
from genvision.metrics.inception_score import inception_score
from genvision.metrics.kid import kid_from_features
from genvision.metrics.precision_recall import precision_recall
from genvision.paths import genvision_home
from genvision.runtime import resolve_device
from genvision.version import __version__
from genvision.viz.images import quantize

METRIC_NAMES = ("fid", "kid", "pr", "is")
FEATURE_CHOICES = ("auto", "inception", "classifier")
_MEMORY_CACHE: dict[str, Features] = {}
_EXTRACTORS: dict[tuple[str, str, str], FeatureExtractor] = {}


@dataclass
class EvalSettings:
    """Estimator settings (defaults as in torch-fidelity / the papers)."""

    kid_subsets: int = 100
    kid_subset_size: int = 1000
    is_splits: int = 10
    pr_k: int = 3
    seed: int = 0  # picks the reference subset and the KID subsets


@dataclass
class EvalReport:
    metrics: dict[str, float]
    features: str
    n_samples: int
    n_reference: int
    reference: str
    settings: EvalSettings
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"genvision_version": __version__, **asdict(self)}

    def table(self) -> str:
        m = self.metrics
        rows = [
            ("features", self.features),
            ("samples", str(self.n_samples)),
            ("reference", f"{self.reference} ({self.n_reference} images)"),
        ]
        if "fid" in m:
            rows.append(("FID", f"{m['fid']:.4f}"))
        if "kid_mean" in m:
            rows.append(("KID", f"{m['kid_mean']:.6f} ± {m['kid_std']:.6f}"))
        if "precision" in m:
            rows += [("precision", f"{m['precision']:.4f}"), ("recall", f"{m['recall']:.4f}")]
        if "is_mean" in m:
            rows.append(("IS (KL score)", f"{m['is_mean']:.4f} ± {m['is_std']:.4f}"))
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)

    def write_json(self, path: str | Path) -> Path:
        atomic_write_text(path, json.dumps(self.to_json(), indent=2))
        return Path(path)


def parse_metrics(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    names = [t.strip().lower() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    unknown = [n for n in names if n not in METRIC_NAMES]
    if unknown or not names:
        raise GenvisionError(
            f"unknown metric(s) {', '.join(unknown) or '(none given)'}: choose from {','.join(METRIC_NAMES)}"
        )
    return tuple(dict.fromkeys(names))


def channels_last(images: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """uint8 samples saved channels-first, [N, 1|3, H, W] (as PyTorch users often do), moved to [N, H, W, C]
    when the layout is unambiguous (the last axis cannot be a channel axis); anything else is returned as is."""
    is_uint8 = images.dtype in (np.uint8, torch.uint8)
    if is_uint8 and images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
        return (
            images.permute(0, 2, 3, 1) if isinstance(images, torch.Tensor) else images.transpose(0, 2, 3, 1)
        )
    return images


def image_shape(images: np.ndarray | torch.Tensor) -> tuple[int, int, int]:
    """(C, H, W) of a sample array, after checking dtype, layout and value range; errors say what to fix."""
    what = f"{type(images).__name__} of shape {tuple(images.shape)} and dtype {images.dtype}"
    is_uint8 = images.dtype in (np.uint8, torch.uint8)
    if is_uint8 and images.ndim == 3:
        return 1, int(images.shape[1]), int(images.shape[2])
    if is_uint8 and images.ndim == 4 and images.shape[-1] in (1, 3):
        return int(images.shape[3]), int(images.shape[1]), int(images.shape[2])
    is_float = images.dtype in (np.float16, np.float32, np.float64) or (
        isinstance(images, torch.Tensor) and images.is_floating_point()
    )
    if is_float and images.ndim == 4 and images.shape[1] in (1, 3):
        lo, hi = float(images.min()), float(images.max())
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -1.001 or hi > 1.001:
            raise GenvisionError(
                f"float samples must lie in [-1, 1]; got values in [{lo:.4g}, {hi:.4g}] "
                "(save 0..255 data as uint8 [N, H, W(, C)])"
            )
        return int(images.shape[1]), int(images.shape[2]), int(images.shape[3])
    raise GenvisionError(
        f"samples must be uint8 [N, H, W] or [N, H, W, C] (C = 1 or 3), or float [N, C, H, W] "
        f"in [-1, 1]; got {what}"
    )


def collapse_gray(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 3] whose three channels are equal (grayscale saved as RGB) → [N, H, W]."""
    if (
        images.dtype == np.uint8
        and images.ndim == 4
        and images.shape[-1] == 3
        and (images[..., :1] == images[..., 1:]).all()
    ):
        return images[..., 0]
    return images


def resolve_features(features: str, shape: tuple[int, int, int]) -> str:
    """`auto` → the project classifier for 28×28 grayscale data, Inception-v3 otherwise."""
    if features not in FEATURE_CHOICES:
        raise GenvisionError(f"unknown --features {features!r}: choose from {', '.join(FEATURE_CHOICES)}")
    if features == "auto":
        return "classifier" if tuple(shape) == (1, 28, 28) else "inception"
    return features


def make_extractor(
    features: str,
    shape: tuple[int, int, int],
    device: torch.device | str = "cpu",
    classifier: str | Path = DEFAULT_CLASSIFIER,
) -> FeatureExtractor:
    """The feature extractor for `features` (auto|inception|classifier), reused across calls."""
    kind = resolve_features(features, shape)
    key = (kind, str(classifier), str(device))
    if key not in _EXTRACTORS:
        if kind == "classifier":
            _EXTRACTORS[key] = ClassifierFeatures(classifier, device=device)
        else:  # torchvision's Inception modules load only when Inception features are asked for
            from genvision.metrics.inception import InceptionFeatures  # noqa: PLC0415

            _EXTRACTORS[key] = InceptionFeatures(device=device)
    return _EXTRACTORS[key]


def load_reference(ref: str, n: int | None, seed: int = 0) -> tuple[np.ndarray | torch.Tensor, list[str]]:
    """Up to `n` images of a data reference (a seeded random subset when the data holds more)."""
    dataset = load_dataset(ref, "test")
    notes = []
    if n is not None and n > len(dataset):
        notes.append(f"reference {ref} holds only {len(dataset)} images; using all of them instead of {n}")
    count = len(dataset) if n is None else min(n, len(dataset))
    order = np.sort(np.random.default_rng(seed).permutation(len(dataset))[:count])
    if isinstance(dataset, ArrayDataset):
        return collapse_gray(dataset.images[order]), notes
    return torch.stack([dataset[int(i)]["image"] for i in order]), notes


def _cache_file(key: str) -> Path:
    return genvision_home() / "cache" / "eval" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.npz"


def reference_features(
    extractor: FeatureExtractor, ref: str, n: int | None, seed: int = 0, use_disk_cache: bool = True
) -> tuple[Features, int, list[str]]:
    """Features of the reference images, from the memory/disk cache when this network has seen them."""
    key = f"{extractor.cache_key}|{ref}|{n}|{seed}"
    if extractor.cache_key and key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key], len(_MEMORY_CACHE[key].features), []
    path = _cache_file(key)
    if extractor.cache_key and use_disk_cache and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            feats = Features(data["features"], data["logits"] if "logits" in data.files else None)
        _MEMORY_CACHE[key] = feats
        return feats, len(feats.features), []
    images, notes = load_reference(ref, n, seed)
    feats = extractor.extract(images)
    if extractor.cache_key:
        _MEMORY_CACHE[key] = feats
        if use_disk_cache:
            arrays = {
                "features": feats.features,
                **({"logits": feats.logits} if feats.logits is not None else {}),
            }
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **arrays)
    return feats, len(feats.features), notes


def small_sample_warnings(
    n_samples: int, n_real: int, dim: int, metrics: tuple[str, ...], settings: EvalSettings
) -> list[str]:
    """Explain FID's bias when there are fewer samples than feature dimensions, and a KID spread of 0."""
    notes, n = [], min(n_samples, n_real)
    if "fid" in metrics and n < dim:
        notes.append(
            f"only {n} samples for {dim}-d features: the covariance estimate has rank <= {n - 1} < {dim}, "
            f"so FID is biased upward (it falls as N grows); compare FIDs only at equal N, use >= {dim} "
            "samples (10000 is customary), or read KID, which is unbiased"
        )
    if "kid" in metrics and n_samples == n_real <= settings.kid_subset_size:
        notes.append(
            f"KID subsets of {settings.kid_subset_size} hold all {n} samples, so its ± is 0; "
            f"use more than {settings.kid_subset_size} samples for a spread over subsets"
        )
    return notes


def compute_metrics(
    real: Features,
    fake: Features,
    metrics: tuple[str, ...],
    settings: EvalSettings,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """The requested metrics between reference (`real`) and generated (`fake`) features."""
    out: dict[str, float] = {}
    if "fid" in metrics:
        out["fid"] = fid_from_features(real.features, fake.features)
    if "kid" in metrics:
        out["kid_mean"], out["kid_std"] = kid_from_features(
            real.features,
            fake.features,
            subsets=settings.kid_subsets,
            subset_size=settings.kid_subset_size,
            seed=settings.seed,
        )
    if "pr" in metrics:
        out["precision"], out["recall"] = precision_recall(
            real.features, fake.features, k=settings.pr_k, device=device
        )
    if "is" in metrics:
        if fake.logits is None:
            raise GenvisionError("the IS/KL score needs a feature extractor with class logits")
        out["is_mean"], out["is_std"] = inception_score(fake.logits, settings.is_splits)
    return out


def _check_counts(n: int, metrics: tuple[str, ...], settings: EvalSettings) -> None:
    if n < 2:
        raise GenvisionError(f"need at least 2 samples to evaluate, got {n}")
    if "pr" in metrics and n <= settings.pr_k:
        raise GenvisionError(
            f"precision/recall with k={settings.pr_k} needs more than {settings.pr_k} samples, got {n}"
        )
    if "is" in metrics and n < settings.is_splits:
        raise GenvisionError(
            f"the IS/KL score with {settings.is_splits} splits needs at least that many samples, got {n}"
        )


def evaluate_samples(
    samples: np.ndarray | torch.Tensor,
    reference: str = "fashion-mnist:test",
    metrics: tuple[str, ...] | str = METRIC_NAMES,
    features: str = "auto",
    n: int | None = None,
    n_reference: int | None = None,
    device: str = "auto",
    classifier: str | Path = DEFAULT_CLASSIFIER,
    settings: EvalSettings | None = None,
    use_disk_cache: bool = True,
) -> EvalReport:
    """Score `samples` against `reference`; `n` takes the first n samples, `n_reference` defaults to n."""
    settings = settings or EvalSettings()
    metrics = parse_metrics(metrics)
    samples = channels_last(samples)
    shape = image_shape(samples)
    if n is not None:
        if n > len(samples):
            raise GenvisionError(f"--n {n} asks for more samples than the {len(samples)} given")
        samples = samples[:n]
    n_samples = len(samples)
    _check_counts(n_samples, metrics, settings)
    extractor = make_extractor(features, shape, resolve_device(device), classifier)
    real, n_real, notes = reference_features(
        extractor, reference, n=n_reference or n_samples, seed=settings.seed, use_disk_cache=use_disk_cache
    )
    _check_counts(n_real, metrics, settings)
    fake = extractor.extract(samples)
    notes += small_sample_warnings(n_samples, n_real, dim=extractor.dim, metrics=metrics, settings=settings)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    scores = compute_metrics(real, fake, metrics=metrics, settings=settings, device=extractor.device)
    return EvalReport(
        scores,
        extractor.name,
        n_samples=n_samples,
        n_reference=n_real,
        reference=reference,
        settings=settings,
        warnings=notes,
    )


def fid_during_training(
    samples: np.ndarray | torch.Tensor,
    reference_ref: str,
    n: int,
    features: str = "auto",
    classifier: str | Path = DEFAULT_CLASSIFIER,
) -> float:
    """FID of `n` generated images (uint8 NHWC or float [-1, 1] NCHW) against `n` reference images.

    For the Trainer's optional periodic FID (off by default): the extractor and reference features are built
    once and cached, so each later call costs only the samples' features. Values at small n are biased upward;
    they are for tracking progress within one run, not for comparison with published numbers.
    """
    samples = samples[:n]
    if isinstance(samples, torch.Tensor) and samples.is_floating_point():
        samples = quantize(samples)  # scored as the uint8 images a run would save
    device = samples.device if isinstance(samples, torch.Tensor) else torch.device("cpu")
    extractor = make_extractor(features, image_shape(samples), device, classifier)
    real, _, _ = reference_features(extractor, reference_ref, n)
    return fid_from_features(real.features, extractor(samples))
