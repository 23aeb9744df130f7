"""Distilled few-step students against their teacher: classifier FID against steps, conditioning accuracy, and
the wall time of 64 samples.

    python benchmarks/distill.py                                    # fashion-ldm and fashion-ldm-4step
    python benchmarks/distill.py --students runs/d/round-08/bundle fashion-ldm-4step --json d.json --figure f.png
    python benchmarks/distill.py --teacher-json d.json --students fashion-ldm-2step --json d2.json  # reuse teacher
    python benchmarks/distill.py --students fashion-ldm-4step fashion-ldm-2step --seeds 0,2,3,4  # mean of 4 seeds

FID: n unconditional samples (image k from seed (S, k), as scripts/measure_bundle.py draws them) against test
images 0 … n−1 in the shipped classifier's feature space, the mean over the sample seeds S of `--seeds` (0 by
default; each seed's value is kept in the JSON), for the teacher with DDIM and DPM-Solver++ at a few
step counts and for each student at its own steps. Accuracy: how often the classifier assigns class-, caption-
(training and held-out templates) and paraphrase-conditioned samples (n_acc each) to the requested class — the
teacher at its guidance, the students at guidance 1 (theirs is distilled in). Speed: 64 samples of class k mod 10,
the whole `sample`/`generate` call with the model loaded, fp32, median of `--repeats` after one warm-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import torch

import genvision
from genvision.cli.zoo import parse_seeds
from genvision.conditioning.text import minilm_available
from genvision.data import load_images_from_ref
from genvision.generators.diffusion import Condition
from genvision.metrics.frechet import fid_from_features
from genvision.train.evaluation import conditional_accuracy
from genvision.viz.images import quantize

TEACHER_GRID = {"ddim": [4, 8, 16], "dpmpp": [4, 8, 10]}


def fid(model, classifier, real, n: int, seeds: list[int], **how) -> dict:
    """{"fid": mean over the sample seeds, "per_seed": {seed: FID}}."""
    per_seed = {}
    for seed in seeds:
        fake = quantize(model.sample(n, seed=seed, **how).images)
        per_seed[str(seed)] = float(fid_from_features(real, classifier.features(fake).double().numpy()))
    return {"fid": statistics.fmean(per_seed.values()), "per_seed": per_seed}


def accuracy(model, classifier, n: int) -> dict[str, float]:
    s = model.spec.sampling
    guidance = 1.0 if model.spec.extra.get("distillation") else s.guidance
    out = conditional_accuracy(
        model,
        classifier,
        model.spec.data.dataset,
        n=n,
        guidance=guidance,
        steps=s.steps,
        sampler=s.sampler,
        captions=SimpleNamespace(num_classes=model.num_classes) if model.takes_text else None,
        paraphrases=minilm_available(),
    )
    return {k: v for k, v in out.items() if k != "images_per_second"}


def seconds_for_64(model, repeats: int) -> float:
    conditions = [Condition(class_label=k % max(1, model.num_classes)) for k in range(64)]
    model.generate(conditions, seed=0)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.generate(conditions, seed=0)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def figure(rows: list[dict], teacher: dict, n: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for sampler, label in (("ddim", "teacher, DDIM"), ("dpmpp", "teacher, DPM-Solver++")):
        pts = sorted(
            (r["steps"], r["fid"]) for r in rows if r["model"] == "teacher" and r["sampler"] == sampler
        )
        ax.plot(*zip(*pts), marker="o", label=label)
    pts = sorted((r["steps"], r["fid"], r["model"]) for r in rows if r["model"] != "teacher")
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="s", linestyle="--", label="students (DDIM)")
        for steps, value, name in pts:
            ax.annotate(
                Path(name).name, (steps, value), textcoords="offset points", xytext=(6, 4), fontsize=8
            )
    ax.axhline(1.3 * teacher["fid"], color="grey", linestyle=":", label="1.3x the teacher's default")
    ax.axhline(2 * teacher["fid"], color="grey", linestyle="-.", label="2x the teacher's default")
    seeds = f", mean of {len(teacher['per_seed'])} seeds" if len(teacher.get("per_seed", {})) > 1 else ""
    ax.set(xlabel="sampling steps", ylabel=f"classifier FID\n({n:,} unconditional samples{seeds})")
    ax.set_xscale("log", base=2)
    ticks = sorted({r["steps"] for r in rows})
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_ylim(top=2.15 * teacher["fid"])
    ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def measure_teacher(teacher, classifier, real, args) -> tuple[list[dict], dict]:
    """The teacher's FID on the sampler/steps grid, and its default's FID, speed and accuracy."""
    rows = []
    for sampler, grid in args.grid.items():
        for steps in grid:
            value = fid(teacher, classifier, real, args.n, args.seeds, sampler=sampler, steps=steps)
            rows.append({"model": "teacher", "sampler": sampler, "steps": steps, **value})
            print(f"teacher {sampler}-{steps}: FID {value['fid']:.4f}", flush=True)
    s = teacher.spec.sampling
    default = {
        "name": args.teacher,
        "default": f"{s.sampler}-{s.steps}, guidance {s.guidance}",
        **fid(teacher, classifier, real, args.n, args.seeds),
        "seconds_64": seconds_for_64(teacher, args.repeats),
        **accuracy(teacher, classifier, args.n_acc),
    }
    return rows, {"teacher": default}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="fashion-ldm")
    parser.add_argument("--students", nargs="*", default=["fashion-ldm-4step"])
    parser.add_argument("--n", type=int, default=1000, help="samples per FID")
    parser.add_argument("--n-acc", type=int, default=500, help="samples per accuracy")
    parser.add_argument("--seeds", type=parse_seeds, default=(0,), help="e.g. 0,2,3,4")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--grid", type=json.loads, default=TEACHER_GRID, help="teacher samplers and steps (JSON)"
    )
    parser.add_argument(
        "--teacher-json", type=Path, help="take the teacher's rows and summary from an earlier --json output"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    teacher = genvision.load(args.teacher, device="cpu", precision="fp32")
    classifier = genvision.load("fashion-classifier", device="cpu")
    images, _ = load_images_from_ref(f"{teacher.spec.data.dataset}:test")[:2]
    real = classifier.features(images[: args.n]).double().numpy()
    if args.teacher_json:
        earlier = json.loads(args.teacher_json.read_text())
        rows = [r for r in earlier["rows"] if r["model"] == "teacher"]
        summary = {"teacher": earlier["summary"]["teacher"]}
    else:
        rows, summary = measure_teacher(teacher, classifier, real, args)
    print(json.dumps(summary["teacher"]), flush=True)
    for ref in args.students:
        student = genvision.load(ref, device="cpu", precision="fp32")
        steps = student.spec.sampling.steps
        row = {
            "model": ref,
            "sampler": "ddim",
            "steps": steps,
            **fid(student, classifier, real, args.n, args.seeds),
        }
        rows.append(row)
        summary[ref] = {
            **row,
            "fid_over_teacher": row["fid"] / summary["teacher"]["fid"],
            "seconds_64": seconds_for_64(student, args.repeats),
            **accuracy(student, classifier, args.n_acc),
        }
        print(json.dumps(summary[ref]), flush=True)
    result = {
        "rows": rows,
        "summary": summary,
        "threads": torch.get_num_threads(),
        "n": args.n,
        "seeds": args.seeds,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.figure:
        figure(rows, summary["teacher"], args.n, args.figure)


if __name__ == "__main__":
    main()
