"""Start-up cost of the command line: `genvision --help`, `import genvision`, and a whole one-step sample.

    python benchmarks/startup.py [--repeats 5]

`genvision sample fashion-ddpm -n 1 --steps 1` is timed whole: interpreter, imports, loading the bundle and one
UNet call; it bounds the time from the start of `genvision sample` to its first sampling step from above. The
first sampling step itself is timed by running the same command in a child whose sampler row is wrapped to print
the wall clock when it is entered (the parent's clock started before the child was spawned).
Prints the median of each, with the CPU it ran on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def timed(argv: list[str], repeats: int) -> float:
    """Median wall seconds of `argv` over `repeats` runs (one warm-up run first, so files are in the page cache)."""
    env = {**os.environ, "GENVISION_OFFLINE": "1"}
    subprocess.run(argv, check=True, capture_output=True, env=env)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


FIRST_STEP = """
import dataclasses, sys, time
import genvision.diffusion.samplers.registry as table
from genvision.cli.main import main
row = table.SAMPLERS["dpmpp"]
def entered(*args, **kwargs):
    print("FIRST-STEP", time.time(), flush=True)
    return row.sample(*args, **kwargs)
table.SAMPLERS["dpmpp"] = dataclasses.replace(row, sample=entered)
main(sys.argv[1:])
"""


def to_first_step(argv: list[str], repeats: int) -> float:
    """Median wall seconds from spawning `genvision ARGV` (a dpmpp sampling command) to its sampler's first call."""
    env = {**os.environ, "GENVISION_OFFLINE": "1"}
    times = []
    for _ in range(repeats + 1):  # the first run warms the page cache
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", FIRST_STEP, *argv], check=True, capture_output=True, env=env
        )
        stamp = next(line for line in out.stdout.decode().splitlines() if line.startswith("FIRST-STEP"))
        times.append(float(stamp.split()[1]) - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp()) / "one.png"
    rows = [
        ("genvision --help", [str(BIN / "genvision"), "--help"], 0.5),
        ("python -c 'import genvision'", [sys.executable, "-c", "import genvision"], None),
        ("python -c 'import torch'", [sys.executable, "-c", "import torch"], None),
        (
            "genvision sample fashion-ddpm -n 1 --steps 1",
            [str(BIN / "genvision"), "sample", "fashion-ddpm", "-n", "1", "--steps", "1", "--device", "cpu"]
            + ["--quiet", "--out", str(out)],
            1.5,
        ),
    ]
    print(f"{cpu_name()}, {os.cpu_count()} cores; median of {args.repeats} runs")
    sample = ["sample", "fashion-ddpm", "-n", "1", "--sampler", "dpmpp", "--steps", "1", "--device", "cpu"]
    sample += ["--quiet", "--out", str(out)]
    rows.append(("genvision sample ... to its first sampling step", sample, 1.5))
    for label, argv, target in rows:
        measure = to_first_step if argv[0] == "sample" else timed
        seconds = measure(argv, args.repeats)
        verdict = (
            "" if target is None else f"  (target <= {target} s: {'met' if seconds <= target else 'NOT met'})"
        )
        print(f"{label:48s} {seconds:6.2f} s{verdict}")


if __name__ == "__main__":
    main()
