"""Ablations at a fixed CPU budget: train one config under several override sets, then score each bundle.

    python benchmarks/ablate.py benchmarks/ablations/cgan.yaml --markdown out/ablate_cgan.md

The YAML file names the config, the training budget in seconds (`train.max_seconds`), overrides common to
every row, and the rows (name → overrides). Each row trains in `runs/ablate/<file stem>/<row>` with the
same seed and one thread (OMP_NUM_THREADS, inherited), then is scored as the zoo targets are
(benchmarks/zoo_targets.py: classifier FID of n samples against n test images, as a multiple of the
real-vs-real floor; per-class accuracy share for class-conditional models). Rows whose bundle exists are
scored without retraining, so an interrupted ablation continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from zoo_targets import measure  # benchmarks/ is the script's folder, so this is the sibling script

REPO = Path(__file__).resolve().parent.parent


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def train_row(config: str, overrides: list[str], seconds: float, out: Path) -> dict:
    """Train one row (unless its bundle exists); returns what the run's training record says."""
    if not (out / "bundle" / "config.json").is_file():
        command = [
            sys.executable,
            "-m",
            "genvision.cli.main",
            "train",
            config,
            *overrides,
            f"train.max_seconds={seconds}",
            "--out",
            str(out),
            "--quiet",
            "--resume-if-present",
        ]
        subprocess.run(command, check=True, cwd=REPO)
    training = json.loads((out / "bundle" / "config.json").read_text()).get("training", {})
    return {k: training.get(k) for k in ("steps", "images_seen", "seconds_this_run")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--only", nargs="*", help="row names to run (default: all)")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    spec = yaml.safe_load(args.spec.read_text())
    root = REPO / "runs" / "ablate" / args.spec.stem
    results = []
    for name, overrides in spec["rows"].items():
        if args.only and name not in args.only:
            continue
        out = root / slug(name)
        record = train_row(
            spec["config"], [*spec.get("common", []), *(overrides or [])], spec["seconds"], out
        )
        scored = measure([str(out / "bundle")], args.n)
        row = scored["bundles"][str(out / "bundle")]
        results.append(
            {"row": name, "overrides": overrides or [], **record, **row, "floor": scored["real_vs_real_fid"]}
        )
        print(json.dumps(results[-1]), flush=True)
    lines = [
        f"`python benchmarks/ablate.py {args.spec.as_posix()}` — {spec['config']}, {spec['seconds']} s of training "
        f"per row (one thread), classifier FID of {args.n} samples (real-vs-real floor "
        f"{results[0]['floor']:.3f} at this n)."
        if results
        else "",
        "",
        "| row | overrides | steps | classifier FID | × floor | worst class share |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        share = f"{r['class_share_min']:.2f}" if "class_share_min" in r else "—"
        lines.append(
            f"| {r['row']} | `{' '.join(r['overrides']) or '(none)'}` | {r['steps']} | {r['fid']:.3f} "
            f"| {r['fid_over_floor']:.1f} | {share} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
