"""Editing real images with fashion-ldm: an edit grid (DDIM / null-text inversion, DiffEdit with its mask,
SDEdit, swap) and the SDEdit strength sweep.

SDEdit noises the image to the level of `strength`, z_k = √ᾱ z_0 + √(1 − ᾱ) ε, and samples from there under
the target class: low strength keeps the picture, strength 1 forgets it. DiffEdit masks where the target and
source predictions of the noise disagree and edits there only; swap samples the null-text inversion back under
the target class.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genvision.workflows.figures.context import FigureContext, one_of_each
from genvision.workflows.figures.panels import save_panel

BUNDLE = "fashion-ldm"
EDITS = ((0, 3), (2, 4), (7, 5), (9, 7), (3, 0), (6, 0))  # (source, target) classes, one held-out image each
STRENGTHS = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SWEEP_TARGET = 8  # bag: far from every garment, so the sweep shows the image being forgotten


def edits(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    steps = ctx.pick(50, 10)
    images, labels = ctx.fashion("test", 200)
    x = images[one_of_each(labels, [s for s, _ in EDITS])]
    sources, targets = [s for s, _ in EDITS], [t for _, t in EDITS]
    diffedit = m.edit(x, source=sources, target=targets, method="diffedit", strength=0.9, steps=steps)
    sdedit = m.edit(x, target=targets, method="sdedit", strength=0.6, steps=steps, seed=ctx.seed)
    swap = m.edit(x, source=sources, target=targets, method="swap", steps=steps)
    mask = diffedit.fill * 2 - 1
    cells = torch.stack(
        [x, swap.reconstruction, mask, diffedit.edited, sdedit.edited, swap.edited], 1
    ).flatten(0, 1)
    save_panel(
        path,
        cells,
        6,
        row_labels=[f"{m.class_names[s]} → {m.class_names[t]}" for s, t in EDITS],
        col_labels=[
            "original",
            "null-text\nreconstruction",
            "DiffEdit\nmask",
            "DiffEdit",
            "SDEdit 0.6",
            "swap",
        ],
        title=f"{BUNDLE}: real images edited towards another class ({steps} DDIM steps, guidance "
        f"{diffedit.info['guidance']:g})",
    )
    return f"{len(x)} held-out images; DiffEdit mask covers {diffedit.info['mask_fraction']:.0%} on average"


def sdedit_sweep(ctx: FigureContext, path: Path) -> str:
    m = ctx.model(BUNDLE)
    steps, rows = ctx.pick(50, 10), ctx.pick(6, 3)
    images, labels = ctx.fashion("test", 200)
    x = images[one_of_each(labels, [0, 1, 3, 5, 7, 9][:rows])]
    classifier = ctx.model("fashion-classifier")
    columns, shares = [], []
    for s in STRENGTHS:
        out = m.edit(x, target=SWEEP_TARGET, method="sdedit", strength=s, steps=steps, seed=ctx.seed).edited
        shares.append(float((classifier.predict(out) == SWEEP_TARGET).float().mean()))
        columns.append(out)
    cells = torch.stack([x, *columns], 1).flatten(0, 1)
    name = m.class_names[SWEEP_TARGET]
    save_panel(
        path,
        cells,
        len(STRENGTHS) + 1,
        col_labels=["original"] + [f"{s:g}\n{a:.0%}" for s, a in zip(STRENGTHS, shares)],
        title=f"{BUNDLE}: SDEdit towards {name!r} by strength (share classified as {name})",
    )
    return "classified as the target: " + ", ".join(f"{s:g} {a:.0%}" for s, a in zip(STRENGTHS, shares))
