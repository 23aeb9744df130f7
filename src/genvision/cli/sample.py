"""`genvision sample MODEL -n 64 [--sampler dpmpp --steps 20] --seed 0 --out grid.png [--npy s.npy] [--trajectory t.png]`."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import torch
import typer

import genvision
from genvision.cli.common import (
    BackendOption,
    DeviceOption,
    NpyOption,
    QuietOption,
    SeedOption,
    data_dir_option,
    ensure_parent,
    summary,
)
from genvision.cli.outputs import check_outputs
from genvision.cli.progress import progress_bar
from genvision.cli.sampler_flags import sampler_flag, sampler_option_flag, sampler_options
from genvision.errors import GenvisionError
from genvision.viz.grid import save_grid
from genvision.viz.images import save_npy
from genvision.workflows.sample import SampleRequest, grounding_line
from genvision.workflows.sample import sample as run


def deprecated(old: str | None, new: str | None, old_flag: str, new_flag: str) -> str | None:
    """The value of a renamed flag, warning once (one line) when the old name was used."""
    if old is None:
        return new
    if new is not None:
        raise GenvisionError(f"{old_flag} is the old name of {new_flag}: give only {new_flag}")
    warnings.warn(
        f"{old_flag} is deprecated and will be removed in the next release: use {new_flag}", stacklevel=2
    )
    return old


def register(app: typer.Typer) -> None:
    @app.command()
    def sample(
        model: str = typer.Argument(
            ..., help="A bundle folder or a shipped name (fashion-ddpm, fashion-ldm, fashion-dcgan, ...)."
        ),
        n: int = typer.Option(64, "-n", "--n", help="Number of images."),
        out: Path = typer.Option(Path("samples.png"), "--out", help="Image grid (.png, .jpg, .webp)."),
        npy: Path = NpyOption,
        trajectory: Path = typer.Option(
            None,
            "--trajectory",
            help="PNG of x_t at evenly spaced steps, one row per sample (diffusion models).",
        ),
        trajectory_frames: int = typer.Option(
            10, "--trajectory-frames", help="Columns of the trajectory figure."
        ),
        trajectory_rows: int = typer.Option(
            8, "--trajectory-rows", help="Samples shown in the trajectory figure."
        ),
        sampler: str = sampler_flag(),
        steps: int = typer.Option(
            None, "--steps", help="Sampling steps (default: the bundle's, else the sampler's own)."
        ),
        eta: float = typer.Option(None, "--eta", help="DDIM stochasticity: 0 deterministic, 1 ancestral."),
        sampler_option: list[str] = sampler_option_flag(),
        spacing: str = typer.Option(
            None, "--spacing", help="Timestep spacing: trailing (default), leading, linspace."
        ),
        class_: str = typer.Option(None, "--class", help="Class name or index (class-conditional models)."),
        prompt: str = typer.Option(None, "--prompt", help="Text prompt (text-conditional models)."),
        negative_prompt: str = typer.Option(
            None,
            "--negative-prompt",
            help="Text models: guidance steers away from this prompt (needs guidance > 1).",
        ),
        label_map: str = typer.Option(
            None, "--label-map", help="Part label-map PNG to condition on (label-map-conditional models)."
        ),
        label_map_from: str = typer.Option(
            None, "--label-map-from", help="Take the label map from data, e.g. celebamask-hq:test:17."
        ),
        mask: str = typer.Option(None, "--mask", hidden=True, help="Deprecated: --label-map."),
        mask_from: str = typer.Option(None, "--mask-from", hidden=True, help="Deprecated: --label-map-from."),
        data_dir: str = data_dir_option("Dataset root for --label-map-from."),
        guidance: float = typer.Option(None, "--guidance", help="Classifier-free guidance scale (1: none)."),
        grounding: int = typer.Option(
            None,
            "--grounding",
            help="Text models: a prompt outside the caption set takes its K nearest captions (0: off; "
            "default: the bundle's).",
        ),
        truncation: float = typer.Option(None, "--truncation", help="StyleGAN truncation ψ (1: none)."),
        batch_size: int = typer.Option(
            256, "--batch-size", help="Images per batch; results do not depend on it."
        ),
        nrow: int = typer.Option(None, "--nrow", help="Images per grid row (default: square)."),
        precision: str = typer.Option(
            "auto",
            "--precision",
            help="auto (bf16 on CUDA, fp32 on the CPU), fp32, bf16 (faster on CPUs with AMX or AVX512-BF16).",
        ),
        backend: str = BackendOption,
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Generate images from a model bundle and write them as a grid (and optionally .npy).

        Example: `genvision sample fashion-ddpm -n 64 --seed 0 --out grid.png`.
        """
        check_outputs(images=(out, trajectory), files=(npy,))
        if trajectory is not None:
            if trajectory_frames < 2:
                raise GenvisionError(f"--trajectory-frames must be at least 2, got {trajectory_frames}")
        if batch_size <= 0:
            raise GenvisionError(f"--batch-size must be positive, got {batch_size}")
        torch.set_grad_enabled(False)
        request = SampleRequest(
            n=n,
            seed=seed,
            sampler=sampler,
            steps=steps,
            sampler_option=sampler_options(sampler_option, eta) or None,
            spacing=spacing,
            label=class_,
            prompt=prompt,
            negative_prompt=negative_prompt,
            guidance=guidance,
            grounding=grounding,
            label_map=deprecated(mask, label_map, "--mask", "--label-map"),
            label_map_from=deprecated(mask_from, label_map_from, "--mask-from", "--label-map-from"),
            data_dir=data_dir,
            truncation=truncation,
            batch_size=batch_size,
            trajectory_frames=trajectory_frames if trajectory is not None else 0,
            trajectory_rows=trajectory_rows,
        )
        loaded = genvision.load(model, device=device, precision=precision, backend=backend)
        bar, progress = progress_bar(not quiet, desc=grounding_line(loaded, prompt, grounding))
        started = time.perf_counter()
        result = run(loaded, request, progress)
        seconds = time.perf_counter() - started
        bar.close()
        written = [str(save_grid(result.images, ensure_parent(out), nrow=nrow))]
        if npy is not None:
            written.append(str(save_npy(ensure_parent(npy), result.uint8)))
        if trajectory is not None:
            rows, frames = result.trajectory.shape[:2]
            figure = result.trajectory.reshape(rows * frames, *result.trajectory.shape[2:])
            written.append(str(save_grid(figure, ensure_parent(trajectory), nrow=frames)))
        how = ", ".join(f"{k} {v}" for k, v in result.info.items())
        summary(
            quiet,
            f"sampled {n} image(s) in {seconds:.1f} s on {loaded.backend} ({how}); wrote {', '.join(written)}",
        )
