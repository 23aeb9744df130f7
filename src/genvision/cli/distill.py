"""`genvision distill BUNDLE --steps N --out DIR [--teacher-steps M] [--substeps K] [--method reflow]
[--config YAML] [k=v ...]`."""

from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import QuietOption, summary
from genvision.train.distill_rounds import distill_rounds


def register(app: typer.Typer) -> None:
    @app.command(context_settings={"allow_extra_args": False})
    def distill(
        bundle: str = typer.Argument(..., help="The teacher: a diffusion bundle (shipped name or folder)."),
        overrides: list[str] = typer.Argument(
            None, help="key.sub=value overrides of every round's config, e.g. train.max_seconds=600."
        ),
        steps: int = typer.Option(..., "--steps", help="Sampling steps of the final student (e.g. 4)."),
        out: Path = typer.Option(..., "--out", help="Folder of the rounds (round-08/, round-04/, …)."),
        teacher_steps: int = typer.Option(
            None,
            "--teacher-steps",
            help="DDIM steps of the first teacher (default: 16, or the bundle's own for a student).",
        ),
        substeps: int = typer.Option(
            2,
            "--substeps",
            help="Teacher steps per student step in each round (2: halve; 4: e.g. 16 -> 4 in one round).",
        ),
        method: str = typer.Option(
            "progressive",
            "--method",
            help="progressive (rounds of k teacher steps in one) or reflow (one round on teacher sample pairs).",
        ),
        config: Path = typer.Option(
            None, "--config", help="A distill run config (e.g. configs/distill_fashion_ldm.yaml)."
        ),
        quiet: bool = QuietOption,
    ) -> None:
        """Distil a diffusion bundle into few-step students (progressive distillation), one bundle per round."""
        bundles = distill_rounds(
            bundle,
            steps,
            out,
            teacher_steps=teacher_steps,
            substeps=substeps,
            method=method,
            config=config,
            overrides=overrides,
            quiet=quiet,
        )
        summary(
            quiet, f"distilled {bundle} to {steps} steps; student bundles: {', '.join(map(str, bundles))}"
        )
