"""Diffusion inversion and editing on the first n Fashion-MNIST test images: the targets of issue 31.

    python benchmarks/diffusion_editing.py                      # n = 200, 100 images per class pair
    python benchmarks/diffusion_editing.py --n 20 --pair-n 10   # a quick run
    python benchmarks/diffusion_editing.py --json editing.json

Reported (all 50 DDIM steps, trailing spacing, the UNet in fp32):
  fashion-ldm   PSNR of the reconstruction against decode(encode(x)): DDIM inversion at guidance 1 (refine 0 = the
                textbook inversion, refine 1 = one fixed-point iteration per step), and at guidance 3 plain DDIM
                (inverted and sampled back guided), null-text (ours: warm start) and the paper's start (first
                --paper-n images), negative-prompt; seconds per image; the share of the dB lost to guidance that
                null-text recovers (target >= 80 %).
  fashion-ddpm  DDIM inversion PSNR against the input (target >= 30 dB).
  DiffEdit      10 source -> target class pairs, the first --pair-n test images of each source class: how often
                fashion-classifier calls the edit the target, over how often it calls real test images of the
                target class so (target >= 0.85); PSNR outside the mask of the edit and of decode(encode(x))
                against x (target: within 2 dB).
  speed         one null-text inversion of one image (target < 10 s) and one DiffEdit (target < 2 s), 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

import genvision
from genvision.data import load_images_from_ref
from genvision.diffusion.null_text import NullTextSchedule
from genvision.metrics.image_quality import psnr

PAIRS = [  # (source, target) class indices of Fashion-MNIST
    (0, 3),  # T-shirt/top -> Dress
    (0, 6),  # T-shirt/top -> Shirt
    (2, 4),  # Pullover -> Coat
    (4, 2),  # Coat -> Pullover
    (6, 0),  # Shirt -> T-shirt/top
    (3, 0),  # Dress -> T-shirt/top
    (5, 7),  # Sandal -> Sneaker
    (7, 9),  # Sneaker -> Ankle boot
    (9, 7),  # Ankle boot -> Sneaker
    (7, 5),  # Sneaker -> Sandal
]
PAPER = NullTextSchedule(iterations=10, lr=1e-2, tolerance=1e-5, tolerance_growth=2e-5, warm_start=False)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def mean_psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean per-image PSNR, each capped at 100 dB (a few reconstructions match their reference exactly)."""
    return float(psnr(a, b).clip(max=100.0).mean())


def region_psnr(a: torch.Tensor, b: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """PSNR per image over the pixels where keep = 1 (images in [-1, 1], peak 1 after mapping to [0, 1])."""
    se = ((a - b) / 2).pow(2) * keep
    mse = se.flatten(1).sum(1) / keep.flatten(1).sum(1).clamp(min=1)
    return 10 * torch.log10(1 / mse.clamp(min=1e-10))


def ldm_inversions(ldm, x, y, args, out: dict) -> None:
    ref = ldm.decode(ldm.encode(x)).cpu()
    rows = {}
    for name, kwargs in [
        ("ddim g1 refine0", dict(method="ddim", guidance=1.0, refine=0)),
        ("ddim g1 refine1", dict(method="ddim", guidance=1.0, refine=1)),
        ("ddim g3 refine0", dict(method="ddim", guidance=3.0, refine=0)),
        ("ddim g3 refine1", dict(method="ddim", guidance=3.0, refine=1)),
        ("negative-prompt g3", dict(method="negative-prompt", guidance=3.0)),
        ("null-text g3 (ours)", dict(method="null-text", guidance=3.0, n=args.null_text_n)),
        (
            "null-text g3 (paper start)",
            dict(method="null-text", guidance=3.0, null_text=PAPER, n=args.paper_n),
        ),
    ]:
        n = kwargs.pop("n", len(x))
        inv = ldm.invert(x[:n], label=y[:n], steps=50, batch_size=args.batch, **kwargs)
        rows[name] = {
            "psnr_vs_ae": mean_psnr(inv.images, ref[:n]),
            "seconds_per_image": inv.seconds / n,
            "n": n,
            **{k: v for k, v in inv.info.items() if k == "null_text_passes_per_step"},
        }
        print(f"fashion-ldm {name:28s} n={n:4d}  {rows[name]['psnr_vs_ae']:6.2f} dB  "
              f"{rows[name]['seconds_per_image']:.3f} s/img", flush=True)  # fmt: skip
    g1, g3, nt = (rows["ddim g1 refine1"], rows["ddim g3 refine1"], rows["null-text g3 (ours)"])
    lost = g1["psnr_vs_ae"] - g3["psnr_vs_ae"]
    recovered = (nt["psnr_vs_ae"] - g3["psnr_vs_ae"]) / lost if lost > 0 else float("nan")
    print(f"null-text recovers {100 * recovered:.1f} % of the {lost:.2f} dB lost to guidance 3 (target 80 %)")
    out["ldm_inversion"] = rows | {"null_text_recovered_fraction": recovered}


def ddpm_inversions(args, x, out: dict) -> None:
    ddpm = genvision.load("fashion-ddpm", device="cpu")
    rows = {}
    for refine in (0, 1):
        inv = ddpm.invert(x, steps=50, refine=refine, batch_size=args.batch)
        rows[f"refine{refine}"] = {
            "psnr_vs_input": mean_psnr(inv.images, x),
            "seconds_per_image": inv.seconds / len(x),
        }
        print(
            f"fashion-ddpm ddim refine{refine}  {rows[f'refine{refine}']['psnr_vs_input']:6.2f} dB (target 30)"
        )
    out["ddpm_inversion"] = rows


def diffedit_pairs(ldm, args, out: dict) -> None:
    classifier = genvision.load("fashion-classifier", device="cpu")
    images, labels, _ = load_images_from_ref("fashion-mnist:test")
    predicted = classifier.predict(images)
    rows = []
    for source, target in PAIRS:
        x = images[labels == source][: args.pair_n]
        real_rate = float((predicted[labels == target] == target).float().mean())
        e = ldm.edit(
            x, source=source, target=target, method="diffedit", strength=args.strength, steps=50,
            threshold=args.threshold, guidance=args.guidance, reconstruct=False, batch_size=args.batch,
        )  # fmt: skip
        edit_rate = float((classifier.predict(e.edited) == target).float().mean())
        keep = 1 - e.fill
        outside_edit = region_psnr(e.edited, x, keep).mean().item()
        outside_ae = region_psnr(e.reconstruction, x, keep).mean().item()
        rows.append({
            "source": source, "target": target, "n": len(x), "edit_rate": edit_rate, "real_rate": real_rate,
            "ratio": edit_rate / real_rate, "outside_psnr_edit": outside_edit, "outside_psnr_ae": outside_ae,
            "mask_fraction": e.info["mask_fraction"], "seconds_per_image": e.info["seconds"] / len(x),
        })  # fmt: skip
        r = rows[-1]
        print(f"diffedit {ldm.class_names[source]:>11s} -> {ldm.class_names[target]:<11s} n={len(x)} "
              f"target rate {edit_rate:.3f} / real {real_rate:.3f} = {r['ratio']:.3f}; outside mask "
              f"{outside_edit:.2f} dB vs AE {outside_ae:.2f} dB; mask {r['mask_fraction']:.2f}", flush=True)  # fmt: skip
    worst_ratio = min(r["ratio"] for r in rows)
    mean_ratio = sum(r["ratio"] for r in rows) / len(rows)
    worst_gap = max(r["outside_psnr_ae"] - r["outside_psnr_edit"] for r in rows)
    print(f"diffedit ratio mean {mean_ratio:.3f}, worst {worst_ratio:.3f} (target 0.85); outside-mask gap to the "
          f"AE, worst pair {worst_gap:.2f} dB (target <= 2)")  # fmt: skip
    out["diffedit"] = {
        "pairs": rows,
        "mean_ratio": mean_ratio,
        "worst_ratio": worst_ratio,
        "worst_gap_db": worst_gap,
    }


def speed(ldm, x, y, args, out: dict) -> None:
    torch.set_num_threads(2)
    ldm.invert(x[:1], label=y[:1], steps=5)  # warm-up
    started = time.perf_counter()
    ldm.invert(x[:1], label=y[:1], method="null-text", guidance=3.0, steps=50)
    null_text = time.perf_counter() - started
    started = time.perf_counter()
    ldm.edit(
        x[:1], source=y[:1], target=PAIRS[0][1], method="diffedit", strength=args.strength, steps=50,
        threshold=args.threshold, guidance=args.guidance,
    )  # fmt: skip
    diffedit = time.perf_counter() - started
    print(f"one null-text inversion (50 steps): {null_text:.2f} s (target < 10); one DiffEdit: {diffedit:.2f} s "
          "(target < 2)")  # fmt: skip
    out["speed"] = {"null_text_seconds": null_text, "diffedit_seconds": diffedit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="test images for the inversion rows")
    parser.add_argument("--pair-n", type=int, default=100, help="images per DiffEdit class pair")
    parser.add_argument("--null-text-n", type=int, default=None, help="images for null-text (default: --n)")
    parser.add_argument("--paper-n", type=int, default=20, help="images for the paper-start null-text row")
    parser.add_argument("--strength", type=float, default=0.9, help="DiffEdit strength")
    parser.add_argument("--threshold", type=float, default=0.1, help="DiffEdit mask threshold")
    parser.add_argument("--guidance", type=float, default=5.0, help="DiffEdit guidance")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--skip", nargs="*", default=[], choices=["ldm", "ddpm", "diffedit", "speed"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    args.null_text_n = args.null_text_n or args.n
    torch.set_num_threads(int(os.environ.get("GENVISION_THREADS", "2")))
    print(f"CPU: {cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}\n")
    out: dict = {"cpu": cpu_name(), "threads": torch.get_num_threads(), "args": vars(args)}
    started = time.perf_counter()
    ldm = genvision.load("fashion-ldm", device="cpu")
    x, y, _ = load_images_from_ref(f"fashion-mnist:test:0-{args.n}")
    if "speed" not in args.skip:
        speed(ldm, x, y, args, out)
    if "ldm" not in args.skip:
        ldm_inversions(ldm, x, y, args, out)
    if "ddpm" not in args.skip:
        ddpm_inversions(args, x, out)
    if "diffedit" not in args.skip:
        diffedit_pairs(ldm, args, out)
    out["seconds"] = time.perf_counter() - started
    print(f"\ntotal {out['seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
