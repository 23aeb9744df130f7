"""Using a trained (conditional) GAN: sampling, four-corner interpolation, z-slices and latent coverage.

Noise is drawn per output image from (seed, image index) (`PerImageRNG`), so image k never depends on the batch.

Four-corner bilinear interpolation between noise vectors z₀₀, z₀₁, z₁₀, z₁₁ (top-left, top-right, bottom-left,
bottom-right) on a steps × steps grid, u = column / (steps − 1), v = row / (steps − 1):
    z(u, v) = (1 − u)(1 − v) z₀₀ + u (1 − v) z₀₁ + (1 − u) v z₁₀ + u v z₁₁
For a conditional GAN without a fixed class, the corners get classes 0, 1, 2, 3 (mod the class count) and the
label embeddings are blended with the same weights, so the grid morphs between classes as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from genvision.conditioning.classes import resolve_class as shared_resolve_class
from genvision.errors import GenvisionError
from genvision.models.bundle import Bundle, load_bundle
from genvision.seeding import PerImageRNG

GAN_KINDS = ("dcgan", "cgan")


@dataclass
class GanModel:
    """A loaded generator and what is needed to drive it."""

    generator: nn.Module
    z_dim: int
    shape: tuple[int, int, int]
    class_names: list[str] | None
    conditional: bool
    device: torch.device

    @property
    def num_classes(self) -> int:
        return int(getattr(self.generator, "num_classes", 0)) if self.conditional else 0

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                 label_embedding: torch.Tensor | None = None, batch_size: int = 256) -> torch.Tensor:
        """G(z) (or G(z, y), or G([z; e])) in [−1, 1], in batches; labels are required for a conditional GAN."""
        if self.conditional and labels is None and label_embedding is None:
            raise GenvisionError("this conditional GAN needs class labels")
        out = []
        for start in range(0, z.shape[0], batch_size):
            zb = z[start:start + batch_size].to(self.device)
            if not self.conditional:
                x = self.generator(zb)
            elif label_embedding is not None:
                x = self.generator.from_embedding(zb, label_embedding[start:start + batch_size].to(self.device))
            else:
                x = self.generator(zb, labels[start:start + batch_size].to(self.device))
            out.append(x.float().clamp(-1, 1))
        return torch.cat(out)


def load_gan(ref: str | Path | Bundle, device: torch.device | str = "cpu") -> GanModel:
    """Open a "dcgan" or "cgan" bundle (folder or shipped name)."""
    bundle = ref if isinstance(ref, Bundle) else load_bundle(ref, kinds=GAN_KINDS)
    if bundle.kind not in GAN_KINDS:
        raise GenvisionError(f"{bundle.path} is a {bundle.kind!r} bundle; expected one of {', '.join(GAN_KINDS)}")
    device = torch.device(device)
    generator = bundle.component("generator", device)
    data = bundle.config.get("data", {})
    shape = tuple(data.get("shape") or (generator.channels, generator.image_size, generator.image_size))
    return GanModel(generator=generator, z_dim=int(bundle.config.get("z_dim", generator.z_dim)), shape=shape,
                    class_names=data.get("class_names"), conditional=bundle.kind == "cgan", device=device)


def resolve_class(model: GanModel, class_ref: str | int | None) -> int | None:
    """A class index from an index or a class name; an error for unconditional GANs."""
    if class_ref is None:
        return None
    if not model.conditional:
        raise GenvisionError("--class applies only to conditional GANs (kind 'cgan'); this bundle is unconditional")
    return shared_resolve_class(class_ref, model.class_names, model.num_classes)


def noise(seed: int, indices: list[int] | range, z_dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """z for each image index: [len(indices), z_dim], one generator per image."""
    return PerImageRNG(seed, list(indices), device).randn(z_dim)


def sample_labels(model: GanModel, indices: list[int] | range, class_index: int | None) -> torch.Tensor | None:
    """Labels for conditional sampling: the requested class, else image k gets class k mod num_classes."""
    if not model.conditional:
        return None
    if class_index is not None:
        return torch.full((len(indices),), class_index, dtype=torch.int64)
    return torch.tensor([i % model.num_classes for i in indices], dtype=torch.int64)


def sample(model: GanModel, n: int, seed: int = 0, class_index: int | None = None, start: int = 0,
           batch_size: int = 256) -> torch.Tensor:
    """n images [n, C, H, W] in [−1, 1]; image k uses noise (seed, start + k)."""
    indices = range(start, start + n)
    return model.generate(noise(seed, indices, model.z_dim), sample_labels(model, indices, class_index),
                          batch_size=batch_size)


def bilinear_weights(steps: int) -> torch.Tensor:
    """[steps, steps, 4] weights of the corners (z₀₀, z₀₁, z₁₀, z₁₁) at each grid cell; each cell sums to 1."""
    if steps < 2:
        raise GenvisionError(f"--steps must be at least 2, got {steps}")
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)
    v, u = torch.meshgrid(t, t, indexing="ij")  # v: row, u: column
    return torch.stack([(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v], dim=-1)


def blend_corners(corners: torch.Tensor, steps: int) -> torch.Tensor:
    """Bilinear grid between 4 corner vectors [4, D] → [steps², D] in row-major order (2 corners: a line)."""
    if corners.shape[0] == 2:
        t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64)[:, None]
        return ((1 - t) * corners[0].double() + t * corners[1].double()).to(corners.dtype)
    if corners.shape[0] != 4:
        raise GenvisionError(f"--corners must be 2 or 4, got {corners.shape[0]}")
    w = bilinear_weights(steps).reshape(-1, 4)
    return (w @ corners.double().flatten(1)).to(corners.dtype)


def interpolate(model: GanModel, corners: int = 4, steps: int = 8, seed: int = 0,
                class_index: int | None = None) -> torch.Tensor:
    """Images between `corners` (2 or 4) noise samples: [steps², C, H, W] (4 corners) or [steps, ...] (2)."""
    if corners not in (2, 4):
        raise GenvisionError(f"--corners must be 2 or 4, got {corners}")
    corner_z = noise(seed, range(corners), model.z_dim)
    z = blend_corners(corner_z, steps)
    if not model.conditional:
        return model.generate(z)
    if class_index is not None:
        return model.generate(z, labels=torch.full((z.shape[0],), class_index, dtype=torch.int64))
    corner_labels = torch.arange(corners) % model.num_classes
    embeddings = model.generator.embed(corner_labels.to(model.device)).detach().cpu()
    return model.generate(z, label_embedding=blend_corners(embeddings, steps))


def z_slice(model: GanModel, steps: int = 8, seed: int = 0, dims: tuple[int, int] | None = None,
            extent: float | None = None, class_index: int | None = None) -> torch.Tensor:
    """G over a 2-D slice of z, [steps², C, H, W] (rows: first coordinate, columns: second).

    Default: the plane through the origin spanned by two noise samples z₁, z₂ (images 0 and 1 of `seed`),
        z(a, b) = a z₁ + b z₂,  a, b ∈ [−extent, extent] (extent 1),
    which crosses the typical shell ‖z‖ ≈ √d in several directions. With `dims`, an axis-aligned slice instead:
    z₁ with coordinates dims[0], dims[1] set on [−extent, extent]² (extent 2.5).
    """
    t = torch.linspace(-1.0, 1.0, steps)
    rows, cols = (m.flatten() for m in torch.meshgrid(t, t, indexing="ij"))
    if dims is None:
        z1, z2 = noise(seed, range(2), model.z_dim)
        e = 1.0 if extent is None else extent
        z = e * (rows[:, None] * z1 + cols[:, None] * z2)
    else:
        if any(not 0 <= d < model.z_dim for d in dims) or dims[0] == dims[1]:
            raise GenvisionError(f"slice dims {dims} must be two different indices in [0, {model.z_dim})")
        e = 2.5 if extent is None else extent
        z = noise(seed, [0], model.z_dim).repeat(steps * steps, 1)
        z[:, dims[0]], z[:, dims[1]] = e * rows, e * cols
    labels = None
    if model.conditional:
        labels = torch.full((z.shape[0],), class_index if class_index is not None else 0, dtype=torch.int64)
    return model.generate(z, labels)


def class_histogram(predicted: np.ndarray | torch.Tensor, num_classes: int) -> dict[str, object]:
    """Mode-collapse diagnostic from a classifier's predicted labels of generated samples.

    Returns counts, the fraction per class, the normalised entropy H(p)/log K (1 = uniform over classes,
    0 = one class only) and `covered` = the number of classes holding at least 1/(4K) of the samples.
    """
    pred = np.asarray(predicted.cpu() if isinstance(predicted, torch.Tensor) else predicted).astype(np.int64)
    counts = np.bincount(pred, minlength=num_classes)[:num_classes]
    p = counts / max(counts.sum(), 1)
    nz = p[p > 0]
    entropy = float(-(nz * np.log(nz)).sum() / np.log(num_classes)) if num_classes > 1 else 0.0
    covered = int((p >= 1.0 / (4 * num_classes)).sum())
    return {"counts": counts.tolist(), "fractions": p.tolist(), "entropy": entropy, "covered": covered}


# ---- the project's classifier: class histograms, classifier-feature FID, latent coverage ----------------------

def load_classifier(ref: str | Path, shape: tuple[int, int, int], device: torch.device | str = "cpu") -> nn.Module:
    """The classifier of a "classifier" bundle, checked against the generator's image shape [C, H, W]."""
    bundle = load_bundle(ref, kinds=("classifier",))
    want = list(bundle.config.get("data", {}).get("shape") or [])
    if want and want != list(shape):
        raise GenvisionError(f"classifier {ref} expects images of shape {want}, the generator makes {list(shape)}")
    return bundle.component("classifier", device)


@torch.no_grad()
def classify(classifier: nn.Module, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """(features [N, D], predicted labels [N]) of images in [−1, 1]; the classifier stays in eval mode."""
    device = next(classifier.parameters()).device
    feats, preds = [], []
    for start in range(0, images.shape[0], batch_size):
        f = classifier.features(images[start:start + batch_size].to(device).float())
        feats.append(f.float().cpu())
        preds.append(classifier.head(f).argmax(1).cpu())
    return torch.cat(feats), torch.cat(preds)


def classifier_metrics(model: GanModel, classifier: nn.Module, real_images: torch.Tensor, n: int = 2000,
                       seed: int = 0) -> dict[str, float]:
    """Classifier-feature FID against `real_images`, the class histogram's entropy and coverage of n samples,
    and (conditional GANs) the classifier's agreement with the requested classes."""
    from genvision.metrics.frechet import fid_from_features

    fake = sample(model, n, seed=seed)
    fake_feats, predicted = classify(classifier, fake)
    real_feats, _ = classify(classifier, real_images)
    num_classes = int(classifier.head.out_features)
    hist = class_histogram(predicted, num_classes)
    out = {"classifier_fid": fid_from_features(real_feats.double().numpy(), fake_feats.double().numpy()),
           "class_entropy": hist["entropy"], "classes_covered": float(hist["covered"])}
    if model.conditional:
        requested = sample_labels(model, range(n), None)
        out["label_accuracy"] = float((predicted == requested).float().mean())
    return out


def latent_coverage(model: GanModel, classifier: nn.Module, real_images: torch.Tensor, real_labels: torch.Tensor,
                    path: str | Path, n: int = 1000, seed: int = 0, steps: int = 8,
                    dims: tuple[int, int] | None = None, class_index: int | None = None) -> Path:
    """Write the latent-coverage figure: PCA (fitted on real features) of real and generated images' classifier
    features, beside G over a 2-D slice of z (see `z_slice`)."""
    from genvision.viz.coverage import pca_2d, save_coverage_figure

    fake = sample(model, n, seed=seed, class_index=class_index)
    real_feats, _ = classify(classifier, real_images)
    fake_feats, _ = classify(classifier, fake)
    (real_2d, fake_2d), explained = pca_2d(real_feats.double().numpy(), fake_feats.double().numpy())
    grid = z_slice(model, steps=steps, seed=seed, dims=dims, class_index=class_index)
    return save_coverage_figure(path, real_2d, fake_2d, np.asarray(real_labels), model.class_names, grid, steps,
                                explained, title=f"latent coverage: {n} generated vs {len(real_images)} real")


def report_figures(model_ref: str | Path, out_dir: str | Path, classifier_ref: str | Path = "fashion-classifier",
                   data_ref: str | None = None, n: int = 2000, seed: int = 0,
                   device: torch.device | str = "cpu") -> dict[str, float]:
    """The report's GAN figures and numbers in one call: samples.png (a class per row for cGANs),
    interpolation.png (4 corners, 8 × 8), coverage.png, and the classifier metrics (also returned)."""
    import json

    from genvision.data import load_images_from_ref
    from genvision.viz.grid import save_grid

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = load_gan(model_ref, device)
    if model.conditional:
        k = model.num_classes
        grid = torch.cat([sample(model, 10, seed=seed, class_index=c) for c in range(k)])
        save_grid(grid, out / "samples.png", nrow=10)
    else:
        save_grid(sample(model, 64, seed=seed), out / "samples.png", nrow=8)
    save_grid(interpolate(model, corners=4, steps=8, seed=seed), out / "interpolation.png", nrow=8)
    classifier = load_classifier(classifier_ref, model.shape, device)
    data = load_bundle(model_ref, kinds=GAN_KINDS).config.get("data", {})
    real, labels, _ = load_images_from_ref(data_ref or f"{data.get('dataset', 'fashion-mnist')}:test")
    metrics = classifier_metrics(model, classifier, real[:n], n=n, seed=seed)
    latent_coverage(model, classifier, real[:1000], labels[:1000], out / "coverage.png", n=1000, seed=seed)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics

# ---- plugging into `genvision sample` and `genvision interpolate` ----------------------------------------------

def sample_gan_bundle(bundle: Bundle, n: int, seed: int, device: torch.device, options) -> "SampleResult":
    """`genvision sample` for "dcgan" / "cgan" bundles: one generator pass; `--class` for conditional ones."""
    from genvision.pipelines.sample import SampleResult, reject_diffusion_options

    reject_diffusion_options(bundle, options)
    conditions = {k: v for k, v in options.conditions.items() if v is not None}
    unsupported = sorted(set(conditions) - {"class"})
    if unsupported:
        raise GenvisionError(f"{', '.join('--' + k for k in unsupported)} do not apply to {bundle.kind!r} bundles; "
                             "a GAN takes only --class (conditional GANs)")
    model = load_gan(bundle, device)
    class_index = resolve_class(model, conditions.get("class"))
    images = sample(model, n, seed=seed, class_index=class_index, batch_size=options.batch_size).cpu()
    return SampleResult(images=images, info={"kind": bundle.kind, "class": class_index})


def gan_interpolator(bundle: Bundle, request) -> "Interpolation":
    """`genvision interpolate MODEL --corners 4 --steps 8`: a steps × steps bilinear grid between 4 noise samples
    (or, with --corners 2, a strip along a linear or slerp path between 2)."""
    from genvision.pipelines.interpolate import Interpolation, latent_path

    if request.a or request.b or request.invert:
        raise GenvisionError(f"a {bundle.kind!r} model interpolates between noise samples, not images: drop "
                             "--a/--b/--invert and use --corners 2|4 with --seed")
    corners = 4 if request.corners is None else request.corners
    if corners not in (2, 4):
        raise GenvisionError(f"--corners must be 2 or 4, got {corners}")
    if corners == 4 and request.method != "linear":
        raise GenvisionError(f"--corners 4 blends bilinearly; --method {request.method} applies only to --corners 2")
    model = load_gan(bundle, request.device)
    class_index = resolve_class(model, request.class_ref)
    if corners == 2 and request.method != "linear":
        z0, z1 = noise(request.seed, range(2), model.z_dim)
        z = latent_path(z0, z1, request.steps, request.method)
        labels = sample_labels(model, [0] * len(z), class_index) if model.conditional else None
        return Interpolation(images=model.generate(z, labels).cpu(), nrow=request.steps)
    images = interpolate(model, corners=corners, steps=request.steps, seed=request.seed, class_index=class_index)
    return Interpolation(images=images.cpu(), nrow=request.steps)


def _register() -> None:
    from genvision.pipelines.interpolate import register_interpolator
    from genvision.pipelines.sample import register_sampler_kind

    for kind in GAN_KINDS:
        register_sampler_kind(kind, sample_gan_bundle)
        register_interpolator(kind, gan_interpolator)


_register()
