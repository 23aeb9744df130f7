"""`genvision eval`: score samples (a .npy file or an image folder) or a model's fresh samples against data."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

import genvision
from genvision.cli.common import DeviceOption, QuietOption, SeedOption, summary
from genvision.cli.outputs import check_outputs
from genvision.errors import GenvisionError
from genvision.metrics.evaluation import EvalSettings, evaluate_samples
from genvision.workflows.evaluate import evaluate_model, load_samples
from genvision.workflows.sample import SampleRequest


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        model: str = typer.Argument(
            None, help="Bundle folder or shipped name to sample from (omit with --samples)."
        ),
        samples: Path = typer.Option(
            None,
            "--samples",
            help="uint8 .npy [N,H,W(,C)], a folder of images, or data (fashion-mnist:train).",
        ),
        reference: str = typer.Option(
            "fashion-mnist:test", "--reference", help="Reference data, NAME[:SPLIT]."
        ),
        metrics: str = typer.Option("fid,kid,pr,is", "--metrics", help="Comma list of fid, kid, pr, is."),
        features: str = typer.Option(
            "auto",
            "--features",
            help="auto (classifier for 28x28 grayscale, else inception), inception, classifier.",
        ),
        n: int = typer.Option(
            None, "--n", "-n", help="Number of samples (default: all given; 10000 for MODEL)."
        ),
        n_reference: int = typer.Option(
            None, "--n-reference", help="Reference images (default: same as --n)."
        ),
        classifier: str = typer.Option(
            "fashion-classifier", "--classifier", help="Classifier bundle for features."
        ),
        json_path: Path = typer.Option(None, "--json", help="Also write the results as JSON."),
        npy: Path = typer.Option(None, "--npy", help="With MODEL: also write the generated samples (uint8)."),
        sampler: str = typer.Option(None, "--sampler", help="With MODEL: sampler, as in `genvision sample`."),
        steps: int = typer.Option(None, "--steps", help="With MODEL: sampling steps."),
        class_: str = typer.Option(None, "--class", help="With MODEL: class name or index to condition on."),
        guidance: float = typer.Option(
            None, "--guidance", help="With MODEL: classifier-free guidance scale."
        ),
        batch_size: int = typer.Option(None, "--batch-size", help="With MODEL: sampling batch size."),
        resize: int = typer.Option(
            None,
            "--resize",
            help="With --samples DIR: resize every image to SIZE x SIZE "
            "(images of different sizes are otherwise an error).",
        ),
        kid_subset_size: int = typer.Option(1000, "--kid-subset-size", help="Samples per KID subset."),
        kid_subsets: int = typer.Option(100, "--kid-subsets", help="Number of KID subsets."),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Compute FID, KID, precision/recall and the KL (Inception) score; print a table, optionally write JSON.

        Examples: `genvision eval --samples s.npy --reference fashion-mnist:test --metrics fid,kid`;
        `genvision eval fashion-ddpm --sampler ddim --steps 50 --n 10000 --json fid.json`.
        """
        if (model is None) == (samples is None):
            raise GenvisionError(
                "give either a MODEL to sample from or --samples FILE.npy|DIR, not both or neither"
            )
        if n is not None and n < 1:
            raise GenvisionError(f"--n must be at least 1, got {n}")
        sampling_flags = {
            "--sampler": sampler,
            "--steps": steps,
            "--class": class_,
            "--guidance": guidance,
            "--batch-size": batch_size,
            "--npy": npy,
        }
        if samples is not None and any(v is not None for v in sampling_flags.values()):
            given = ", ".join(k for k, v in sampling_flags.items() if v is not None)
            raise GenvisionError(
                f"{given} apply when sampling a MODEL; --samples are scored as given: drop them"
            )
        if model is not None and resize is not None:
            raise GenvisionError("--resize applies to --samples DIR, not to a MODEL's samples")
        check_outputs(files=(json_path, npy))
        settings = EvalSettings(kid_subsets=kid_subsets, kid_subset_size=kid_subset_size, seed=seed)
        common = dict(
            reference=reference,
            metrics=metrics,
            features=features,
            n_reference=n_reference,
            device=device,
            classifier=classifier,
            settings=settings,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report's notes are printed below, once
            if samples is not None:
                loaded, notes = load_samples(samples, resize)
                report = evaluate_samples(loaded, n=n, **common)
                report.warnings[:0] = notes
            else:
                request = SampleRequest(
                    n=n or 10000,
                    seed=seed,
                    sampler=sampler,
                    steps=steps,
                    label=class_,
                    guidance=guidance,
                    batch_size=batch_size or 256,
                )
                report = evaluate_model(genvision.load(model, device=device), request, npy=npy, **common)
        for note in report.warnings:
            typer.echo(f"warning: {note}", err=True)
        if not quiet:
            typer.echo(report.table())
        if json_path is not None:
            report.write_json(json_path)
        headline = ", ".join(f"{k}={v:.4g}" for k, v in report.metrics.items())
        summary(
            quiet,
            f"{headline} ({report.features}, {report.n_samples} vs {report.n_reference})"
            + (f"; wrote {json_path}" if json_path else ""),
        )
