"""Inpainting benchmark: genvision's training-free diffusion inpainting vs OpenCV's classical methods.

For each mask type, N held-out test images are inpainted by
    * every diffusion bundle given (pixel "ddpm" or latent "ldm"), plain and with RePaint resampling; with
      --k K, also the mean of K samples per image and the best of K by the known region's consistency,
    * cv2.inpaint with Telea's fast-marching method and with the Navier–Stokes method,
and scored on the filled region against the originals: PSNR, SSIM (and LPIPS when its weights are present),
plus the Fréchet distance in the project classifier's feature space between the final composites and the
original images (lower is better; it rewards plausible, in-distribution fills rather than blurry averages).

    python benchmarks/inpaint_eval.py fashion-ldm fashion-ddpm --n 500 --readme benchmarks/README.md

Writes a markdown table (stdout; with --readme, the "## Inpainting" section of that file) and --json.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import genvision
from genvision.data import load_images_from_ref
from genvision.data.masks import make_fills
from genvision.diffusion.inpaint import Resampling
from genvision.errors import GenvisionError
from genvision.metrics import psnr, ssim
from genvision.runtime import resolve_device
from genvision.viz.images import from_uint8, npy_layout, to_uint8

DEFAULT_MASKS = ("half", "half:bottom", "strokes:0.35", "center", "box")
SECTION = "## Inpainting"


def opencv_inpaint(images: torch.Tensor, fills: torch.Tensor, method: str, radius: int = 3) -> torch.Tensor:
    """cv2.inpaint (Telea 2004 or Navier–Stokes, Bertalmio et al. 2001) of [-1, 1] images where fill = 1."""
    import cv2

    flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[method]
    arrays = to_uint8(images)
    holes = (fills[:, 0].cpu().numpy() > 0.5).astype(np.uint8) * 255
    out = [cv2.inpaint(np.ascontiguousarray(a), h, radius, flag) for a, h in zip(arrays, holes)]
    out = [o[..., None] if o.ndim == 2 else o for o in out]
    return from_uint8(np.stack(out))


class Scorer:
    """PSNR/SSIM on the hole, LPIPS (if its weights are present) and classifier-feature FID."""

    def __init__(self, originals: torch.Tensor, classifier: str | None, device: torch.device):
        self.originals = originals
        self.notes: list[str] = []
        self.extractor = None
        self.lpips = None
        if classifier:
            try:
                from genvision.metrics.classifier_features import ClassifierFeatures

                self.extractor = ClassifierFeatures(classifier, device)
                self.reference = self.extractor(originals)
            except GenvisionError as exc:
                self.notes.append(f"FID skipped: {exc}")
        try:
            from genvision.metrics.lpips import LPIPS

            self.lpips = LPIPS("alex", device)
        except (GenvisionError, ImportError) as exc:
            self.notes.append(f"LPIPS skipped: {str(exc).splitlines()[0]}")

    def __call__(self, results: torch.Tensor, fills: torch.Tensor) -> dict[str, float]:
        region = fills[:, 0].cpu().numpy() > 0.5
        scores = {
            "psnr": float(np.mean(psnr(results, self.originals, region))),
            "ssim": float(np.mean(ssim(results, self.originals, region))),
        }
        if self.lpips is not None:
            scores["lpips"] = float(np.mean(self.lpips.distance(results, self.originals)))
        if self.extractor is not None:
            from genvision.metrics import fid_from_features

            scores["fid"] = float(fid_from_features(self.reference, self.extractor(results)))
        return scores


def known_region_error(inpainted: torch.Tensor, images: torch.Tensor, fills: torch.Tensor) -> torch.Tensor:
    """Per image: mean squared error of the model's own output on the pixels it was told to keep."""
    keep = 1 - fills
    return ((inpainted - images) ** 2 * keep).sum((1, 2, 3)) / keep.sum((1, 2, 3)).clamp_min(1)


def k_sample_methods(
    label: str, inpaint, images: torch.Tensor, fills: torch.Tensor, k: int, best_of: bool = True
) -> dict:
    """Methods scored from one inpainting call per sample j < k (drawn once, shared by the rows):
    the first sample; with k > 1 the pixel mean of the k composites (a posterior-mean estimate, which PSNR
    favours) and, if `best_of`, per image the sample whose own output best matches the known region (only
    informative where the model's output can differ there: latent models; a pixel model pastes the known
    region exactly, so its best of k is always sample 0)."""
    cache: list = []
    elapsed = [0.0]

    def samples() -> list:
        if not cache:
            start = time.perf_counter()
            cache.extend(inpaint(j=j) for j in range(k))
            elapsed[0] = time.perf_counter() - start
        return cache

    # each method returns (images, seconds it cost): one sample costs 1/k of drawing k
    methods = {label if k == 1 else f"{label}, 1 sample": lambda: (samples()[0].composite, elapsed[0] / k)}
    if k == 1:
        return methods
    methods[f"{label}, mean of {k}"] = lambda: (
        torch.stack([s.composite for s in samples()]).mean(0),
        elapsed[0],
    )
    if not best_of:
        return methods

    def best() -> tuple[torch.Tensor, float]:
        errors = torch.stack([known_region_error(s.inpainted, images, fills) for s in samples()])  # [k, N]
        composites = torch.stack([s.composite for s in samples()])
        return composites[errors.argmin(0), torch.arange(len(images))], elapsed[0]

    methods[f"{label}, best of {k} by known region"] = best
    return methods


def run(
    models: list[str],
    data: str,
    masks: list[str],
    steps: int,
    sampler: str,
    resample: Resampling | None,
    seed: int,
    device: torch.device,
    classifier: str | None,
    batch_size: int,
    precision: str = "auto",
    k: int = 1,
) -> tuple[list[dict], list[str]]:
    images, _, info = load_images_from_ref(data)
    n, _, h, w = images.shape
    scorer = Scorer(images, classifier, device)
    loaded = {
        name: genvision.load(name, device=device, precision=precision, kinds=("ddpm", "ldm"))
        for name in models
    }
    rows = []
    for spec in masks:
        fills = make_fills(spec, n, h, w, seed=seed)
        coverage = float(fills.mean())
        methods: dict[str, callable] = {
            "OpenCV Telea": lambda f=fills: opencv_inpaint(images, f, "telea"),
            "OpenCV Navier-Stokes": lambda f=fills: opencv_inpaint(images, f, "ns"),
        }
        for name, model in loaded.items():
            label = f"{name} ({sampler} {steps})"
            variants = {label: None}
            if resample is not None:
                variants[f"{label} + RePaint {resample.jump_length},{resample.jump_count}"] = resample
            for variant, how in variants.items():
                runs = lambda m=model, f=fills, how=how, j=0: m.inpaint(  # noqa: E731  (sample j of k)
                    images,
                    f,
                    sampler=sampler,
                    steps=steps,
                    seed=seed + 1000 * j,
                    resample=how,
                    batch_size=batch_size,
                )
                methods.update(k_sample_methods(variant, runs, images, fills, k, best_of=model.kind == "ldm"))
        for method, fn in methods.items():
            start = time.perf_counter()
            results = fn()
            seconds = time.perf_counter() - start
            if isinstance(results, tuple):  # k-sample rows say what they cost
                results, seconds = results
            # every method is scored on the uint8 images it would write
            results = from_uint8(npy_layout(results).reshape(n, h, w, -1))
            rows.append(
                {
                    "mask": spec,
                    "coverage": coverage,
                    "method": method,
                    "seconds_per_image": seconds / n,
                    **scorer(results, fills),
                }
            )
            print(
                f"{spec:>14}  {method:<45} "
                + "  ".join(f"{k}={v:.4g}" for k, v in rows[-1].items() if isinstance(v, float)),
                flush=True,
            )
    notes = scorer.notes + [
        f"data {data} ({n} images, {info.dataset}), seed {seed}, device {device}, UNet precision {precision}"
    ]
    return rows, notes


def markdown(rows: list[dict], notes: list[str]) -> str:
    has = {k for r in rows for k in r}
    cols = [
        ("mask", "mask"),
        ("coverage", "filled"),
        ("method", "method"),
        ("psnr", "PSNR hole (dB) ↑"),
        ("ssim", "SSIM hole ↑"),
        ("lpips", "LPIPS ↓"),
        ("fid", "classifier FID ↓"),
        ("seconds_per_image", "s / image"),
    ]
    cols = [c for c in cols if c[0] in has]
    lines = ["| " + " | ".join(title for _, title in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for key, _ in cols:
            v = r.get(key, "")
            cells.append(f"{v:.0%}" if key == "coverage" else f"{v:.4g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines + [""] + [f"- {note}" for note in notes])


def write_section(readme: Path, body: str) -> None:
    """Replace (or append) the '## Inpainting' section of a markdown file."""
    text = readme.read_text() if readme.is_file() else "# Benchmarks\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        lines += ["", SECTION, "", body, ""]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [SECTION, "", body, ""]
    readme.write_text("\n".join(lines).rstrip() + "\n")


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "models", nargs="*", help="ddpm/ldm bundle folders or shipped names (none: baselines only)"
    )
    p.add_argument("--data", default=None, help="held-out images (default fashion-mnist:test:0-N)")
    p.add_argument("--n", type=int, default=500)
    p.add_argument(
        "--masks",
        default=";".join(DEFAULT_MASKS),
        help="mask specs separated by ';' (default: half;half:bottom;strokes:0.35;center;box)",
    )
    p.add_argument("--k", type=int, default=1, help="samples per image: adds mean-of-k and best-of-k rows")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--sampler", default="ddim", choices=("ddim", "ddpm"))
    p.add_argument("--resample", default="10,10", help="RePaint JUMP_LENGTH,JUMP_COUNT; '' to skip")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--classifier", default="fashion-classifier", help="classifier bundle for FID; '' to skip")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument(
        "--precision",
        default="auto",
        help="auto (bf16 on CUDA and CPUs with native bf16: AMX, AVX512-BF16), fp32, bf16",
    )
    p.add_argument("--json", type=Path, default=None)
    p.add_argument(
        "--readme", type=Path, default=None, help="write the table into this file's '## Inpainting'"
    )
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    data = args.data or f"fashion-mnist:test:0-{args.n}"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", UserWarning)
        rows, notes = run(
            args.models,
            data,
            [m for m in args.masks.split(";") if m],
            args.steps,
            args.sampler,
            Resampling.parse(args.resample),
            args.seed,
            device,
            args.classifier or None,
            args.batch_size,
            args.precision,
            args.k,
        )
    table = markdown(rows, notes)
    print(table)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "notes": notes}, indent=2))
    if args.readme:
        intro = (
            "Training-free inpainting (known region forward-noised at every reverse step, RePaint resampling "
            "optional, final pixel composite) against OpenCV. Metrics on the filled region against the "
            "original; classifier FID between the composites and the originals. Reproduce with\n"
            f"`python benchmarks/inpaint_eval.py {' '.join(args.models)} --data {data} --steps {args.steps} "
            f"--resample '{args.resample}' --k {args.k} --n {args.n}`.\n"
        )
        write_section(args.readme, intro + "\n" + table)
    return rows


if __name__ == "__main__":
    main()
