"""`genvision inpaint MODEL (--image IMG | --data REF) (--mask FILE.png | --mask-shape SPEC) --out panel.png`."""

from __future__ import annotations

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
from genvision.diffusion.inpaint import Resampling
from genvision.errors import GenvisionError
from genvision.viz.grid import save_grid
from genvision.viz.images import save_npy
from genvision.workflows.inputs import build_fills, load_image_file, load_reference


def register(app: typer.Typer) -> None:
    @app.command()
    def inpaint(
        model: str = typer.Argument(
            ..., help="A ddpm or ldm bundle folder, or a shipped name (fashion-ldm)."
        ),
        image: str = typer.Option(None, "--image", help="One image file to inpaint."),
        data: str = typer.Option(None, "--data", help="Images from data, e.g. fashion-mnist:test:0-50."),
        data_dir: str = data_dir_option(),
        mask: str = typer.Option(
            None, "--mask", help="Fill mask PNG: white = fill; any size (nearest resize)."
        ),
        mask_shape: str = typer.Option(
            None,
            "--mask-shape",
            help="box[:T,L,H,W] | center[:F] | half[:SIDE] | strokes[:COVER] | part:hair",
        ),
        out: Path = typer.Option(
            ..., "--out", help="Panel image: original | masked | inpainted | composite."
        ),
        npy: Path = NpyOption,
        steps: int = typer.Option(None, "--steps", help="Sampling steps (default: the bundle's)."),
        sampler: str = sampler_flag(inpainting=True),
        eta: float = typer.Option(None, "--eta", help="DDIM η (0: deterministic steps); ddim only."),
        sampler_option: list[str] = sampler_option_flag(),
        resample: str = typer.Option(None, "--resample", help="RePaint JUMP_LENGTH,JUMP_COUNT, e.g. 10,10."),
        feather: float = typer.Option(
            0.0, "--feather", help="Blend the composite over this many pixels outside the hole."
        ),
        class_: str = typer.Option(None, "--class", help="Class name or index (class-conditional models)."),
        prompt: str = typer.Option(None, "--prompt", help="Text prompt (text-conditional models)."),
        guidance: float = typer.Option(
            None, "--guidance", help="Classifier-free guidance scale with --class/--prompt."
        ),
        trajectory: Path = typer.Option(
            None, "--trajectory", help="Also write the denoising trajectory image."
        ),
        frames: int = typer.Option(8, "--frames", help="Trajectory frames."),
        batch_size: int = typer.Option(64, "--batch-size", help="Images per sampling batch."),
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
        """Fill the masked region of images with a diffusion model, without training for it (RePaint optional).

        Example: `genvision inpaint fashion-ldm --data fashion-mnist:test:0-8 --mask-shape half --out panel.png`.
        """
        check_outputs(images=(out, trajectory), files=(npy,))
        if (image is None) == (data is None):
            raise GenvisionError("give exactly one of --image FILE or --data NAME:SPLIT:START-END")
        torch.set_grad_enabled(False)
        diffusion = genvision.load(
            model, device=device, precision=precision, kinds=("ddpm", "ldm"), backend=backend
        )
        parts = mask_shape is not None and mask_shape.startswith("part")
        if image is not None:
            if parts:
                raise GenvisionError(
                    "part masks need CelebAMask-HQ label maps: use --data celebamask-hq:test:N"
                )
            images, label_maps = load_image_file(image, diffusion.image_shape), None
        else:
            images, _, label_maps = load_reference(
                data, diffusion.image_shape, data_dir, with_label_maps=parts
            )
        fills = build_fills(images, mask, mask_shape=mask_shape, seed=seed, label_maps=label_maps)
        bar, progress = progress_bar(not quiet)
        result = diffusion.inpaint(
            images,
            fills,
            seed=seed,
            sampler=sampler,
            steps=steps,
            resample=Resampling.parse(resample),
            feather=feather,
            label=class_,
            prompt=prompt,
            guidance=guidance,
            batch_size=batch_size,
            trajectory=frames if trajectory else 0,
            progress=progress,
            **sampler_options(sampler_option, eta),
        )
        bar.close()
        save_grid(result.panel(), ensure_parent(out), nrow=4)
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), result.composite)
            written.append(str(npy))
        if trajectory is not None:
            traj = result.trajectory.flatten(0, 1)  # [N, frames, ...]: one row per image
            save_grid(traj, ensure_parent(trajectory), nrow=result.trajectory.shape[1])
            written.append(str(trajectory))
        how = ", ".join(f"{k} {v}" for k, v in result.info.items())
        summary(
            quiet,
            f"inpainted {len(images)} image(s) on {diffusion.backend} ({float(result.fill.mean()):.0%} of pixels "
            f"filled; {how}); wrote {', '.join(written)}",
        )
