"""FID against the number of sampling steps, for each sampler, measured on the latent diffusion model.

FID is the Fréchet distance between Gaussians fitted to features of real and generated images,
    d² = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½),
here in the shipped classifier's feature space (`fashion-classifier`). Unconditional samples of fashion-ldm at
each step count are compared with held-out test images; the dashed line is the same distance between n
training and n test images — the floor that sampling noise alone sets at this n. The numbers are also written
as JSON beside the PNG.
"""

from __future__ import annotations

import json
from pathlib import Path

from genvision.io.atomic import atomic_write_text
from genvision.metrics.frechet import fid_from_features
from genvision.workflows.figures.context import FigureContext
from genvision.workflows.figures.panels import new_figure, save_figure

BUNDLE = "fashion-ldm"
SAMPLERS = ("ddim", "dpmpp", "ddpm")


def measure(ctx: FigureContext, n: int, steps: tuple[int, ...]) -> dict:
    """{"n", "baseline", "fid": {sampler: {steps: fid}}} from n samples per point."""
    m, classifier = ctx.model(BUNDLE), ctx.model("fashion-classifier")
    test, _ = ctx.fashion("test", n)
    train, _ = ctx.fashion("train", n)
    real = classifier.features(test).double().numpy()
    out = {
        "bundle": BUNDLE,
        "n": n,
        "features": "fashion-classifier",
        "baseline": fid_from_features(classifier.features(train).double().numpy(), real),
        "fid": {},
    }
    for sampler in SAMPLERS:
        out["fid"][sampler] = {}
        for k in steps:
            images = m.sample(n, seed=ctx.seed, sampler=sampler, steps=k).images
            out["fid"][sampler][k] = fid_from_features(real, classifier.features(images).double().numpy())
    return out


def fid_vs_steps(ctx: FigureContext, path: Path) -> str:
    steps = ctx.pick((5, 10, 20, 40), (4, 8, 16))
    data = measure(ctx, ctx.pick(1000, 100), steps)
    fig = new_figure(6.0, 4.0)
    ax = fig.add_axes((0.12, 0.13, 0.84, 0.77))
    for sampler, points in data["fid"].items():
        ax.plot(list(points), list(points.values()), marker="o", label=sampler)
    ax.axhline(data["baseline"], color="gray", linestyle="--", label=f"train vs test (n={data['n']})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(steps), [str(s) for s in steps])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("sampling steps")
    ax.set_ylabel("FID (classifier features, lower is better)")
    ax.set_title(f"{BUNDLE}: FID vs steps, {data['n']} unconditional samples per point", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    save_figure(fig, path)
    atomic_write_text(path.with_suffix(".json"), json.dumps(data, indent=1) + "\n")
    best = {s: min(p.values()) for s, p in data["fid"].items()}
    return (
        f"n={data['n']}; best FID "
        + ", ".join(f"{s} {v:.3f}" for s, v in best.items())
        + f"; train-vs-test floor {data['baseline']:.3f}"
    )
