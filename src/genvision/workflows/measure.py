"""Measure a bundle on its own dataset and write the numbers, with how they were measured, into its config.json.

    metrics, how = measure_bundle("fashion-dcgan", n=1000, command="genvision zoo --measure fashion-dcgan")
    write_measurement("fashion-dcgan", metrics, how)

The feature network is the dataset's shipped classifier (`fashion-classifier` or `mnist-classifier`); where a split
has fewer than n images (the 500 held-out digits of the shipped MNIST) all of it is used.
- generators (ddpm, ldm, dcgan, cgan, stylegan): `classifier_fid` of n samples (seed 0, image k from (0, k), the
  bundle's default sampler and steps) against test images 0 … n−1, `real_vs_real_fid` (train images 0 … n−1
  against the same test images) and `fid_over_floor`; class-conditional GANs also `label_accuracy` (sample k
  asks for class k mod C). With several sample seeds (`seeds=(0, 2, 3)`) `classifier_fid` is the mean of the
  seeds' FIDs, each of n samples, and `measured.per_seed` lists them: at n = 1,000 two seeds of one model can
  differ by a third, so a ratio between two models is judged on the mean.
- autoencoders (vae, vqvae, autoencoder): `psnr`, `ssim` of reconstructions of test images 0 … n−1; VQ codebook
  `codebook_usage`, `codebook_perplexity`; VAEs `elbo`, `kl`, `nll` and `bits_per_dim` with uniform dequantisation.
- classifiers: `test_accuracy` on test images 0 … n−1.
Writing replaces `metrics` by exactly these keys (hand-edited ones go, as does `sampling.measured`) and records a
`measured` block: n, seed, sampler and steps, the reference split, the feature network, the CPU, the date, the
genvision version and the command. tests/zoo/test_bundle_metrics.py lists the allowed keys.
"""

from __future__ import annotations

import datetime
import json
import platform
import time
from pathlib import Path

import torch

import genvision
from genvision.data import load_images_from_ref
from genvision.errors import GenvisionError
from genvision.generators import GAN, Autoencoder, Classifier, DiffusionModel, StyleGAN
from genvision.io.atomic import atomic_write_text
from genvision.metrics.frechet import fid_from_features
from genvision.metrics.image_quality import reconstruction_metrics
from genvision.models.bundle import load_bundle, shipped_bundles
from genvision.train.recipes.vae import elbo_metrics
from genvision.version import __version__
from genvision.viz.images import quantize

SEED = 0
FEATURES = {"fashion-mnist": "fashion-classifier", "mnist": "mnist-classifier"}  # dataset -> its classifier


def reference(dataset: str, split: str, n: int) -> tuple[str, torch.Tensor, torch.Tensor]:
    """The data reference of the first n images of a split (fewer where the split is smaller), images, labels."""
    images, labels = load_images_from_ref(f"{dataset}:{split}")[:2]
    n = min(n, len(images))
    return f"{dataset}:{split}:0-{n}", images[:n], labels[:n]


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({torch.get_num_threads()} threads)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def generator_metrics(
    model, n: int, classifier: Classifier, dataset: str, seeds: tuple[int, ...] = (SEED,)
) -> tuple[dict, dict]:
    test_ref, test, _ = reference(dataset, "test", n)
    train_ref, train, _ = reference(dataset, "train", n)
    real = classifier.features(test).double().numpy()
    floor = fid_from_features(real, classifier.features(train).double().numpy())
    labelled = model.num_classes and not isinstance(
        model, DiffusionModel
    )  # GANs draw class k mod C for image k
    fids, hits = [], []
    for seed in seeds:
        result = model.sample(n, seed=seed)
        feats, logits = classifier.classify(quantize(result.images))
        fids.append(fid_from_features(real, feats.double().numpy()))
        if labelled:
            hits.append(logits.argmax(1) == model.labels_for(range(n), None))
    fid = sum(fids) / len(fids)
    metrics = {"classifier_fid": fid, "real_vs_real_fid": floor, "fid_over_floor": fid / floor}
    if labelled:
        metrics["label_accuracy"] = float(torch.cat(hits).float().mean())
    how = {"reference": test_ref, "floor": train_ref}
    if len(seeds) > 1:
        how["per_seed"] = {str(seed): round(f, 6) for seed, f in zip(seeds, fids, strict=True)}
    how.update({k: result.info[k] for k in ("sampler", "steps", "truncation") if k in result.info})
    return metrics, how


def autoencoder_metrics(model: Autoencoder, n: int, dataset: str) -> tuple[dict, dict]:
    test_ref, images, labels = reference(dataset, "test", n)
    metrics = reconstruction_metrics(
        images, model.reconstruct(images, labels if model.conditional else None).images
    )
    metrics.update({k: v for k, v in model.codebook_metrics(images).items() if k != "codebook_size"})
    if model.kind == "vae":
        likelihood = model.spec.extra.get("likelihood") or {"kind": "gaussian", "sigma": 0.1}
        labels = labels if model.conditional else None
        metrics.update(
            elbo_metrics(model.net, images, labels, likelihood["kind"], likelihood.get("sigma", 0.1), SEED)
        )
    return metrics, {"reference": test_ref, "bits_per_dim": "uniform dequantisation"}


@torch.no_grad()
def measure_bundle(
    ref: str, n: int = 1000, *, command: str, seeds: tuple[int, ...] = (SEED,)
) -> tuple[dict, dict]:
    """The bundle's metrics and how they were measured; `command` is recorded as what produced them; a
    generator's FID is the mean over sample `seeds`."""
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise GenvisionError(f"seeds must be distinct integers >= 0, got {list(seeds)}")
    model = genvision.load(ref, device="cpu", precision="fp32")
    dataset = model.spec.data.dataset or "fashion-mnist"
    features = FEATURES[dataset]
    started = time.perf_counter()
    if isinstance(model, DiffusionModel | GAN | StyleGAN):
        metrics, how = generator_metrics(model, n, genvision.load(features, device="cpu"), dataset, seeds)
        how["feature_network"] = features
    elif isinstance(model, Autoencoder):
        metrics, how = autoencoder_metrics(model, n, dataset)
    else:
        test_ref, images, labels = reference(dataset, "test", n)
        metrics = {"test_accuracy": float((model.predict(images) == labels).float().mean())}
        how = {"reference": test_ref}
    how.update(
        {
            "n": n,
            "seed": seeds[0] if len(seeds) == 1 else list(seeds),
            "precision": "fp32",
            "cpu": cpu_name(),
            "date": datetime.date.today().isoformat(),
            "genvision_version": __version__,
            "seconds": round(time.perf_counter() - started, 1),
            "command": command,
        }
    )
    return {k: float(v) for k, v in metrics.items()}, how


def write_measurement(ref: str, metrics: dict, how: dict) -> Path:
    """Replace the bundle's metrics by these, with the `measured` block; drop `sampling.measured`. A distilled
    student whose first teacher is a shipped bundle takes that bundle's current metrics and `measured` block as its
    teacher's figure, so the two are shown measured the same way (measure the teacher first)."""
    path = load_bundle(ref).path / "config.json"
    config = json.loads(path.read_text())
    config["metrics"], config["measured"] = metrics, how
    teacher = (config.get("distillation") or {}).get("first_teacher")
    if teacher and teacher.get("name") in shipped_bundles():
        teacher_config = json.loads((load_bundle(teacher["name"]).path / "config.json").read_text())
        teacher["metrics"] = teacher_config.get("metrics") or {}
        teacher["measured"] = teacher_config.get("measured") or {}
    (config.get("sampling") or {}).pop("measured", None)
    config.pop("metrics_data", None)  # the export's reference: `measured.reference` now says what was used
    atomic_write_text(path, json.dumps(config, indent=2) + "\n")
    return path
