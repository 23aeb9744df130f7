"""Classifier-free guidance scale for a class- and text-conditional bundle, chosen on a validation split.

    python benchmarks/guidance.py fashion-ldm --scales 2,3,4,5,7 --n 1000 [--write-defaults] [--json out.json]

For each guidance scale w (ε̂ = ε(x, ∅) + w · (ε(x, c) − ε(x, ∅))), with the bundle's default sampler:
    * quality: classifier FID of n class-guided samples (class k mod 10 for image k) against n test images;
    * validation: accuracy on prompts from the held-out caption templates (`captions.templates(.., "held_out")`),
      as a share of the classifier's accuracy on real test images;
    * test: the same on the held-out paraphrases (`captions.PARAPHRASES`), mean and worst class.
The default is the scale with the best validation share among those whose FID is within `--tolerance`
(relative) of the lowest; the paraphrases are reported, never used to choose. `--write-defaults` stores it in
the bundle's `sampling.guidance`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sampler_steps import write_sampling  # benchmarks/ is the script's folder
from zoo_targets import images_of, paraphrase_samples, per_class_accuracy

import genvision
from genvision.conditioning.unet_inputs import Condition
from genvision.data.captions import random_captions
from genvision.metrics.frechet import fid_from_features
from genvision.viz.images import quantize


def shares(predicted: torch.Tensor, labels: torch.Tensor, real_acc: list[float]) -> tuple[float, float]:
    """(mean accuracy / mean real accuracy, worst class's accuracy / its real accuracy)."""
    acc = per_class_accuracy(predicted, labels, len(real_acc))
    return float(np.mean(acc)) / float(np.mean(real_acc)), min(
        a / r for a, r in zip(acc, real_acc, strict=True)
    )


def sweep(name: str, scales: list[float], n: int) -> list[dict]:
    classifier = genvision.load("fashion-classifier", device="cpu")
    model = genvision.load(name, device="cpu")
    test, _ = images_of("test", n)
    real = classifier.features(test).double().numpy()
    all_test, all_labels = images_of("test", 10000)
    real_acc = per_class_accuracy(classifier.predict(all_test), all_labels, 10)
    labels = torch.arange(n) % 10
    dataset = model.spec.data.dataset
    requests = {
        "class": [Condition(class_label=int(k)) for k in labels],
        "validation": [
            Condition(prompt=p) for p in random_captions(dataset, labels, "held_out", 0, model.class_names)
        ],
    }
    rows = []
    for w in scales:
        row: dict = {"bundle": name, "guidance": w}
        for what, conditions in requests.items():
            images = quantize(model.generate(conditions, seed=0, guidance=w).images)
            if what == "class":
                row["fid"] = float(fid_from_features(real, classifier.features(images).double().numpy()))
            row[f"{what}_share"], row[f"{what}_worst"] = shares(classifier.predict(images), labels, real_acc)
        images, para_labels, _ = paraphrase_samples(model, n, w)
        row["paraphrase_share"], row["paraphrase_worst"] = shares(
            classifier.predict(quantize(images)), para_labels, real_acc
        )
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def pick(rows: list[dict], tolerance: float) -> dict:
    best_fid = min(r["fid"] for r in rows)
    good = [r for r in rows if r["fid"] <= (1 + tolerance) * best_fid]
    return max(good, key=lambda r: (r["validation_share"], -r["guidance"]))


def markdown(rows: list[dict], chosen: dict) -> str:
    lines = [
        "| guidance | class-guided FID | class acc. share (worst) | validation prompts share (worst) "
        "| paraphrases share (worst) | default |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = "**default**" if r is chosen else ""
        lines.append(
            f"| {r['guidance']:g} | {r['fid']:.3f} | {r['class_share']:.2f} ({r['class_worst']:.2f}) "
            f"| {r['validation_share']:.2f} ({r['validation_worst']:.2f}) "
            f"| {r['paraphrase_share']:.2f} ({r['paraphrase_worst']:.2f}) | {mark} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--scales", default="2,3,4,5,7")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--tolerance", type=float, default=0.25)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--write-defaults", action="store_true")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    rows = sweep(args.bundle, [float(s) for s in args.scales.split(",")], args.n)
    chosen = pick(rows, args.tolerance)
    text = markdown(rows, chosen)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "default": chosen}, indent=1))
    if args.markdown:
        args.markdown.write_text(text)
    if args.write_defaults:
        path = write_sampling(
            args.bundle,
            {"guidance": chosen["guidance"]},
            {
                "guidance_validation_share": round(chosen["validation_share"], 4),
                "guidance_benchmark": "benchmarks/guidance.py",
            },
        )
        print(f"wrote guidance {chosen['guidance']:g} to {path}")


if __name__ == "__main__":
    main()
