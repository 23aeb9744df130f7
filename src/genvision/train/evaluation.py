"""Metrics that recipes measure at export and record in the bundle, through the public model classes.

    images, labels, ref = eval_images(cfg.data, "test", 2000)      # warns (and says so in ref) on a fallback
    autoencoding_metrics(Autoencoder.wrap(net, "vqvae", shape), images)
    gan_metrics(GAN.wrap(g, "cgan", z_dim, shape, names), classifier, real, n=2000)
    conditional_accuracy(diffusion, classifier, "fashion-mnist", n=1000, guidance=3.0, steps=50, captions=table)

Each returns plain floats, ready for the bundle's `metrics`.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from genvision.config.run import DataConfig
from genvision.data import load_dataset
from genvision.data.base import ArrayDataset
from genvision.data.captions import PARAPHRASES, random_captions
from genvision.data.captions import paraphrases as held_out_paraphrases
from genvision.errors import BundleError, ConfigError, GenvisionError
from genvision.generators import GAN, Autoencoder, Classifier, DiffusionModel, load_classifier
from genvision.generators.diffusion import Condition
from genvision.metrics.class_histogram import class_histogram
from genvision.metrics.frechet import fid_from_features
from genvision.metrics.image_quality import reconstruction_metrics
from genvision.models.bundle import load_bundle
from genvision.viz.images import quantize

LATENT_SCALE_IMAGES = 64  # training images that set latent_scale = 1 / std(E(x)) when eval_n = 0


def export_classifier(ref: str, device: torch.device) -> Classifier | None:
    """The classifier bundle export metrics use; None, with a warning, when it cannot be opened."""
    try:
        return load_classifier(load_bundle(ref, kinds=("classifier",)), device)
    except BundleError as exc:
        warnings.warn(f"skipping the export evaluation: {exc}", stacklevel=3)
        return None


def eval_images(d: DataConfig, split: str, n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first n images (and labels) of the run's data `split`, and the reference used. When the dataset has no
    such split, the training split is used instead, with a warning, and the reference says so."""
    try:
        ds = load_dataset(
            d.name, split, data_dir=d.data_dir, image_size=d.image_size, channels=d.channels, limit=n
        )
        used = split
    except GenvisionError as exc:
        if split == "train":
            raise
        warnings.warn(
            f"export metrics: {d.name} has no usable {split!r} split ({exc}); measuring on the "
            "training split instead, which flatters the model",
            stacklevel=2,
        )
        ds = load_dataset(
            d.name, "train", data_dir=d.data_dir, image_size=d.image_size, channels=d.channels, limit=n
        )
        used = "train"
    if isinstance(ds, ArrayDataset):
        t = ds.tensors()
        images, labels = t["image_uint8"].float().div(127.5).sub(1.0), t["label"]
    else:
        items = [ds[i] for i in range(len(ds))]
        images, labels = (
            torch.stack([it["image"] for it in items]),
            torch.stack([it["label"] for it in items]),
        )
    ref = f"{d.name}:{used}:0-{len(images)}" + ("" if used == split else f" (no {split} split: train used)")
    return images, labels, ref


def export_images(d: DataConfig, split: str, n: int) -> tuple[torch.Tensor, torch.Tensor, str | None]:
    """`eval_images`, or for n = 0 (recipe.eval_n=0: no export metrics) the first LATENT_SCALE_IMAGES training
    images, which only set the latent scale, and no reference (None)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"recipe.eval_n must be an integer >= 0 (0: no export metrics), got {n!r}")
    if n == 0:
        return (*eval_images(d, "train", LATENT_SCALE_IMAGES)[:2], None)
    return eval_images(d, split, n)


def autoencoding_metrics(
    model: Autoencoder, images: torch.Tensor, labels: torch.Tensor | None = None, quality: bool = True
) -> dict[str, float]:
    """PSNR / SSIM of reconstructions, codebook usage and perplexity (VQ), and latent_scale = 1 / std(encode(x));
    only the latent scale when `quality` is False."""
    if not quality:
        return {"latent_scale": model.latent_scale_of(images, labels)}
    recons = model.reconstruct(images, labels).images
    metrics = reconstruction_metrics(images, recons)
    metrics.update(model.codebook_metrics(images))
    metrics["latent_scale"] = model.latent_scale_of(images, labels)
    return metrics


def feature_fid(classifier: Classifier, real: np.ndarray, images: torch.Tensor) -> float:
    """FID in the classifier's feature space between real features [N, D] (float64) and generated images [-1, 1],
    scored as the saved uint8 images would be."""
    return float(fid_from_features(real, classifier.features(quantize(images)).double().numpy()))


def gan_metrics(
    model: GAN, classifier: Classifier, real_images: torch.Tensor, n: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Classifier-feature FID of n samples against `real_images`, the class histogram's entropy and coverage,
    and (conditional GANs, sample k of class k mod C) how often the classifier agrees with the requested class."""
    fake = quantize(model.sample(n, seed=seed).images)  # scored as the saved uint8 images would be
    fake_feats, fake_logits = classifier.classify(fake)
    real_feats = classifier.features(real_images)
    hist = class_histogram(fake_logits.argmax(1), classifier.num_outputs)
    out = {
        "classifier_fid": fid_from_features(real_feats.double().numpy(), fake_feats.double().numpy()),
        "class_entropy": hist["entropy"],
        "classes_covered": float(hist["covered"]),
    }
    if model.conditional:
        requested = model.labels_for(range(n), None)
        out["label_accuracy"] = float((fake_logits.argmax(1) == requested).float().mean())
    return out


@torch.no_grad()
def conditional_accuracy(
    model: DiffusionModel,
    classifier: Classifier,
    dataset: str,
    n: int = 1000,
    guidance: float = 3.0,
    steps: int = 50,
    sampler: str = "ddim",
    captions=None,
    paraphrases: bool = True,
    seed: int = 0,
    batch_size: int = 500,
) -> dict[str, float]:
    """How often the classifier assigns guided samples to the requested class (class k % C for sample k): by
    class label, by prompts from the training and the held-out caption templates, and (where the dataset has
    them) by the held-out paraphrases, also per class (`..._worst_class`); and images per second."""
    num_classes = model.num_classes or (captions.num_classes if captions is not None else 0)
    if not num_classes:
        raise GenvisionError("conditional accuracy needs a class- or caption-conditional model")
    labels = torch.arange(n) % num_classes
    requests: dict[str, list[Condition]] = {}
    if model.num_classes:
        requests["class_accuracy"] = [Condition(class_label=int(k)) for k in labels]
    if model.takes_text and captions is not None:
        for split in ("train", "held_out"):
            prompts = random_captions(dataset, labels, split=split, seed=seed, class_names=model.class_names)
            requests[f"text_accuracy_{split}_templates"] = [Condition(prompt=p) for p in prompts]
        if paraphrases and dataset in PARAPHRASES:  # free text: needs the live text encoder
            table = held_out_paraphrases(dataset)
            requests["text_accuracy_paraphrases"] = [
                Condition(prompt=table[int(c)][(k // num_classes) % len(table[int(c)])])
                for k, c in enumerate(labels)
            ]
    results: dict[str, float] = {}
    for name, conditions in requests.items():
        start = time.perf_counter()
        images = quantize(
            model.generate(
                conditions, guidance=guidance, sampler=sampler, steps=steps, seed=seed, batch_size=batch_size
            ).images
        )
        if name == "class_accuracy":
            results["images_per_second"] = n / (time.perf_counter() - start)
        correct = (classifier.predict(images) == labels).float()
        results[name] = float(correct.mean())
        if name == "text_accuracy_paraphrases":
            per_class = [float(correct[labels == c].mean()) for c in range(num_classes)]
            results[f"{name}_worst_class"] = min(per_class)
    return results
