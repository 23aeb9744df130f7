"""Cost of per-sample training draws (genvision.seeding.SampleRandom) against one generator per process.

    OMP_NUM_THREADS=1 python benchmarks/sample_draws.py [--batch 128] [--repeats 30] [--json out.json]

On the fashion-ldm recipe (configs/ldm_fashion.yaml: class + text conditions, 4x7x7 latents) at the given batch,
times (median of --repeats) every random draw of one training step — joint/class/text dropouts, caption choice,
timesteps, noise — with (a) the process's torch.Generator, as before, and (b) SampleRandom keyed by
(seed, step, phase) over the batch's global positions, and a whole training step (forward, backward, AdamW)
for scale. Also the draws alone at the 256x256 LDM's latent size (3x64x64, batch 64). Prints a table and the
overhead per step; writes JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from genvision.data import load_dataset
from genvision.diffusion.losses import sample_timesteps
from genvision.seeding import SampleRandom, draw_normal
from genvision.train.families import get_family, load_run_config
from genvision.train.phases import sample_draws

CONFIG = "configs/ldm_fashion.yaml"


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    device = torch.device("cpu")
    cfg = load_run_config(CONFIG, [f"train.batch_size={args.batch}", "train.device=cpu"])
    data = load_dataset(cfg.data.name, limit=args.batch)
    recipe = get_family("ldm").recipe(cfg, data.info, device)
    recipe.nets = {k: v.to(device) for k, v in recipe.build().items()}
    items = [data[i] for i in range(args.batch)]
    batch = {
        "image": torch.stack([it["image"] for it in items]),
        "label": torch.stack([it["label"] for it in items]),
        "index": torch.arange(args.batch),
    }
    with torch.no_grad():
        z0 = recipe.autoencoder.encode(batch["image"])
    gen = torch.Generator().manual_seed(1)

    def draws(source):
        def run():
            g = source()
            recipe.conditioning_inputs(batch, g)
            sample_timesteps(recipe.schedule, args.batch, g, device)
            draw_normal(z0.shape, g, device)

        return run

    rows = {
        "draws, one generator per process (before)": median_ms(draws(lambda: gen), args.repeats),
        "draws, SampleRandom per sample (now)": median_ms(
            draws(lambda: sample_draws(0, 5, "main", 0, args.batch, device)), args.repeats
        ),
    }
    big = (64, 3, 64, 64)
    rows["noise 64x3x64x64 (256px LDM), generator"] = median_ms(
        lambda: torch.randn(big, generator=gen), args.repeats
    )
    rows["noise 64x3x64x64 (256px LDM), SampleRandom"] = median_ms(
        lambda: SampleRandom(7, torch.arange(64)).randn(*big[1:]), args.repeats
    )
    opt = torch.optim.AdamW(recipe.nets["unet"].parameters(), lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss, _ = recipe.loss(
            "main", batch, recipe.nets, sample_draws(0, 5, "main", 0, args.batch, device), 5
        )
        loss.backward()
        opt.step()

    rows["whole training step (forward, backward, AdamW)"] = median_ms(step, max(5, args.repeats // 3))
    before = rows["draws, one generator per process (before)"]
    now = rows["draws, SampleRandom per sample (now)"]
    overhead = now - before
    share = overhead / rows["whole training step (forward, backward, AdamW)"]
    print(
        f"fashion-ldm recipe, batch {args.batch}, {torch.get_num_threads()} threads, {platform.processor()}"
    )
    for name, ms in rows.items():
        print(f"  {name:<52} {ms:8.2f} ms")
    print(f"  per-step overhead of per-sample draws: {overhead:.2f} ms = {100 * share:.2f}% of a step")
    if args.json:
        out = {"batch": args.batch, "threads": torch.get_num_threads(), "ms": rows, "overhead_ms": overhead}
        with open(args.json, "w") as fh:
            json.dump(out | {"overhead_share": share}, fh, indent=1)


if __name__ == "__main__":
    main()
