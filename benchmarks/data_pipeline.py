"""The streaming data pipeline at 256×256: loader throughput, the Trainer's data wait, and memory vs dataset size.

    python benchmarks/data_pipeline.py [--images 2000] [--big 20000] [--json out.json]

1. Throughput: images/s of the Trainer's loader (uint8 batches of 64 on the host, hflip on) reading a folder of
   256×256 JPEGs (decoded in the workers) and the prepared folder made from it by `genvision data prepare`
   (memory-mapped uint8), for 0, 1 and 2 workers. The first batch (worker start-up) is not timed.
   Targets: prepared ≥ 2,000 images/s per worker; JPEG with 2 workers ≥ 1.7× one worker.
2. Data wait: `genvision train configs/ldm_celebahq256.yaml` at reduced width (a random VQ-f4 autoencoder, UNet
   16 channels) from the prepared folder with 2 workers; the Trainer logs the seconds it was blocked on the loader
   (data_wait_frac, the mean of the logs after the first is reported); the JPEG folder has no label maps, so
   the UNet is unconditional. Target ≤ 5% of the step time.
3. Memory: the peak RssAnon (anonymous resident memory, summed over the training process and its loader
   workers, polled every 50 ms) of that run on --big vs --images prepared images (the big folder repeats the small
   one's rows). Page cache of the memory-mapped file is not anonymous memory; copies of the dataset would be.
   Target: at most 300 MB apart.
The machine's CPU is printed with the table; numbers from a machine shared with other jobs are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import torch
from PIL import Image

from genvision.data import load_dataset
from genvision.data.loader import LoaderSettings, StepBatchSampler, step_loader
from genvision.data.prepare import prepare_folder, sha256_file
from genvision.models.autoencoder import AutoencoderNet
from genvision.models.bundle import save_bundle
from genvision.train.data_order import DataOrder

REPO = Path(__file__).resolve().parents[1]
BATCH = 64


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    return platform.processor()


def write_jpegs(folder: Path, n: int, size: int = 256) -> None:
    """n smooth random colour images (upsampled noise, so JPEG decoding does real work), quality 90."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        small = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
        small.resize((size, size), Image.BICUBIC).save(folder / f"{i:06d}.jpg", quality=90)


def tile_prepared(src: Path, dst: Path, n: int) -> None:
    """A prepared folder of n rows repeating src's rows (same manifest otherwise, fresh sizes and checksums)."""
    dst.mkdir()
    manifest = json.loads((src / "manifest.json").read_text())
    count = manifest["count"]
    for name in manifest["files"]:
        if not name.endswith(".npy"):
            continue
        rows = np.load(src / name, mmap_mode="r")[:count]
        out = np.lib.format.open_memmap(dst / name, mode="w+", dtype=rows.dtype, shape=(n, *rows.shape[1:]))
        for start in range(0, n, count):
            stop = min(n, start + count)
            out[start:stop] = rows[: stop - start]
        out.flush()
        del out
    manifest["count"] = n
    manifest["files"] = {
        name: {"bytes": (dst / name).stat().st_size, "sha256": sha256_file(dst / name)}
        for name in manifest["files"]
        if (dst / name).is_file()
    }
    (dst / "manifest.json").write_text(json.dumps(manifest))


def throughput(ref: str, workers: int, batches: int) -> float:
    """Images/s of the loader's uint8 batches on the host (what the workers deliver; the float conversion
    happens on the training device)."""
    dataset = load_dataset(ref)
    order = DataOrder(len(dataset), BATCH, seed=0)
    sampler = StepBatchSampler(order.rank_indices, 0, batches + 1)
    loader = iter(step_loader(dataset, sampler, hflip=True, seed=0, settings=LoaderSettings(workers)))
    next(loader)  # start-up
    started = time.perf_counter()
    for _ in range(batches):
        next(loader)
    return batches * BATCH / (time.perf_counter() - started)


def rss_anon_tree(pid: int) -> int:
    """RssAnon bytes of a process and all its descendants."""
    total = 0
    try:
        procs = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def train_run(prepared: Path, ae: Path, out: Path, steps: int) -> tuple[float, int]:
    """(mean data_wait_frac after the first log, peak RssAnon of the process tree) of a reduced LDM run."""
    cmd = [
        sys.executable, "-m", "genvision.cli.main", "train", str(REPO / "configs" / "ldm_celebahq256.yaml"),
        f"data.name=prepared:{prepared}", "data.num_workers=2", f"model.autoencoder={ae}",
        "model.model_channels=16", "model.channel_mult=[1,2]", "model.attention_resolutions=[32]",
        "model.num_res_blocks=1", "model.head_dim=16", "model.text_conditional=false", "model.mask_conditional=false",
        "train.batch_size=8", f"train.steps={steps}", "train.log_every=5", "train.checkpoint_every=1000000",
        f"train.preview_every={10 * steps}", "train.preview_n=2", "recipe.preview_steps=2",
        "train.tensorboard=false", "train.device=cpu", "--out", str(out), "--quiet",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, rss_anon_tree(proc.pid))
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(f"training failed: {proc.stderr.read()[-2000:]}")
    logs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    waits = [r["data_wait_frac"] for r in logs if "data_wait_frac" in r][1:]
    return float(np.mean(waits)), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--big", type=int, default=20000)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--throughput-only", action="store_true", help="skip the two training runs (parts 2, 3)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    results: dict = {"cpu": cpu_name(), "batch": BATCH}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_jpegs(tmp / "jpeg", args.images)
        prepare_folder(f"folder:{tmp / 'jpeg'}", 256, tmp / "prepared")
        print(f"CPU: {results['cpu']}; batch {BATCH} at 256x256, hflip on")
        print("| source | workers | images/s |\n|---|---|---|")
        for name, ref in (
            ("JPEG folder", f"folder:{tmp / 'jpeg'}"),
            ("prepared", f"prepared:{tmp / 'prepared'}"),
        ):
            for workers in (0, 1, 2):
                rate = throughput(ref, workers, args.batches)
                results[f"{name} w{workers}"] = rate
                print(f"| {name} | {workers} | {rate:,.0f} |", flush=True)
        jpeg_scaling = results["JPEG folder w2"] / results["JPEG folder w1"]
        print(f"JPEG 2 workers / 1 worker: {jpeg_scaling:.2f}x (target >= 1.7x)")
        print(f"prepared per worker (1 worker): {results['prepared w1']:,.0f} images/s (target >= 2,000)")
        if not args.throughput_only:
            memory_and_wait(args, tmp, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def memory_and_wait(args, tmp: Path, results: dict) -> None:
    """Parts 2 and 3: the reduced LDM on --images and on --big prepared images."""
    torch.manual_seed(0)
    ae = AutoencoderNet(in_channels=3, image_size=256, variant="vq", downsample=4, channels=[4, 4, 4],
                     latent_channels=3, mid_attention=False, num_codes=16)  # fmt: skip
    save_bundle(tmp / "ae", "autoencoder", {"autoencoder": ae},
                {"data": {"dataset": "folder", "shape": [3, 256, 256]}, "latent_scale": 1.0})  # fmt: skip
    tile_prepared(tmp / "prepared", tmp / "big", args.big)
    small_wait, small_peak = train_run(tmp / "prepared", tmp / "ae", tmp / "run_small", args.steps)
    big_wait, big_peak = train_run(tmp / "big", tmp / "ae", tmp / "run_big", args.steps)
    results.update(
        data_wait_frac_small=small_wait,
        data_wait_frac_big=big_wait,
        peak_rss_anon_mb_small=small_peak / 2**20,
        peak_rss_anon_mb_big=big_peak / 2**20,
    )
    print(f"reduced LDM, 2 workers: data wait {small_wait:.1%} of step time ({args.images} images), "
          f"{big_wait:.1%} ({args.big} images) (target <= 5%)")  # fmt: skip
    print(f"peak RssAnon (trainer + workers): {small_peak / 2**20:,.0f} MB on {args.images} images, "
          f"{big_peak / 2**20:,.0f} MB on {args.big}: {abs(big_peak - small_peak) / 2**20:,.0f} MB apart "
          "(target <= 300 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
