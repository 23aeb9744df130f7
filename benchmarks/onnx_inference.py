"""onnxruntime vs torch eager fp32 on this CPU, in the same run: per network call at batch 1, and whole calls of
64 samples with each bundle's default sampling; plus the parity of the two backends.

    python benchmarks/onnx_inference.py [--json benchmarks/onnx_inference.json] [--threads N]

Targets (issue 33): per UNet call at batch 1 at least 3x faster, whole 64-sample call at least 1.5x faster, per
call max |onnx − torch| ≤ 1e-4, a 10-step DPM-Solver++ sample ≥ 40 dB PSNR between backends.

Per call: the network with the inputs the default sampling feeds it (class / text inputs at their null values),
timed one call at a time, median of `--calls` after warm-up. Whole call: `model.sample(64, seed=0)` with the
bundle's defaults (and, for class models, one class with its guidance: a batch of 2 × 64 per UNet call), median
of `--repeats` (at least 101 for the GANs and the VAE, whose calls take milliseconds) after one warm-up. The two backends' calls alternate, so
load from other processes hits both alike. Both backends use the same number of threads (torch.get_num_threads()).
The export itself (once per bundle, cached) is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

import genvision
from genvision.conditioning.unet_inputs import Condition, unet_inputs
from genvision.metrics.image_quality import psnr

DIFFUSION = ("fashion-ldm", "fashion-ddpm")
OTHERS = ("fashion-stylegan", "fashion-cgan", "fashion-dcgan", "fashion-vae")
CONDITIONS = {
    "fashion-ldm": {"label": "bag"},
    "fashion-stylegan": {"label": "bag"},
    "fashion-cgan": {"label": "bag"},
}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def paired_medians(fns, repeats: int, warmup: int = 1) -> list[tuple[float, float]]:
    """Median wall-clock and process CPU seconds of each function in `fns`, called in turn (torch, onnx, torch,
    ...) so that load from other processes falls on both alike. CPU time is what the call costs when cores are
    shared: it does not count time spent waiting for another process."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - start)
            cpu[k].append(time.process_time() - start_cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]


def unet_call(model, batch: int):
    """A function running the model's UNet once at `batch` with the default sampling's (null) conditions,
    and the inputs it uses."""
    hw = tuple(model.latent_shape[1:])
    cond = unet_inputs(
        model.conditioning,
        [Condition()] * batch,
        unet=model.unet,
        text=None,
        latent_hw=hw,
        device=model.device,
    ).kwargs()
    x = torch.randn(batch, *model.latent_shape, generator=torch.Generator().manual_seed(0))
    t = torch.full((batch,), 500, dtype=torch.int64)

    def call() -> torch.Tensor:
        with torch.no_grad():
            return model.unet(x, t, **cond)

    return call


def decoder_call(model, batch: int):
    z = torch.randn(batch, *model.latent_shape, generator=torch.Generator().manual_seed(0))
    return lambda: model.decode(z)


def row(name: str, what: str, torch_s: tuple, onnx_s: tuple, extra: dict) -> dict:
    return {
        "bundle": name,
        "what": what,
        "torch_ms": 1e3 * torch_s[0],
        "onnx_ms": 1e3 * onnx_s[0],
        "speedup": torch_s[0] / onnx_s[0],
        "torch_cpu_ms": 1e3 * torch_s[1],
        "onnx_cpu_ms": 1e3 * onnx_s[1],
        "cpu_time_ratio": torch_s[1] / max(onnx_s[1], 1e-9),
        **extra,
    }


def per_call_rows(name: str, pair, calls: int) -> list[dict]:
    rows = []
    torch_model, onnx_model = pair
    parts = [("unet call, batch 1", unet_call)]
    if torch_model.autoencoder is not None:
        parts.append(("decoder call, batch 1", decoder_call))
    for what, make in parts:
        f_torch, f_onnx = make(torch_model, 1), make(onnx_model, 1)
        diff = max(float((make(onnx_model, b)() - make(torch_model, b)()).abs().max()) for b in (1, 5))
        rows.append(row(name, what, *paired_medians([f_torch, f_onnx], calls, 5), {"max_abs_diff": diff}))
    return rows


def whole_call_rows(name: str, pair, n: int, repeats: int) -> list[dict]:
    rows = []
    torch_model, onnx_model = pair
    for label, condition in [
        ("default", {}),
        *([("class 'bag'", CONDITIONS[name])] if name in CONDITIONS else []),
    ]:
        results = {}

        def run(model, key, condition=condition, results=results):
            results[key] = model.sample(n, seed=0, **condition)

        t_torch, t_onnx = paired_medians(
            [lambda: run(torch_model, "torch"), lambda: run(onnx_model, "onnx")], repeats
        )
        a, b = results["torch"].images, results["onnx"].images
        how = ", ".join(f"{k} {v}" for k, v in results["onnx"].info.items() if k != "precision")
        rows.append(
            row(
                name,
                f"sample({n}) {label}: {how}",
                t_torch,
                t_onnx,
                {"max_abs_diff": float((a - b).abs().max()), "psnr_min_db": float(psnr(a, b).min())},
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch and onnxruntime threads")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--bundles", nargs="*", default=[*DIFFUSION, *OTHERS])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for name in args.bundles:
        pair = (genvision.load(name, device="cpu", precision="fp32"), genvision.load(name, backend="onnx"))
        if name in DIFFUSION:
            rows += per_call_rows(name, pair, args.calls)
        repeats = args.repeats if name in DIFFUSION else max(args.repeats, 101)  # GAN calls take ms
        rows += whole_call_rows(name, pair, args.n, repeats)
    policy = os.environ.get("OMP_WAIT_POLICY", "unset")
    machine = f"{cpu_name()}, {torch.get_num_threads()} threads, OMP_WAIT_POLICY {policy}, torch {torch.__version__}"
    try:
        import onnxruntime  # noqa: PLC0415

        machine += f", onnxruntime {onnxruntime.__version__}"
    except ImportError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"onnxruntime (CPU, fp32) vs torch eager fp32 — {machine}; load average {load:.1f} at the end")
    head = ["bundle", "what", "torch ms", "onnx ms", "speedup", "CPU-time ratio", "max|diff|", "PSNR dB"]
    print(f"{head[0]:17s} {head[1]:58s} " + " ".join(f"{h:>9s}" for h in head[2:]))
    for r in rows:
        p = f"{r['psnr_min_db']:9.1f}" if "psnr_min_db" in r else f"{'':9s}"
        print(
            f"{r['bundle']:17s} {r['what'][:58]:58s} {r['torch_ms']:9.2f} {r['onnx_ms']:9.2f} "
            f"{r['speedup']:8.2f}x {r['cpu_time_ratio']:8.2f}x {r['max_abs_diff']:9.2e} {p}"
        )
    calls = [r["speedup"] for r in rows if r["what"].startswith("unet call")]
    whole = [r["speedup"] for r in rows if r["what"].startswith("sample")]
    print(
        f"targets (wall clock): unet call at batch 1 >= 3x: min {min(calls, default=float('nan')):.2f}x; "
        f"whole 64-sample call >= 1.5x: min {min(whole, default=float('nan')):.2f}x"
    )
    print("CPU-time ratio = torch CPU seconds / onnx CPU seconds (robust to other processes on the cores)")
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
