"""Classifier FID against sampling steps for each sampler, per diffusion bundle; picks the default sampler.

    python benchmarks/sampler_steps.py fashion-ddpm fashion-ldm --n 1000 [--write-defaults] [--json out.json]

For each bundle and sampler (DDIM, DPM-Solver++ 2M, and ancestral DDPM at a few step counts), n samples (image k
from seed (0, k); the LDM guided towards class k mod 10 at the bundle's guidance) are scored against n test images
in the shipped classifier's feature space. The default is DPM-Solver++ at the fewest steps whose FID is within
`--tolerance` (relative) of DDIM-50's; `--write-defaults` stores it in the bundle's `sampling` block.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import genvision
from genvision.generators.diffusion import Condition
from genvision.metrics.evaluation import evaluate_samples
from genvision.models.bundle import CONFIG_NAME
from genvision.viz.images import npy_layout

GRID = {"ddim": [10, 20, 50], "dpmpp": [5, 8, 10, 12, 15, 20], "ddpm": [50, 100]}


def measure(name: str, n: int, grid: dict[str, list[int]], device: str) -> list[dict]:
    model = genvision.load(name, device=device, precision="fp32")
    conditions = [
        Condition(class_label=k % model.num_classes)
        if model.num_classes and model.kind == "ldm"
        else Condition()
        for k in range(n)
    ]
    rows = []
    for sampler, steps_list in grid.items():
        for steps in steps_list:
            start = time.perf_counter()
            out = model.generate(conditions, sampler=sampler, steps=steps, seed=0, batch_size=250)
            seconds = time.perf_counter() - start
            report = evaluate_samples(
                npy_layout(out.images),
                reference=f"{model.spec.data.dataset}:test",
                metrics="fid",
                n_reference=n,
                device=device,
            )
            rows.append(
                {
                    "bundle": name,
                    "sampler": sampler,
                    "steps": steps,
                    "fid": report.metrics["fid"],
                    "seconds_per_64": seconds / n * 64,
                    "guidance": out.info.get("guidance", 1.0),
                }
            )
            print(
                f"{name:14s} {sampler:6s} {steps:4d}  FID {rows[-1]['fid']:.4f}  "
                f"{rows[-1]['seconds_per_64']:.2f} s / 64 images",
                flush=True,
            )
    return rows


def pick_default(rows: list[dict], tolerance: float) -> dict:
    """DPM-Solver++ at the fewest steps whose FID ≤ (1 + tolerance) · FID(DDIM-50); else DDIM-50."""
    reference = next(r for r in rows if r["sampler"] == "ddim" and r["steps"] == 50)
    good = sorted(
        (r for r in rows if r["sampler"] == "dpmpp" and r["fid"] <= (1 + tolerance) * reference["fid"]),
        key=lambda r: r["steps"],
    )
    return good[0] if good else reference


def write_sampling(name: str, fields: dict, measured: dict) -> Path:
    """Store `fields` (e.g. sampler and steps, or guidance) in the bundle's `sampling` block, with what the
    choice was made on (`chosen_by`: the benchmark's name and its scores). The bundle's published metrics are
    scripts/measure_bundle.py's alone; this records why a default was picked."""
    folder = genvision.load(name).bundle.path
    path = folder / CONFIG_NAME
    config = json.loads(path.read_text())
    sampling = config.get("sampling", {})
    config["sampling"] = {
        **sampling,
        **fields,
        "chosen_by": {**sampling.get("chosen_by", {}), **measured},
    }
    config["sampling"].pop("measured", None)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def write_default(name: str, choice: dict) -> Path:
    return write_sampling(
        name,
        {"sampler": choice["sampler"], "steps": choice["steps"]},
        {"fid": round(choice["fid"], 4), "benchmark": "benchmarks/sampler_steps.py"},
    )


def markdown(rows: list[dict], defaults: dict[str, dict]) -> str:
    lines = [
        "| bundle | sampler | steps | classifier FID | s / 64 images (fp32) | default |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        chosen = defaults[r["bundle"]]
        mark = "**default**" if (r["sampler"], r["steps"]) == (chosen["sampler"], chosen["steps"]) else ""
        lines.append(
            f"| {r['bundle']} | {r['sampler']} | {r['steps']} | {r['fid']:.4f} | {r['seconds_per_64']:.2f} "
            f"| {mark} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="+")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--write-defaults", action="store_true")
    parser.add_argument(
        "--grid", type=json.loads, default=None, help='e.g. \'{"ddim": [50], "dpmpp": [10]}\''
    )
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    grid = args.grid or GRID
    rows = [row for name in args.bundles for row in measure(name, args.n, grid, args.device)]
    defaults = {
        name: pick_default([r for r in rows if r["bundle"] == name], args.tolerance) for name in args.bundles
    }
    print(markdown(rows, defaults))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "defaults": defaults}, indent=2))
    if args.write_defaults:
        for name, choice in defaults.items():
            print(f"wrote {choice['sampler']}-{choice['steps']} to {write_default(name, choice)}")
    return defaults


if __name__ == "__main__":
    main()
