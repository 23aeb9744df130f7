"""Measure a bundle and write its metrics into its config.json, with how they were measured (as `genvision zoo
--measure NAME [--write]`; the code is genvision.workflows.measure).

    python scripts/measure_bundle.py fashion-dcgan --n 1000 --write     # shipped name or bundle folder
    python scripts/measure_bundle.py fashion-vae --n 1000                # print only

What is measured and what --write records: the docstring of genvision/workflows/measure.py.
"""

from __future__ import annotations

import argparse
import json
import sys

from genvision.workflows.measure import measure_bundle, write_measurement


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument(
        "--write", action="store_true", help="write the metrics into the bundle's config.json"
    )
    args = parser.parse_args()
    command = "python scripts/measure_bundle.py " + " ".join(sys.argv[1:])
    metrics, how = measure_bundle(args.bundle, args.n, command=command)
    print(json.dumps({"metrics": metrics, "measured": how}, indent=1))
    if args.write:
        print(f"wrote {write_measurement(args.bundle, metrics, how)}")


if __name__ == "__main__":
    main()
