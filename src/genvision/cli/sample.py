"""`genvision sample MODEL -n 64 --sampler ddim --steps 50 --seed 0 --out grid.png [--npy s.npy] [--trajectory t.png]`."""
from __future__ import annotations

import time
from pathlib import Path

import typer

from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary


def register(app: typer.Typer) -> None:
    @app.command()
    def sample(
        model: str = typer.Argument(..., help="A bundle folder or a shipped name (fashion-ddpm, fashion-ldm, "
                                              "fashion-dcgan, ...)."),
        n: int = typer.Option(64, "-n", "--n", help="Number of images."),
        out: Path = typer.Option(Path("samples.png"), "--out", help="PNG grid of the samples."),
        npy: Path = NpyOption,
        trajectory: Path = typer.Option(None, "--trajectory", help="PNG of x_t at evenly spaced steps, one row "
                                                                   "per sample (diffusion models)."),
        trajectory_frames: int = typer.Option(10, "--trajectory-frames", help="Columns of the trajectory figure."),
        trajectory_rows: int = typer.Option(8, "--trajectory-rows", help="Samples shown in the trajectory figure."),
        sampler: str = typer.Option(None, "--sampler", help="Diffusion sampler: ddpm, ddim or dpmpp (default ddim)."),
        steps: int = typer.Option(None, "--steps", help="Sampling steps (default: ddim 50, dpmpp 20, ddpm all T)."),
        eta: float = typer.Option(None, "--eta", help="DDIM stochasticity: 0 deterministic, 1 ancestral."),
        spacing: str = typer.Option(None, "--spacing", help="Timestep spacing: trailing (default), leading, linspace."),
        class_: str = typer.Option(None, "--class", help="Class name or index (class-conditional models)."),
        prompt: str = typer.Option(None, "--prompt", help="Text prompt (text-conditional models)."),
        mask: str = typer.Option(None, "--mask", help="Part label map PNG to condition on (mask-conditional models)."),
        mask_from: str = typer.Option(None, "--mask-from", help="Take the label map from data, e.g. "
                                                                "celebamask-hq:test:17 (mask-conditional models)."),
        data_dir: str = typer.Option(None, "--data-dir", help="Dataset root for --mask-from when not in the default place."),
        guidance: float = typer.Option(None, "--guidance", help="Classifier-free guidance scale (1: none)."),
        batch_size: int = typer.Option(256, "--batch-size", help="Images per batch; results do not depend on it."),
        nrow: int = typer.Option(None, "--nrow", help="Images per grid row (default: square)."),
        precision: str = typer.Option("auto", "--precision", help="auto (bf16 on CUDA and AMX CPUs), fp32, bf16."),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Generate images from a model bundle and write them as a PNG grid (and optionally .npy).

        Example: `genvision sample fashion-ddpm -n 64 --sampler ddim --steps 50 --seed 0 --out grid.png`.
        """
        import torch

        from genvision.errors import GenvisionError
        from genvision.pipelines.sample import SampleOptions, sample_bundle
        from genvision.viz.grid import save_grid
        from genvision.viz.images import save_npy

        if trajectory is not None and trajectory_frames < 2:
            raise GenvisionError(f"--trajectory-frames must be at least 2, got {trajectory_frames}")
        torch.set_grad_enabled(False)
        conditions = {"class": class_, "prompt": prompt, "mask": mask, "mask_from": mask_from, "data_dir": data_dir,
                      "guidance": guidance}
        options = SampleOptions(sampler=sampler, steps=steps, eta=eta, spacing=spacing, batch_size=batch_size,
                                conditions={k: v for k, v in conditions.items() if v is not None},
                                trajectory_frames=trajectory_frames if trajectory is not None else 0,
                                trajectory_rows=trajectory_rows, precision=precision, progress=not quiet)
        started = time.perf_counter()
        result = sample_bundle(model, n, seed, device, options)
        seconds = time.perf_counter() - started
        written = [str(save_grid(result.images, ensure_parent(out), nrow=nrow))]
        if npy is not None:
            written.append(str(save_npy(ensure_parent(npy), result.uint8)))
        if trajectory is not None:
            if result.trajectory is None:
                raise GenvisionError(f"{model} records no trajectory (it is not a diffusion model): drop --trajectory")
            rows, frames = result.trajectory.shape[:2]
            figure = result.trajectory.reshape(rows * frames, *result.trajectory.shape[2:])
            written.append(str(save_grid(figure, ensure_parent(trajectory), nrow=frames)))
        how = ", ".join(f"{k} {v}" for k, v in result.info.items())
        summary(quiet, f"sampled {n} image(s) in {seconds:.1f} s ({how}); wrote {', '.join(written)}")
