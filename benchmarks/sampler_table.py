"""Classifier FID of each row of the sampler table at a matched number of network calls, on a shipped bundle.

    python benchmarks/sampler_table.py fashion-ddpm --n 300 [--json out.json]

Runs every sampler at about 10 network evaluations (NFE): DDIM, DPM-Solver++(2M), Euler on Karras sigmas at 10
steps, Heun (Euler order 2: 2N − 1 calls) at 5 and 10 steps. n samples (image k from seed (0, k)) are scored
against n test images in the shipped classifier's feature space; prints a table with seconds per 64 images.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from data_pipeline import cpu_name  # benchmarks/ is the script's folder

import genvision
from genvision.generators.diffusion import Condition
from genvision.metrics.evaluation import evaluate_samples
from genvision.viz.images import npy_layout

# (sampler, steps, options, network calls)
RUNS = [
    ("ddim", 10, {}, 10),
    ("dpmpp", 10, {}, 10),
    ("euler", 10, {}, 10),
    ("euler", 5, {"order": 2}, 9),
    ("euler", 10, {"order": 2}, 19),
]


def measure(name: str, n: int, device: str) -> list[dict]:
    model = genvision.load(name, device=device, precision="fp32")
    rows = []
    for sampler, steps, options, nfe in RUNS:
        start = time.perf_counter()
        out = model.generate(
            [Condition()] * n, sampler=sampler, steps=steps, seed=0, batch_size=250, **options
        )
        seconds = time.perf_counter() - start
        report = evaluate_samples(
            npy_layout(out.images), reference=f"{model.spec.data.dataset}:test", metrics="fid", n_reference=n
        )
        label = sampler + (" (Heun)" if options.get("order") == 2 else "")
        rows.append({"sampler": label, "steps": steps, "nfe": nfe, "fid": report.metrics["fid"],
                     "seconds_per_64": seconds / n * 64})  # fmt: skip
        print(f"{label:14s} {steps:3d} steps {nfe:3d} NFE  FID {rows[-1]['fid']:.4f}  "
              f"{rows[-1]['seconds_per_64']:.2f} s / 64", flush=True)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", default="fashion-ddpm")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    rows = measure(args.bundle, args.n, args.device)
    machine = f"{cpu_name()}, {torch.get_num_threads()} threads"
    print(f"\n{args.bundle}, n={args.n}, classifier FID; {machine}\n")
    print("| sampler | steps | NFE | FID | s / 64 images |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['sampler']} | {r['steps']} | {r['nfe']} | {r['fid']:.4f} | {r['seconds_per_64']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"bundle": args.bundle, "n": args.n, "rows": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
