"""`genvision train CONFIG.yaml [key=value ...] [--out DIR] [--resume | --resume-if-present]`."""

from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import QuietOption, summary
from genvision.errors import GenvisionError
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer


def register(app: typer.Typer) -> None:
    @app.command(context_settings={"allow_extra_args": False})
    def train(
        config: Path = typer.Argument(..., help="A YAML preset, e.g. configs/ddpm_fashion.yaml."),
        overrides: list[str] = typer.Argument(None, help="key.sub=value overrides, e.g. train.steps=200."),
        out: Path = typer.Option(None, "--out", help="Run folder (default runs/<name>)."),
        resume: bool = typer.Option(
            False,
            "--resume",
            help="Continue from the run folder's latest checkpoint (an error when it has none).",
        ),
        resume_if_present: bool = typer.Option(
            False,
            "--resume-if-present",
            help="Continue when the run folder has a checkpoint, else start it "
            "(for jobs that are restarted).",
        ),
        quiet: bool = QuietOption,
    ) -> None:
        """Train a model from a config; writes checkpoints, metrics, previews and the bundle to the run folder."""

        if resume and resume_if_present:
            raise GenvisionError("pass either --resume or --resume-if-present, not both")
        cfg = load_run_config(config, overrides or [])
        run_dir = out or Path("runs") / cfg.name
        trainer = Trainer(cfg, run_dir, resume="if-present" if resume_if_present else resume, quiet=quiet)
        bundle = trainer.run()
        if bundle is not None:
            summary(
                quiet, f"trained {cfg.family} for {trainer.step} steps; run folder {run_dir}; bundle {bundle}"
            )
