"""Start-up cost of the command line: `genvision --help`, `import genvision`, and a whole one-step sample.

    python benchmarks/startup.py [--repeats 5]

`genvision sample fashion-ddpm -n 1 --steps 1` is timed whole: interpreter, imports, loading the bundle and one
UNet call; it bounds the time from the start of `genvision sample` to its first sampling step from above.
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
    for label, argv, target in rows:
        seconds = timed(argv, args.repeats)
        verdict = (
            "" if target is None else f"  (target <= {target} s: {'met' if seconds <= target else 'NOT met'})"
        )
        print(f"{label:48s} {seconds:6.2f} s{verdict}")


if __name__ == "__main__":
    main()
