"""Sample tab: a diffusion model, GAN, StyleGAN or VAE with the controls it takes; grid, downloads, path."""

from __future__ import annotations

import time

import gradio as gr

from genvision.app.context import ServerContext
from genvision.app.views.common import (
    HEAVY,
    condition_controls,
    condition_updates,
    guarded,
    label_arg,
    report,
    screen_grid,
)
from genvision.diffusion.samplers import SAMPLERS
from genvision.generators import DiffusionModel, StyleGAN
from genvision.models.kinds import plugin_kind_names
from genvision.workflows.sample import grounding_line

# the bundle kinds this tab offers: the built-in ones, then those of other packages (genvision.plugins; names
# read from their metadata, the plugins themselves are imported when one is chosen)
KINDS = ("ldm", "ddpm", "cgan", "dcgan", "stylegan", "vae", *plugin_kind_names())
# the first of these in the catalog opens the tab: the fastest distilled student that meets its quality targets
# (docs/distillation.md: 2 UNet calls against its teacher's 20), then that teacher
DEFAULT_MODELS = ("fashion-ldm-2step", "fashion-ldm")
TRAJECTORY_FRAMES = 10
TRAJECTORY_ROWS = 4


def default_model(names: list[str]) -> str:
    """The model the tab opens with: the first of DEFAULT_MODELS that `names` lists, else its first name."""
    return next((name for name in DEFAULT_MODELS if name in names), names[0])


def sampler_choices() -> list[tuple[str, str]]:
    """(label, name) for every row of the sampler table: the name and its one-line description."""
    return [(f"{name}: {row.description}", name) for name, row in SAMPLERS.items()]


def build(demo: gr.Blocks, ctx: ServerContext) -> None:
    names = ctx.catalog.names(KINDS)
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                names,
                value=default_model(names),
                label="Model",
                elem_id="sample-model",
            )
            sampler = gr.Dropdown(sampler_choices(), value=None, label="Sampler", elem_id="sample-sampler")
            steps = gr.Slider(1, 1000, value=20, step=1, label="Steps", elem_id="sample-steps")
            count = gr.Slider(1, 64, value=16, step=1, label="Images", elem_id="sample-count")
            seed = gr.Number(
                ctx.seed,
                precision=0,
                label="Seed (image k is the same whatever the count)",
                elem_id="sample-seed",
            )
            label, prompt, guidance = condition_controls("sample")
            truncation = gr.Slider(
                0.0,
                1.5,
                value=1.0,
                step=0.05,
                label="Truncation ψ (1: none)",
                elem_id="sample-truncation",
                visible=False,
            )
            trajectory = gr.Checkbox(
                False, label="Show the denoising trajectory (x_T → x_0)", elem_id="sample-trajectory"
            )
            run = gr.Button("Generate", variant="primary", elem_id="sample-run")
        with gr.Column(scale=2):
            grid = gr.Image(
                label="Samples",
                interactive=False,
                format="png",
                elem_id="sample-grid",
                elem_classes=["pixelated"],
            )
            info = gr.Markdown(elem_id="sample-info")
            path = gr.Image(
                label="Trajectory: one row per sample, x_T on the left",
                interactive=False,
                format="png",
                visible=False,
                elem_id="sample-path",
                elem_classes=["pixelated"],
            )
            files = gr.File(
                label="Downloads (PNG grid, uint8 .npy)",
                file_count="multiple",
                interactive=False,
                elem_id="sample-files",
            )

    @guarded
    def controls(name: str):
        """Show the controls the chosen model takes, with its bundle's defaults."""
        m = ctx.catalog.get(name, KINDS)
        diffusion = isinstance(m, DiffusionModel)
        settings = m.settings() if diffusion else None
        return (
            gr.update(
                visible=diffusion, choices=sampler_choices(), value=settings.sampler if diffusion else None
            ),
            gr.update(
                visible=diffusion,
                maximum=m.schedule.num_timesteps if diffusion else 1000,
                value=settings.steps if diffusion else 20,
            ),
            *condition_updates(m),
            gr.update(visible=isinstance(m, StyleGAN)),
            gr.update(visible=diffusion, value=False),
        )

    @guarded
    def default_steps(name: str, sampler_name: str | None):
        m = ctx.catalog.get(name, KINDS)
        if not isinstance(m, DiffusionModel) or not sampler_name:
            return gr.update()
        return gr.update(value=m.settings(sampler=sampler_name).steps)

    @guarded
    def generate(
        name,
        sampler_name,
        n_steps,
        n,
        seed_value,
        class_value,
        text,
        scale,
        psi,
        with_path,
        progress=gr.Progress(),
    ):
        m = ctx.catalog.get(name, KINDS)
        n, seed_value = int(n), int(seed_value or 0)
        started = time.perf_counter()
        label = label_arg(class_value) if m.num_classes else None  # the dropdown is hidden for the rest
        if isinstance(m, DiffusionModel):
            conditioned = label_arg(class_value) is not None or bool(text)
            result = m.sample(
                n,
                seed=seed_value,
                label=label_arg(class_value),
                prompt=text or None,
                guidance=scale if conditioned else None,
                sampler=sampler_name,
                steps=int(n_steps),
                trajectory=TRAJECTORY_FRAMES if with_path else 0,
                trajectory_rows=TRAJECTORY_ROWS,
                progress=report(progress, grounding_line(m, text or None, None) or f"sampling {n} image(s)"),
            )
        elif isinstance(m, StyleGAN):  # truncation, and a class when its mapping network is class-conditional
            result = m.sample(n, seed=seed_value, truncation=float(psi), label=label)
        else:  # GAN, a VAE (it samples its prior), a plugin's kind
            result = m.sample(n, seed=seed_value, label=label)
        seconds = time.perf_counter() - started
        how = ", ".join(f"{k} {v}" for k, v in result.info.items())
        shown = gr.update(visible=False, value=None)
        if result.trajectory is not None:
            rows, frames = result.trajectory.shape[:2]
            shown = gr.update(visible=True, value=screen_grid(result.trajectory.flatten(0, 1), nrow=frames))
        folder = ctx.downloads.folder()
        return (
            screen_grid(result.images),
            f"{n} image(s) from **{name}** in {seconds:.1f} s ({how})",
            shown,
            ctx.downloads.images(folder, "samples", result.images),
        )

    gr.on(
        [demo.load, model.input],
        controls,
        [model],
        [sampler, steps, label, prompt, guidance, truncation, trajectory],
        queue=False,
    )
    sampler.input(default_steps, [model, sampler], [steps], queue=False)
    run.click(
        generate,
        [model, sampler, steps, count, seed, label, prompt, guidance, truncation, trajectory],
        [grid, info, path, files],
        **HEAVY,
    )
