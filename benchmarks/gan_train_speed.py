"""Training speed of a GAN recipe on this machine: images/s of the real Trainer under each precision and layout.

    OMP_NUM_THREADS=1 python benchmarks/gan_train_speed.py configs/stylegan_fashion.yaml recipe.gan_steps=null

Every row runs `genvision train` in-process on the config's data (Fashion-MNIST by default) for --steps steps
with the given overrides, logging every --every steps; the rate is the mean images/s of the logs after the
first (the first includes start-up). The rows cross precision (fp32, bf16 autocast) with the memory layout
(contiguous NCHW, channels_last NHWC). bf16 pays off only where the CPU has native bf16 matrix units (AMX, or
AVX512-BF16); the CPU's flags are printed with the table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import torch

from genvision.runtime import cpu_has_amx, cpu_has_native_bf16
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer


def images_per_second(config: Path, overrides: list[str], steps: int, every: int) -> float:
    """Mean images/s of the Trainer's logs after the first, for `steps` steps of `config` + `overrides`."""
    fixed = [
        f"train.steps={steps}",
        f"train.log_every={every}",
        "train.checkpoint_every=1000000",
        f"train.preview_every={10 * steps}",
        "train.tensorboard=false",
    ]
    cfg = load_run_config(config, overrides + fixed)
    with tempfile.TemporaryDirectory() as run_dir:
        Trainer(cfg, run_dir, quiet=True).run()  # the export after the last step is not timed
        logs = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    rates = [r["images_per_s"] for r in logs if "images_per_s" in r][1:]
    return sum(rates) / len(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("overrides", nargs="*", help="key.sub=value overrides, as for genvision train")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--every", type=int, default=20)
    args = parser.parse_args()
    print(f"threads {torch.get_num_threads()}; CPU: AMX {cpu_has_amx()}, native bf16 {cpu_has_native_bf16()}")
    print("| precision | layout | images/s |\n|---|---|---|")
    for precision, channels_last in itertools.product(["fp32", "bf16"], [False, True]):
        rows = [f"train.precision={precision}", f"train.channels_last={str(channels_last).lower()}"]
        rate = images_per_second(args.config, args.overrides + rows, args.steps, args.every)
        layout = "channels_last" if channels_last else "contiguous"
        print(f"| {precision} | {layout} | {rate:.0f} |", flush=True)


if __name__ == "__main__":
    main()
