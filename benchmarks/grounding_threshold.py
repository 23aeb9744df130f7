"""How far is too far for nearest-caption grounding: the cosine of each paraphrase's nearest training caption, and
whether that caption (and the k nearest) name the paraphrase's class.

    python benchmarks/grounding_threshold.py --split validation --k 5 --json out/grounding_threshold.json

The threshold is chosen on the validation paraphrases only. Without per-prompt accuracies: the smallest cosine t
such that every validation prompt whose nearest caption is at least t close has a nearest caption of its own class.
With `--validation-alone A.json --validation-grounded G.json` (benchmarks/zoo_targets.py --paraphrases validation
--grounding 0 / 5): the t that maximises the mean validation accuracy when prompts at or above t are grounded and
the rest are left to the model alone (ties: the lowest t). `--report-alone/--report-grounded` (the same runs on
another split, e.g. rare) only report what that t gives there. Runs in ~10 s on a CPU (one MiniLM pass).
The threshold applies to prompts the garment lexicon does not place in one class (genvision.conditioning.
garment_lexicon): the table also counts the prompts it places, how many in their own class, and the unplaced
prompts below the threshold (the low-confidence rewrites the sampler reports).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

import genvision
from genvision.data.captions import PARAPHRASE_SPLITS, paraphrases


def neighbours(model, split: str, k: int) -> list[dict]:
    """Per prompt: its class, the nearest captions' cosines and classes (caption j has class j mod C)."""
    index = model.caption_index()
    classes = len(model.class_names)
    rows = []
    for label, prompts in enumerate(paraphrases("fashion-mnist", split)):
        pooled = F.normalize(index.encoder.encode(list(prompts)).pooled.float(), dim=-1)
        sims, idx = (pooled @ index.unit.T).topk(k, dim=-1)
        for p, s, i in zip(prompts, sims.tolist(), idx.tolist(), strict=True):
            near = [j % classes for j in i]
            placement = index.lexicon.place(p) if index.lexicon is not None else None
            rows.append(
                {
                    "prompt": p,
                    "class": label,
                    "best_cosine": s[0],
                    "nearest_caption": index.captions[i[0]],
                    "nearest_correct": near[0] == label,
                    "k_share_correct": sum(c == label for c in near) / k,
                    "lexicon_classes": None if placement is None else list(placement.classes),
                    "placed_in_one_class": placement is not None and placement.confident,
                }
            )
    return rows


def threshold(rows: list[dict]) -> float:
    """The smallest t above which no prompt's nearest caption is of another class (0 when none is)."""
    wrong = [r["best_cosine"] for r in rows if not r["nearest_correct"]]
    return max(wrong) + 1e-3 if wrong else 0.0


def per_prompt(path: Path | None) -> dict[str, float] | None:
    if path is None:
        return None
    bundles = json.loads(path.read_text())["bundles"]
    return next(iter(bundles.values()))["paraphrase_accuracy_per_prompt"]


def mixed(rows: list[dict], t: float, alone: dict[str, float], grounded: dict[str, float]) -> list[float]:
    """Per-prompt accuracy when prompts with nearest cosine >= t are grounded and the others are not."""
    return [grounded[r["prompt"]] if r["best_cosine"] >= t else alone[r["prompt"]] for r in rows]


def best_threshold(rows: list[dict], alone: dict[str, float], grounded: dict[str, float]) -> float:
    candidates = sorted({0.0, *(r["best_cosine"] for r in rows), 1.01})
    scores = [(sum(mixed(rows, t, alone, grounded)) / len(rows), -t) for t in candidates]
    return -max(scores)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="fashion-ldm")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", type=Path)
    for name in ("validation-alone", "validation-grounded", "report-alone", "report-grounded"):
        parser.add_argument(f"--{name}", type=Path)
    parser.add_argument("--report-split", default="rare")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    model = genvision.load(args.bundle, device="cpu")
    result: dict = {"bundle": args.bundle, "k": args.k, "splits": {}}
    for split in PARAPHRASE_SPLITS:
        result["splits"][split] = neighbours(model, split, args.k)
    alone, grounded = per_prompt(args.validation_alone), per_prompt(args.validation_grounded)
    rows = result["splits"]["validation"]
    t = best_threshold(rows, alone, grounded) if alone and grounded else threshold(rows)
    if alone and grounded:
        for label, cut in (("alone", 1.01), ("grounded", 0.0), ("threshold", t)):
            acc = mixed(rows, cut, alone, grounded)
            print(f"validation {label}: mean {sum(acc) / len(acc):.3f}, worst prompt {min(acc):.2f}")
    ra, rg = per_prompt(args.report_alone), per_prompt(args.report_grounded)
    if ra and rg:
        rows = result["splits"][args.report_split]
        for label, cut in (("alone", 1.01), ("grounded", 0.0), ("threshold", t)):
            acc = mixed(rows, cut, ra, rg)
            print(f"{args.report_split} {label}: mean {sum(acc) / len(acc):.3f}, worst prompt {min(acc):.2f}")
    result["threshold_from_validation"] = t
    print(f"threshold (chosen on validation): cosine >= {t:.3f}")
    print(
        "| split | prompts | nearest caption of the right class | below threshold | wrong and above "
        "| placed in one class by the lexicon (its own class) | not placed and below threshold |"
    )
    print("|---|---|---|---|---|---|---|")
    for split, rows in result["splits"].items():
        right = sum(r["nearest_correct"] for r in rows)
        below = sum(r["best_cosine"] < t for r in rows)
        missed = sum(not r["nearest_correct"] and r["best_cosine"] >= t for r in rows)
        placed = [r for r in rows if r["placed_in_one_class"]]
        own = sum(r["lexicon_classes"] == [r["class"]] for r in placed)
        low = sum(r["best_cosine"] < t and not r["placed_in_one_class"] for r in rows)
        print(f"| {split} | {len(rows)} | {right} | {below} | {missed} | {len(placed)} ({own}) | {low} |")
    for r in sorted(result["splits"]["rare"], key=lambda r: r["best_cosine"]):
        mark = "" if r["nearest_correct"] else "  WRONG CLASS"
        print(f"rare {r['best_cosine']:.3f} {r['prompt']!r} -> {r['nearest_caption']!r}{mark}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
