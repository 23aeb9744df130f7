"""Pixel-space diffusion: the forward process q(x_t | x_0) at several t, and report figure 3.12, the reverse
denoising process x_T → x_0 for several samples.

Forward (closed form, 1-indexed t as in the report):  x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,  ᾱ_t = ∏_{s ≤ t} (1 − β_s).
The reverse figure's full run is the report's Algorithm 2: ancestral sampling over all T steps.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.diffusion.forward import q_sample
from genvision.diffusion.timesteps import sampling_timesteps
from genvision.generators.diffusion import evenly_spaced
from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import draw_panel, new_figure, save_figure, save_panel

BUNDLE = "fashion-ddpm"
REVERSE_BUNDLE = "mnist-ddpm"  # figure 3.12 is drawn on MNIST in the report
FORWARD_T = (0, 10, 50, 100, 200, 300, 500, 700, 1000)  # report's 1-indexed t; 0 is x_0 itself


def forward_process(ctx: FigureContext, path: Path) -> str:
    schedule = ctx.model(BUNDLE).schedule
    x, y = ctx.fashion("test", 200)
    x0 = x[one_of_each(y, [9, 2, 1, 8, 7, 3])]
    T = schedule.num_timesteps
    ts = [t for t in FORWARD_T if t <= T]
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(ctx.seed))
    # library timesteps are 0-indexed: the report's t is index t - 1, and index -1 is clean data
    cols = [q_sample(schedule, x0, torch.full((len(x0),), t - 1), noise) for t in ts]
    cells = torch.stack(cols, 1).flatten(0, 1).clamp(-1, 1)
    fig = new_figure(0.62 * len(ts) + 1.0, 6.4)
    grid_ax = fig.add_axes((0.06, 0.40, 0.9, 0.47))
    ab = schedule.alpha_bar.double().cpu()
    labels = [f"t={t}\n{float(ab[t - 1].sqrt()) if t else 1.0:.2f}" for t in ts]
    draw_panel(grid_ax, cells, len(ts), col_labels=labels)
    curve = fig.add_axes((0.14, 0.07, 0.8, 0.26))
    steps = torch.arange(1, T + 1)
    curve.plot(steps, ab.sqrt(), label="√ᾱ_t (signal)")
    curve.plot(steps, (1 - ab).sqrt(), label="√(1 − ᾱ_t) (noise)")
    curve.set_xlabel("t", fontsize=8)
    curve.tick_params(labelsize=7)
    curve.legend(fontsize=7)
    fig.suptitle(
        f"Forward process q(x_t | x_0), {schedule.config.name} schedule of {BUNDLE}\n"
        "columns: t and the signal scale √ᾱ_t",
        fontsize=9,
        y=0.985,
    )
    save_figure(fig, path)
    return f"T = {T}, t ∈ {{{', '.join(map(str, ts))}}}"


def trajectory_labels(model, steps: int, frames: int, sampler: str) -> list[str]:
    """Column labels t (1-indexed; 0 = the final x_0) of the frames `model.sample(trajectory=frames)` records."""
    run = model.settings(sampler=sampler, steps=steps)
    ts = sampling_timesteps(model.schedule.num_timesteps, run.steps, run.spacing) + [-1]
    return [f"t={ts[j] + 1}" for j in sorted(evenly_spaced(frames, run.steps))]


def reverse(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(REVERSE_BUNDLE)
    sampler, steps = ctx.pick(("ddpm", m.schedule.num_timesteps), ("dpmpp", 10))
    frames, rows = ctx.pick(10, 8), ctx.pick(6, 4)
    result = m.sample(
        rows, seed=ctx.seed, sampler=sampler, steps=steps, trajectory=frames, trajectory_rows=rows
    )
    traj = result.trajectory  # [rows, frames, C, H, W]
    save_panel(
        path,
        traj.flatten(0, 1),
        traj.shape[1],
        col_labels=trajectory_labels(m, steps, frames, sampler),
        title=f"{REVERSE_BUNDLE}: reverse process x_T → x_0 ({sampler}, {steps} steps)",
    )
    return f"{sampler}, {steps} steps, {rows} samples"
