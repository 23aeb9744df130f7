"""The Edit tab's diffusion mode: pick or upload an image, choose a target class or prompt, a method and a
strength, and see original | reconstruction | edit | DiffEdit mask (DiffusionModel.edit).

The source condition is the picked test image's own class (uploads: the null condition); the mask column is
black for methods without one.
"""

from __future__ import annotations

import gradio as gr
import torch

from genvision.app.context import ServerContext
from genvision.app.images import to_model_input
from genvision.app.views.common import (
    HEAVY,
    from_test_split,
    guarded,
    image_picker,
    report,
    screen_grid,
    uploaded_image,
)
from genvision.errors import GenvisionError
from genvision.generators import DiffusionModel
from genvision.generators.diffusion_editing import EDITS

KINDS = ("ddpm", "ldm")
DEFAULT_MODEL = "fashion-ldm"
COLUMNS = ["original", "reconstruction", "edit", "mask"]


def build(demo: gr.Blocks, ctx: ServerContext) -> None:
    names = ctx.catalog.names(KINDS)
    first = DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else None)
    picked = gr.State(None)  # (uint8 image, its class or None)
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(names, value=first, label="Diffusion model", elem_id="dedit-model")
            picker = image_picker("dedit", "Image")
            target = gr.Dropdown([], label="Target class", elem_id="dedit-target")
            prompt = gr.Textbox(
                label="…or a target prompt", placeholder="e.g. a long summer dress", elem_id="dedit-prompt"
            )
            with gr.Row():
                method = gr.Dropdown(list(EDITS), value="diffedit", label="Method", elem_id="dedit-method")
                steps = gr.Slider(10, 100, value=50, step=5, label="DDIM steps", elem_id="dedit-steps")
            strength = gr.Slider(
                0.05,
                1.0,
                value=0.9,
                step=0.05,
                label="Strength (1: from pure noise)",
                elem_id="dedit-strength",
            )
            run = gr.Button("Edit", variant="primary", elem_id="dedit-run")
        with gr.Column(scale=2):
            panel = gr.Image(
                label=" | ".join(COLUMNS),
                interactive=False,
                format="png",
                elem_id="dedit-panel",
                elem_classes=["pixelated"],
                height=220,
            )
            info = gr.Markdown(elem_id="dedit-info")
            files = gr.File(
                label="Downloads", file_count="multiple", interactive=False, elem_id="dedit-files"
            )

    def diffusion(name: str) -> DiffusionModel:
        return ctx.catalog.get(name, KINDS)

    @guarded
    def controls(name):
        if not name:
            return gr.update()
        m = diffusion(name)
        classes = m.class_names[: m.num_classes] if m.num_classes else []
        return gr.update(choices=classes, value=classes[3] if len(classes) > 3 else None)

    @guarded
    def pick(name, index):
        m = diffusion(name)
        images, labels = from_test_split(m, index)
        image = images[:1]
        return (image, int(labels[0])), screen_grid(image)

    @guarded
    def pick_upload(name, path):
        m = diffusion(name)
        image = to_model_input(uploaded_image(path, ctx.limits), m.image_shape)
        return (image, None), screen_grid(image)

    @guarded
    def run_edit(
        name, chosen, target_class, target_prompt, method_name, n_steps, value, progress=gr.Progress()
    ):
        if chosen is None:
            raise GenvisionError("load a test image or upload one first")
        m = diffusion(name)
        image, label = chosen
        goal = target_prompt.strip() if target_prompt and target_prompt.strip() else target_class
        result = m.edit(
            image,
            source=label if m.num_classes else None,
            target=goal,
            method=method_name,
            strength=float(value) if method_name != "swap" else None,
            steps=int(n_steps),
            progress=report(progress, method_name),
        )
        folder = ctx.downloads.folder()
        saved = ctx.downloads.images(folder, "edit", result.edited)
        cells = result.panel()
        text = (
            f"{method_name} towards {goal!r}: strength {result.info['strength']:g}, guidance "
            f"{result.info['guidance']:g}, {result.info['steps']} steps, {result.info['seconds']:.1f} s"
        )
        if result.fill is not None:
            text += f"; the mask covers {float(result.fill.mean()):.0%} of the image"
        return screen_grid(torch.as_tensor(cells), nrow=4), text, saved

    gr.on([demo.load, model.input], controls, [model], [target], queue=False)
    picker.load.click(pick, [model, picker.index], [picked, panel])
    picker.upload.upload(pick_upload, [model, picker.upload], [picked, panel])
    run.click(
        run_edit, [model, picked, target, prompt, method, steps, strength], [panel, info, files], **HEAVY
    )
