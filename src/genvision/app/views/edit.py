"""Edit tab: invert a picked or uploaded image into a StyleGAN, move sliders over fitted directions and see
the edit at once; interpolate between two inverted images; below, the diffusion mode (views/diffusion_edit.py).

Directions are fitted on first use (InterFaceGAN on `DIRECTION_SAMPLES` sampled codes) and cached by the
model; the edit is w + Σ αᵢ nᵢ over the sliders, rendered with StyleGAN.edit.
"""

from __future__ import annotations

import gradio as gr
import torch

from genvision.app.context import ServerContext
from genvision.app.images import to_model_input
from genvision.app.views import diffusion_edit
from genvision.app.views.common import (
    HEAVY,
    dataset_image,
    guarded,
    image_picker,
    report,
    screen_grid,
    uploaded_image,
)
from genvision.errors import GenvisionError
from genvision.generators import Inversion, StyleGAN
from genvision.metrics.image_quality import psnr

KINDS = ("stylegan",)  # the bundle kinds this tab offers
METHODS = ("encoder+optimize", "encoder", "optimize")
SLIDERS = 4
DIRECTION_SAMPLES = 500
PREFERRED = ("brightness", "class:trouser", "class:sneaker", "class:bag")


def directions_of(model: StyleGAN) -> list[str]:
    """The attributes offered for a model: brightness, then one class direction per class name."""
    return ["brightness"] + [f"class:{name.lower()}" for name in model.class_names or []]


def default_directions(model: StyleGAN) -> list[str]:
    offered = directions_of(model)
    picks = [d for d in PREFERRED if d in offered]
    picks += [d for d in offered if d not in picks]
    return (picks + [offered[0]] * SLIDERS)[:SLIDERS]


def build(demo: gr.Blocks, ctx: ServerContext) -> None:
    names = ctx.catalog.names(KINDS)
    codes = gr.State(None)  # the Inversion of image A, server side
    image_a, image_b = gr.State(None), gr.State(None)  # uint8 arrays of the picked images
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                names, value=names[0] if names else None, label="StyleGAN", elem_id="edit-model"
            )
            picker = image_picker("edit", "Image A")
            with gr.Row():
                method = gr.Dropdown(
                    list(METHODS),
                    value=METHODS[0],
                    label="Inversion",
                    info="encoder: instant; encoder+optimize: a few seconds, closer",
                    elem_id="edit-method",
                )
                steps = gr.Slider(
                    10, 500, value=50, step=10, label="Optimisation steps", elem_id="edit-steps"
                )
            invert = gr.Button("Invert", variant="primary", elem_id="edit-invert")
        with gr.Column(scale=2):
            inverted = gr.Image(
                label="Original | reconstruction G(w)",
                interactive=False,
                format="png",
                elem_id="edit-inverted",
                elem_classes=["pixelated"],
                height=220,
            )
            info = gr.Markdown(elem_id="edit-info")
    with gr.Row():
        with gr.Column(scale=1):
            attributes, strengths = [], []
            for i in range(SLIDERS):
                with gr.Row(equal_height=True):
                    attributes.append(
                        gr.Dropdown([], label=f"Direction {i + 1}", elem_id=f"edit-direction-{i}", scale=1)
                    )
                    strengths.append(
                        gr.Slider(
                            -3.0,
                            3.0,
                            value=0.0,
                            step=0.25,
                            label="Strength",
                            elem_id=f"edit-strength-{i}",
                            scale=2,
                        )
                    )
            reset = gr.Button("Reset sliders", elem_id="edit-reset")
        with gr.Column(scale=1):
            edited = gr.Image(
                label="Edited",
                interactive=False,
                format="png",
                elem_id="edit-edited",
                elem_classes=["pixelated"],
                height=260,
            )
    gr.Markdown("### Interpolate from image A to image B")
    with gr.Row():
        with gr.Column(scale=1):
            picker_b = image_picker("edit-b", "Image B", first=1)
            preview_b = gr.Image(
                label="Image B",
                interactive=False,
                format="png",
                height=120,
                elem_id="edit-preview-b",
                elem_classes=["pixelated"],
            )
            frames = gr.Slider(3, 16, value=8, step=1, label="Frames", elem_id="edit-frames")
            interpolate = gr.Button("Interpolate", elem_id="edit-interpolate")
        with gr.Column(scale=2):
            strip = gr.Image(
                label="A → B in W+",
                interactive=False,
                format="png",
                elem_id="edit-strip",
                elem_classes=["pixelated"],
            )
            files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="edit-files")

    gr.Markdown("### Edit a real image with a diffusion model (DiffEdit, SDEdit, swap)")
    diffusion_edit.build(demo, ctx)

    def stylegan(name: str) -> StyleGAN:
        return ctx.catalog.get(name, KINDS)

    @guarded
    def controls(name: str):
        m = stylegan(name)
        offered = directions_of(m)
        return [gr.update(choices=offered, value=d) for d in default_directions(m)] + [None]

    def fit(m: StyleGAN, image, method_name: str, n_steps, progress: gr.Progress) -> Inversion:
        x = to_model_input(image, m.image_shape)
        return m.invert(x, method=method_name, steps=int(n_steps), progress=report(progress, "inverting"))

    @guarded
    def run_inversion(name, image, method_name, n_steps, progress=gr.Progress()):
        m = stylegan(name)
        if image is None:
            raise GenvisionError("load a test image or upload one first")
        found = fit(m, image, method_name, n_steps, progress)
        original = to_model_input(image, m.image_shape)
        quality = float(psnr(original, found.images)[0])
        text = (
            f"inverted in {found.seconds:.1f} s ({found.info['method']}, {found.info['steps']} steps, "
            f"{found.info['space']}); reconstruction PSNR {quality:.1f} dB"
        )
        return found, screen_grid(torch.cat([original, found.images]), nrow=2), text

    @guarded
    def apply_edit(name, found: Inversion | None, *values, progress=gr.Progress()):
        if found is None:  # nothing inverted yet: the sliders have nothing to move
            return gr.update()
        m = stylegan(name)
        pairs = [(a, float(s)) for a, s in zip(values[:SLIDERS], values[SLIDERS:]) if a and float(s) != 0.0]
        step = torch.zeros(found.ws.shape[-1])
        for attribute, strength in pairs:
            progress(0, desc=f"direction {attribute} (fitted once per server)")
            step += strength * m.direction(attribute, samples=DIRECTION_SAMPLES)
        if not step.any():
            return screen_grid(m.synthesize(found.ws, found.noise))
        return screen_grid(m.edit(found, step, float(step.norm())))

    @guarded
    def run_interpolation(
        name, found: Inversion | None, image_b, method_name, n_steps, n_frames, progress=gr.Progress()
    ):
        if found is None:
            raise GenvisionError("invert image A first")
        if image_b is None:
            raise GenvisionError("load or upload image B first")
        m = stylegan(name)
        end = fit(m, image_b, method_name, n_steps, progress)
        result = m.interpolate(found.ws[0], end.ws[0], steps=int(n_frames))
        n = len(result.images)
        files = ctx.downloads.images(ctx.downloads.folder(), "interpolation", result.images, nrow=n)
        return screen_grid(result.images, nrow=n), files

    @guarded
    def pick(name, index):
        image = dataset_image(stylegan(name), index)
        return image, screen_grid(to_model_input(image, stylegan(name).image_shape))

    @guarded
    def pick_upload(name, path):
        image = uploaded_image(path, ctx.limits)
        return image, screen_grid(to_model_input(image, stylegan(name).image_shape))

    gr.on([demo.load, model.input], controls, [model], attributes + [codes], queue=False)
    inversion = dict(
        fn=run_inversion, inputs=[model, image_a, method, steps], outputs=[codes, inverted, info], **HEAVY
    )
    edit = dict(
        fn=apply_edit,
        inputs=[model, codes] + attributes + strengths,
        outputs=[edited],
        trigger_mode="always_last",
        **HEAVY,
    )
    picker.load.click(pick, [model, picker.index], [image_a, inverted]).success(**inversion).success(**edit)
    picker.upload.upload(pick_upload, [model, picker.upload], [image_a, inverted]).success(
        **inversion
    ).success(**edit)
    invert.click(**inversion).success(**edit)
    for attribute in attributes:
        attribute.input(**edit)
    for strength in strengths:
        strength.change(**edit)
    reset.click(lambda: [0.0] * SLIDERS, None, strengths, queue=False)
    picker_b.load.click(pick, [model, picker_b.index], [image_b, preview_b])
    picker_b.upload.upload(pick_upload, [model, picker_b.upload], [image_b, preview_b])
    interpolate.click(
        run_interpolation, [model, codes, image_b, method, steps, frames], [strip, files], **HEAVY
    )
