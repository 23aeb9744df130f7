"""`genvision inpaint MODEL (--image IMG | --data REF) (--mask FILE.png | --mask-shape SPEC) --out panel.png`."""
from __future__ import annotations

from pathlib import Path

import typer

from genvision.cli.common import DeviceOption, NpyOption, QuietOption, SeedOption, ensure_parent, summary


def register(app: typer.Typer) -> None:
    @app.command()
    def inpaint(
        model: str = typer.Argument(..., help="A ddpm or ldm bundle folder, or a shipped name (fashion-ldm)."),
        image: str = typer.Option(None, "--image", help="One image file to inpaint."),
        data: str = typer.Option(None, "--data", help="Images from data, e.g. fashion-mnist:test:0-50."),
        data_dir: str = typer.Option(None, "--data-dir", help="Dataset root when not in the default place."),
        mask: str = typer.Option(None, "--mask", help="Mask PNG: white = fill; any size (nearest resize)."),
        mask_shape: str = typer.Option(None, "--mask-shape",
                                       help="box[:T,L,H,W] | center[:F] | half[:SIDE] | strokes[:COVER] | part:hair"),
        out: Path = typer.Option(..., "--out", help="Panel PNG: original | masked | inpainted | composite."),
        npy: Path = NpyOption,
        steps: int = typer.Option(50, "--steps", help="Sampling steps."),
        sampler: str = typer.Option("ddim", "--sampler", help="ddim or ddpm."),
        eta: float = typer.Option(0.0, "--eta", help="DDIM η (0: deterministic steps)."),
        resample: str = typer.Option(None, "--resample", help="RePaint JUMP_LENGTH,JUMP_COUNT, e.g. 10,10."),
        feather: float = typer.Option(0.0, "--feather", help="Blend the composite over this many pixels outside the hole."),
        class_: str = typer.Option(None, "--class", help="Class name or index (class-conditional models)."),
        prompt: str = typer.Option(None, "--prompt", help="Text prompt (text-conditional models)."),
        guidance: float = typer.Option(1.0, "--guidance", help="Classifier-free guidance scale with --class/--prompt."),
        trajectory: Path = typer.Option(None, "--trajectory", help="Also write the denoising trajectory PNG."),
        frames: int = typer.Option(8, "--frames", help="Trajectory frames."),
        batch_size: int = typer.Option(64, "--batch-size", help="Images per sampling batch."),
        precision: str = typer.Option("auto", "--precision", help="auto (bf16 on CUDA and AMX CPUs), fp32, bf16."),
        seed: int = SeedOption,
        device: str = DeviceOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Fill the masked region of images with a diffusion model, without training for it (RePaint optional).

        Example: `genvision inpaint fashion-ldm --data fashion-mnist:test:0-8 --mask-shape half --out panel.png`.
        """
        from genvision.diffusion.inpaint import Resampling
        from genvision.pipelines.inpaint import build_fills, inpaint as run_inpaint, load_inputs
        from genvision.pipelines.ldm import load_diffusion
        from genvision.runtime import resolve_device
        from genvision.viz.grid import save_grid
        from genvision.viz.images import save_npy

        dev = resolve_device(device)
        diffusion = load_diffusion(model, dev, precision)
        parts = mask_shape is not None and mask_shape.startswith("part")
        images, label_maps = load_inputs(diffusion, image, data, data_dir, with_label_maps=parts)
        fills = build_fills(images, mask, mask_shape, seed, label_maps)
        conditions = None
        if class_ is not None or prompt is not None:
            one = diffusion.condition(class_label=class_, prompt=prompt)
            conditions = [one] * len(images)
        result = run_inpaint(diffusion, images, fills, sampler=sampler, steps=steps, eta=eta,
                             resample=Resampling.parse(resample), seed=seed, feather=feather,
                             conditions=conditions, guidance=guidance, batch_size=batch_size,
                             trajectory_frames=frames if trajectory else 0)
        save_grid(result.panel().cpu(), ensure_parent(out), nrow=4)
        written = [str(out)]
        if npy is not None:
            save_npy(ensure_parent(npy), result.composite.cpu())
            written.append(str(npy))
        if trajectory is not None:
            traj = result.trajectory.transpose(0, 1).flatten(0, 1).cpu()  # one row per image
            save_grid(traj, ensure_parent(trajectory), nrow=result.trajectory.shape[0])
            written.append(str(trajectory))
        coverage = float(result.fill.mean())
        summary(quiet, f"inpainted {len(images)} image(s) ({coverage:.0%} of pixels filled, {sampler} {steps} steps"
                + (f", resample {resample}" if resample else "") + f"); wrote {', '.join(written)}")
