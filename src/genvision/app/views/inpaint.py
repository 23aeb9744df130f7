"""Inpaint tab: pick or upload an image, paint the hole (or start from a preset mask), run a diffusion model,
see original | masked | inpainted | composite and step through the denoising process.

The image the model sees is kept on the server (gr.State) at the model's resolution; the browser sends back
only the painted layer, which becomes the fill mask (images.fill_from_layer).
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from genvision.app.context import ServerContext
from genvision.app.images import (
    DISPLAY_SIDE,
    as_rgb,
    display_scale,
    enlarge,
    fill_from_layer,
    fill_png,
    layer_from_fill,
    to_model_input,
)
from genvision.app.views.common import (
    HEAVY,
    condition_controls,
    condition_updates,
    dataset_image,
    guarded,
    image_picker,
    label_arg,
    report,
    screen_grid,
    uploaded_image,
)
from genvision.data.masks import make_fills
from genvision.diffusion.samplers import inpainting_samplers
from genvision.errors import GenvisionError

KINDS = ("ddpm", "ldm")  # the bundle kinds this tab offers
DEFAULT_MODEL = "fashion-ddpm"
PRESETS = ("box", "center", "half", "strokes")
FRAMES = 12
BRUSH_RADIUS = 14  # canvas pixels: a stroke about three model pixels wide at 28 × 28


def editor_value(source: np.ndarray, shape: tuple[int, int, int], fill=None) -> dict:
    """What the editor shows: the model input enlarged, with an optional fill mask painted as a layer."""
    scale = display_scale(*shape[1:])
    background = enlarge(as_rgb(to_model_input(source, shape))[0], scale)
    layers = [] if fill is None else [layer_from_fill(fill, scale)]
    return {"background": background, "layers": layers, "composite": None}


def build(demo: gr.Blocks, ctx: ServerContext) -> None:
    names = ctx.catalog.names(KINDS)
    source = gr.State(None)  # uint8 [H, W(, C)] of the picked image, server side
    frames = gr.State([])  # the trajectory as screen images
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                names,
                value=DEFAULT_MODEL if DEFAULT_MODEL in names else names[0],
                label="Model",
                elem_id="inpaint-model",
            )
            picker = image_picker("inpaint")
            with gr.Row(equal_height=True):
                preset = gr.Dropdown(
                    list(PRESETS), value="center", label="Preset mask", elem_id="inpaint-preset", scale=2
                )
                use_preset = gr.Button("Use preset", elem_id="inpaint-use-preset", scale=1)
                clear = gr.Button("Clear mask", elem_id="inpaint-clear", scale=1)
            sampler = gr.Radio(
                inpainting_samplers(), value="ddim", label="Sampler", elem_id="inpaint-sampler"
            )
            steps = gr.Slider(2, 1000, value=20, step=1, label="Steps", elem_id="inpaint-steps")
            seed = gr.Number(ctx.seed, precision=0, label="Seed", elem_id="inpaint-seed")
            label, prompt, guidance = condition_controls("inpaint")
            run = gr.Button("Inpaint", variant="primary", elem_id="inpaint-run")
        with gr.Column(scale=2):
            brush = gr.Brush(default_size=BRUSH_RADIUS, colors=["#ff3b3b"], color_mode="fixed")
            editor = gr.ImageEditor(
                label="Paint the region to fill",
                interactive=True,
                sources=(),
                transforms=(),
                layers=False,
                type="numpy",
                image_mode="RGBA",
                format="png",
                canvas_size=(DISPLAY_SIDE, DISPLAY_SIDE),
                fixed_canvas=True,
                buttons=[],
                brush=brush,
                eraser=gr.Eraser(default_size=BRUSH_RADIUS),
                elem_id="inpaint-canvas",
            )
            panel = gr.Image(
                label="Original | masked | inpainted | composite",
                interactive=False,
                format="png",
                elem_id="inpaint-panel",
                elem_classes=["pixelated"],
            )
            info = gr.Markdown(elem_id="inpaint-info")
            step = gr.Slider(
                0,
                FRAMES - 1,
                value=0,
                step=1,
                elem_id="inpaint-step",
                label="Denoising step (decoded x_t, noise → image)",
            )
            frame = gr.Image(
                label="At this step",
                interactive=False,
                format="png",
                height=200,
                elem_id="inpaint-frame",
                elem_classes=["pixelated"],
            )
            files = gr.File(
                label="Downloads (panel PNG, composite .npy, fill mask PNG)",
                file_count="multiple",
                interactive=False,
                elem_id="inpaint-files",
            )

    @guarded
    def controls(name: str):
        m = ctx.catalog.get(name, KINDS)
        return (gr.update(maximum=m.schedule.num_timesteps), *condition_updates(m))

    @guarded
    def from_dataset(name: str, index):
        m = ctx.catalog.get(name, KINDS)
        image = dataset_image(m, index)
        return image, editor_value(image, m.image_shape)

    @guarded
    def from_upload(name: str, path: str | None):
        m = ctx.catalog.get(name, KINDS)
        image = uploaded_image(path, ctx.limits)
        return image, editor_value(image, m.image_shape)

    @guarded
    def with_preset(name: str, image, spec: str, seed_value):
        m = ctx.catalog.get(name, KINDS)
        _, h, w = m.image_shape
        fill = make_fills(spec, 1, h, w, seed=int(seed_value or 0))[0, 0]
        return editor_value(needs_image(image), m.image_shape, fill)

    @guarded
    def without_mask(name: str, image):
        return editor_value(needs_image(image), ctx.catalog.get(name, KINDS).image_shape)

    @guarded
    def inpaint(
        name,
        image,
        painted,
        sampler_name,
        n_steps,
        seed_value,
        class_value,
        text,
        scale,
        progress=gr.Progress(),
    ):
        m = ctx.catalog.get(name, KINDS)
        x = to_model_input(needs_image(image), m.image_shape)
        layers = (painted or {}).get("layers") or []
        fill = fill_from_layer(layers[0] if layers else None, m.image_shape[1:])
        if not fill.any():
            raise GenvisionError("paint the region to fill on the image (or click 'Use preset') first")
        conditioned = label_arg(class_value) is not None or bool(text)
        started = time.perf_counter()
        result = m.inpaint(
            x,
            fill,
            seed=int(seed_value or 0),
            sampler=sampler_name,
            steps=int(n_steps),
            label=label_arg(class_value),
            prompt=text or None,
            guidance=scale if conditioned else None,
            trajectory=FRAMES,
            progress=report(progress, "inpainting"),
        )
        seconds = time.perf_counter() - started
        frames = [] if result.trajectory is None else result.trajectory.unbind(1)  # [N, frames, ...]
        shown = [screen_grid(f, nrow=1) for f in frames]
        folder = ctx.downloads.folder()
        downloads = [
            ctx.downloads.images(folder, "inpainting", result.panel(), nrow=4)[0],
            ctx.downloads.images(folder, "composite", result.composite)[1],
            ctx.downloads.png(folder, "fill.png", fill_png(fill)),
        ]
        how = ", ".join(f"{k} {v}" for k, v in (result.info or {}).items())
        text_info = f"{int(fill.sum())} pixel(s) filled by **{name}** in {seconds:.1f} s ({how})"
        last = max(len(shown) - 1, 0)
        return (
            screen_grid(result.panel(), nrow=4),
            text_info,
            gr.update(maximum=last, value=last),
            shown[-1] if shown else None,
            shown,
            downloads,
        )

    def show_step(shown: list, index) -> np.ndarray | None:
        return shown[min(int(index), len(shown) - 1)] if shown else None

    gr.on([demo.load, model.input], controls, [model], [steps, label, prompt, guidance], queue=False)
    picker.load.click(from_dataset, [model, picker.index], [source, editor], **HEAVY)
    picker.upload.upload(from_upload, [model, picker.upload], [source, editor], **HEAVY)
    use_preset.click(with_preset, [model, source, preset, seed], [editor])
    clear.click(without_mask, [model, source], [editor])
    run.click(
        inpaint,
        [model, source, editor, sampler, steps, seed, label, prompt, guidance],
        [panel, info, step, frame, frames, files],
        **HEAVY,
    )
    step.change(show_step, [frames, step], [frame], show_progress="hidden")


def needs_image(image: np.ndarray | None) -> np.ndarray:
    if image is None:
        raise GenvisionError("load a test image or upload one first")
    return image
