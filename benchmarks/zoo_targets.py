"""Measure the shipped bundles against the zoo targets, in the shipped classifier's feature space.

    python benchmarks/zoo_targets.py --n 1000 --json out/zoo_targets.json --markdown out/zoo_targets.md

For each generator bundle: classifier FID of n samples (default sampler, seed 0, image k from (0, k)) against
n test images, as a multiple of the real-vs-real floor (n train images against the same n test images). For
class-conditional GANs and diffusion models: per-class accuracy of the classifier on class-k samples, against
its accuracy on real test images of class k. For text-conditional models: accuracy on the held-out paraphrase
prompts (`genvision.data.captions.paraphrases`), never trained on, per class, against the real accuracy.
`--paraphrases validation` uses the validation list instead (for choosing recipes; the held-out list measures)
and only the text-conditional bundles; either way the JSON has each prompt's accuracy and each class's
confusions. `--grounding K` overrides the bundle's nearest-caption grounding of the prompts (0: the model
alone, without grounding); `--no-lexicon` grounds by the sentence encoder alone, without the garment lexicon
(the grounding before issue 34's lexical layer).
`--fid-split validation` scores only the FID, for choosing between runs without touching the test set: n samples
with seed 1 against training images 50,000 … 50,000+n−1, over a floor of training images 0 … n−1 against the same.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import genvision
from genvision.conditioning.unet_inputs import Condition
from genvision.data import load_dataset, load_images_from_ref
from genvision.data.captions import PARAPHRASE_SPLITS, paraphrases
from genvision.generators import DiffusionModel
from genvision.metrics.frechet import fid_from_features
from genvision.viz.images import quantize

UNCONDITIONAL_FLOOR = 2.5  # targets: FID at most this multiple of real-vs-real (ddpm, ldm, stylegan)
GAN_FLOOR = 5.0  # dcgan, cgan
CLASS_SHARE = 0.9  # cgan: every class at least 90% of the real accuracy
PARAPHRASE_MEAN, PARAPHRASE_MIN = 0.9, 0.8  # ldm: mean and per-class share of the real accuracy


VALIDATION_START = 50_000  # validation FID: training images from here on (the test floor uses 0 … n−1)


def images_of(split: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    data = load_dataset("fashion-mnist", split, limit=n)
    return (
        torch.stack([data[i]["image"] for i in range(len(data))]),
        torch.tensor([int(data[i]["label"]) for i in range(len(data))]),
    )


def per_class_accuracy(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int) -> list[float]:
    return [float((predicted[labels == c] == c).float().mean()) for c in range(num_classes)]


def classifier_fid(classifier, real: np.ndarray, images: torch.Tensor) -> float:
    """FID between real classifier features [N, D] and those of `images`."""
    return float(fid_from_features(real, classifier.features(images).double().numpy()))


def unconditional(model, n: int, seed: int = 0) -> torch.Tensor:
    """n samples with the bundle's defaults (class-conditional GANs: class k mod C for image k)."""
    return model.sample(n, seed=seed).images


def validation_fid(names: list[str], n: int) -> dict:
    """FID of n samples (seed 1) against training images 50,000 … 50,000+n−1, and its real-vs-real floor."""
    classifier = genvision.load("fashion-classifier", device="cpu")
    held = load_images_from_ref(f"fashion-mnist:train:{VALIDATION_START}-{VALIDATION_START + n}")[0]
    real = classifier.features(held).double().numpy()
    floor = classifier_fid(classifier, real, images_of("train", n)[0])
    out: dict = {"n": n, "fid_split": "validation", "real_vs_real_fid": floor, "bundles": {}}
    for name in names:
        images = quantize(unconditional(genvision.load(name, device="cpu"), n, seed=1))
        fid = classifier_fid(classifier, real, images)
        out["bundles"][name] = {"fid": fid, "fid_over_floor": fid / floor}
        print(json.dumps({name: out["bundles"][name]}), flush=True)
    return out


def class_samples(model, n: int, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.arange(n) % num_classes
    if isinstance(model, DiffusionModel):
        images = model.generate([Condition(class_label=int(k)) for k in labels], seed=0).images
    else:
        images = model.sample(n, seed=0).images  # class k mod C for image k
    return images, labels


def paraphrase_samples(
    model: DiffusionModel,
    n: int,
    guidance: float | None = None,
    split: str = "held_out",
    grounding: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """n samples cycling through every paraphrase of `split` (prompt j of class c for image k); guidance and
    grounding None: the bundle's defaults."""
    table = paraphrases("fashion-mnist", split)
    prompts = [(p, c) for c, ps in enumerate(table) for p in ps]
    chosen = [prompts[k % len(prompts)] for k in range(n)]
    conditions = [Condition(prompt=p) for p, _ in chosen]
    images = model.generate(conditions, seed=0, guidance=guidance, grounding=grounding).images
    return images, torch.tensor([c for _, c in chosen]), [p for p, _ in chosen]


def paraphrase_row(
    model: DiffusionModel,
    classifier,
    n: int,
    real_acc: list[float],
    split: str,
    grounding: int | None = None,
) -> dict:
    """Paraphrase accuracy per class (and its share of the real accuracy), per prompt, and what each class's
    samples were classified as."""
    images, labels, prompts = paraphrase_samples(model, n, split=split, grounding=grounding)
    predicted = classifier.predict(quantize(images))
    acc = per_class_accuracy(predicted, labels, 10)
    share_mean = float(np.mean(acc)) / float(np.mean(real_acc))
    share_min = min(a / r for a, r in zip(acc, real_acc, strict=True))
    hits: dict[str, list[bool]] = {}
    for prompt, label, guess in zip(prompts, labels.tolist(), predicted.tolist(), strict=True):
        hits.setdefault(prompt, []).append(guess == label)
    return {
        "paraphrase_split": split,
        "grounding": model.grounding_k(grounding),
        "paraphrase_accuracy_per_class": acc,
        "paraphrase_share_mean": share_mean,
        "paraphrase_share_min": share_min,
        "paraphrase_target_met": share_mean >= PARAPHRASE_MEAN and share_min >= PARAPHRASE_MIN,
        "paraphrase_accuracy_per_prompt": {p: float(np.mean(h)) for p, h in hits.items()},
        "paraphrase_prompts_below_half": sum(float(np.mean(h)) < 0.5 for h in hits.values()),
        "paraphrase_confusion": [
            torch.bincount(predicted[labels == c], minlength=10).tolist() for c in range(10)
        ],
    }


def measure(
    names: list[str], n: int, split: str = "held_out", grounding: int | None = None, lexicon: bool = True
) -> dict:
    classifier = genvision.load("fashion-classifier", device="cpu")
    test, test_labels = images_of("test", n)
    train, _ = images_of("train", n)
    real = classifier.features(test).double().numpy()
    floor = classifier_fid(classifier, real, train)
    all_test, all_labels = images_of("test", 10000)
    real_acc = per_class_accuracy(classifier.predict(all_test), all_labels, 10)
    out: dict = {"n": n, "real_vs_real_fid": floor, "real_accuracy_per_class": real_acc, "bundles": {}}
    out["paraphrases"] = split
    for name in names:
        model = genvision.load(name, device="cpu")
        start = time.perf_counter()
        row: dict = {"kind": model.kind}
        takes_text = isinstance(model, DiffusionModel) and model.takes_text
        if takes_text and not lexicon:
            index = model.caption_index()
            index.labels = index.lexicon = None
            row["lexicon"] = False
        if split != "held_out" and not takes_text:  # validation measures the text models' prompts only
            continue
        if split == "held_out":
            images = quantize(unconditional(model, n))
            row["fid"] = classifier_fid(classifier, real, images)
            row["fid_over_floor"] = row["fid"] / floor
            target = GAN_FLOOR if model.kind in ("dcgan", "cgan") else UNCONDITIONAL_FLOOR
            row["fid_target_met"] = row["fid_over_floor"] <= target
            if model.num_classes:
                images, labels = class_samples(model, n, model.num_classes)
                acc = per_class_accuracy(classifier.predict(quantize(images)), labels, model.num_classes)
                row["class_accuracy_per_class"] = acc
                row["class_share_min"] = min(a / r for a, r in zip(acc, real_acc, strict=True))
        if takes_text:
            row.update(paraphrase_row(model, classifier, n, real_acc, split, grounding))
        row["seconds"] = time.perf_counter() - start
        out["bundles"][name] = row
        print(json.dumps({name: row}), flush=True)
    return out


def markdown(result: dict) -> str:
    split = result.get("fid_split", "test")
    lines = [
        f"Real-vs-real classifier FID ({split}) at n={result['n']}: {result['real_vs_real_fid']:.3f}",
        "",
        "| bundle | classifier FID | × real floor | worst class (share of real accuracy) "
        f"| paraphrases ({result.get('paraphrases', 'held_out')}): mean / worst class share |",
        "|---|---|---|---|---|",
    ]
    for name, row in result["bundles"].items():
        cls = f"{row['class_share_min']:.2f}" if "class_share_min" in row else "—"
        para = (
            f"{row['paraphrase_share_mean']:.2f} / {row['paraphrase_share_min']:.2f}"
            if "paraphrase_share_mean" in row
            else "—"
        )
        fid = f"{row['fid']:.3f} | {row['fid_over_floor']:.1f}" if "fid" in row else "— | —"
        lines.append(f"| {name} | {fid} | {cls} | {para} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "bundles",
        nargs="*",
        default=["fashion-ddpm", "fashion-ldm", "fashion-stylegan", "fashion-dcgan", "fashion-cgan"],
    )
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--paraphrases", choices=list(PARAPHRASE_SPLITS), default="held_out")
    parser.add_argument("--no-lexicon", action="store_true", help="ground without the garment lexicon")
    parser.add_argument(
        "--grounding", type=int, help="nearest-caption grounding k (0: off; default: bundle's)"
    )
    parser.add_argument("--fid-split", choices=["test", "validation"], default="test")
    args = parser.parse_args()
    if args.fid_split == "validation":
        result = validation_fid(args.bundles, args.n)
    else:
        result = measure(args.bundles, args.n, args.paraphrases, args.grounding, not args.no_lexicon)
    text = markdown(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
