"""Report figures 3.8–3.10 (StyleGAN on real images): attribute edits through inversion, region blending,
and interpolation between two inverted images.

Held-out test images are inverted into W+ (encoder, then optimisation in the full run; the encoder alone under
--fast). An edit moves a code along a unit direction n fitted on labelled samples: w' = w + α n. Blending
pastes a region of one image into another and inverts with the loss on that region only, so the generator
fills in a coherent whole (IDInvert's "semantic diffusion").
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.data.masks import make_fills
from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import rows_of, save_panel

BUNDLE = "fashion-stylegan"
EDIT_CLASSES = [0, 3, 7, 9]  # T-shirt, dress, sneaker, ankle boot
DIRECTIONS = ("brightness", "class:trouser")


def invert(ctx: FigureContext, images: torch.Tensor):
    method = ctx.pick("encoder+optimize", "encoder")
    return ctx.model(BUNDLE).invert(images, method=method, steps=ctx.pick(100, 1), seed=ctx.seed)


def edits(ctx: FigureContext, path: Path) -> str:
    sg = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", 200)
    real = x[one_of_each(y, EDIT_CLASSES)]
    codes = invert(ctx, real)
    strengths = torch.linspace(-3, 3, ctx.pick(7, 5)).tolist()
    rows, labels = [], []
    for name in DIRECTIONS:
        direction = sg.direction(name, samples=ctx.pick(2000, 300), seed=ctx.seed)
        edited = sg.edit(codes, direction, strengths).reshape(len(real), len(strengths), *real.shape[1:])
        for k in range(len(real)):
            rows.append(rows_of(real[k : k + 1], edited[k]))
            labels.append(f"{ctx.class_names()[EDIT_CLASSES[k]]}: {name}")
    save_panel(
        path,
        rows_of(*rows),
        len(strengths) + 1,
        row_labels=labels,
        col_labels=["real"] + [f"α={s:+.1f}" for s in strengths],
        title=f"{BUNDLE}: editing held-out images along w + α·n ({codes.info['method']} inversion)",
    )
    return f"{len(real)} test images, directions {', '.join(DIRECTIONS)}"


def blend(ctx: FigureContext, path: Path) -> str:
    sg = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", 200)
    pairs = ctx.pick(4, 2)
    target, context = x[one_of_each(y, [0, 2, 4, 3][:pairs])], x[one_of_each(y, [6, 4, 2, 0][:pairs])]
    region = make_fills("center:0.5", len(target), *target.shape[-2:], seed=ctx.seed)
    steps = ctx.pick(100, 30)
    pasted, inversion = sg.blend(
        target, context, region, method="encoder+optimize", steps=steps, seed=ctx.seed
    )
    cells = torch.stack([target, context, pasted, inversion.images], 1).flatten(0, 1)
    save_panel(
        path,
        cells,
        4,
        col_labels=["target", "context", "pasted", "blended"],
        title=f"{BUNDLE}: centre of the target blended into the context",
    )
    return f"{len(target)} pairs, {steps} optimisation steps on the pasted region"


def interpolation(ctx: FigureContext, path: Path) -> str:
    sg = ctx.model(BUNDLE)
    x, y = ctx.fashion("test", 200)
    pairs = [(0, 3), (7, 5), (2, 4)]
    real = x[one_of_each(y, [c for pair in pairs for c in pair])]
    codes = invert(ctx, real)
    steps = ctx.pick(8, 6)
    rows = [
        rows_of(
            real[i : i + 1],
            sg.interpolate(codes.ws[i], codes.ws[i + 1], steps=steps).images,
            real[i + 1 : i + 2],
        )
        for i in range(0, len(real), 2)
    ]
    names = ctx.class_names()
    save_panel(
        path,
        rows_of(*rows),
        steps + 2,
        row_labels=[f"{names[a]} → {names[b]}" for a, b in pairs],
        col_labels=["real a"] + [f"{t:.2f}" for t in torch.linspace(0, 1, steps).tolist()] + ["real b"],
        title=f"{BUNDLE}: G along the straight line between two inverted test images (W+)",
    )
    return f"{len(pairs)} pairs, {codes.info['method']} inversion"
