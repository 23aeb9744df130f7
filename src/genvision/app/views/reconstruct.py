"""Reconstruct tab: a row of test images (or one upload) through an autoencoder or VAE, decode(encode(x))."""

from __future__ import annotations

import time

import gradio as gr
import torch

from genvision.app.context import ServerContext
from genvision.app.images import to_model_input
from genvision.app.views.common import HEAVY, from_test_split, guarded, screen_grid, uploaded_image
from genvision.metrics.image_quality import reconstruction_metrics

KINDS = ("autoencoder", "vae", "vqvae")  # the bundle kinds this tab offers
MAX_IMAGES = 32


def build(demo: gr.Blocks, ctx: ServerContext) -> None:
    names = ctx.catalog.names(KINDS)
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(
                names, value=names[0] if names else None, label="Autoencoder", elem_id="reconstruct-model"
            )
            with gr.Row():
                start = gr.Number(
                    0, precision=0, minimum=0, label="First test image", elem_id="reconstruct-start"
                )
                count = gr.Slider(1, MAX_IMAGES, value=8, step=1, label="Images", elem_id="reconstruct-count")
            run = gr.Button("Reconstruct test images", variant="primary", elem_id="reconstruct-run")
            upload = gr.Image(
                type="filepath",
                image_mode=None,
                sources=["upload"],
                label="…or upload an image",
                elem_id="reconstruct-upload",
                height=140,
                buttons=[],
            )
        with gr.Column(scale=2):
            grid = gr.Image(
                label="Originals (top) and reconstructions (bottom)",
                interactive=False,
                format="png",
                elem_id="reconstruct-grid",
                elem_classes=["pixelated"],
            )
            info = gr.Markdown(elem_id="reconstruct-info")
            files = gr.File(
                label="Downloads (PNG grid, reconstructions .npy)",
                file_count="multiple",
                interactive=False,
                elem_id="reconstruct-files",
            )

    def show(name: str, images: torch.Tensor, labels: torch.Tensor | None = None):
        m = ctx.catalog.get(name, KINDS)
        started = time.perf_counter()
        result = m.reconstruct(images, labels if m.conditional else None)
        seconds = time.perf_counter() - started
        scores = reconstruction_metrics(images, result.images)
        quality = ", ".join(f"{k.upper()} {v:.3g}{' dB' if k == 'psnr' else ''}" for k, v in scores.items())
        folder = ctx.downloads.folder()
        n = len(images)
        both = torch.cat([images, result.images])
        downloads = [
            ctx.downloads.images(folder, "reconstruction", both, nrow=n)[0],
            ctx.downloads.images(folder, "reconstruction", result.images)[1],
        ]
        text = (
            f"{n} image(s) through **{name}** (latent {result.info['latent']}) in {seconds:.2f} s: {quality}"
        )
        return screen_grid(both, nrow=n), text, downloads

    @guarded
    def from_dataset(name: str, first, n):
        return show(name, *from_test_split(ctx.catalog.get(name, KINDS), first, int(n)))

    @guarded
    def from_upload(name: str, path: str | None):
        m = ctx.catalog.get(name, KINDS)
        return show(name, to_model_input(uploaded_image(path, ctx.limits), m.image_shape))

    run.click(from_dataset, [model, start, count], [grid, info, files], **HEAVY)
    upload.upload(from_upload, [model, upload], [grid, info, files], **HEAVY)
