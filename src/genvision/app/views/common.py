"""What the tabs share: error and progress adapters, image pickers, condition controls.

    @guarded
    def run(name, progress=gr.Progress()):
        model.sample(..., progress=report(progress, "sampling"))  # GenvisionError → one message
    button.click(run, [model], [image], **HEAVY)                     # one model at a time on the server

Each tab module builds its controls with these.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
import numpy as np
import torch

from genvision.app.limits import UploadLimits, read_upload
from genvision.data import load_images_from_ref
from genvision.errors import GenvisionError
from genvision.generators import DiffusionModel, Progress
from genvision.viz.grid import make_grid
from genvision.viz.images import to_uint8

log = logging.getLogger("genvision.app")

# Events that run a model share one worker, so one CPU is never asked to run two models at once.
HEAVY = {"concurrency_id": "model", "concurrency_limit": 1}
ANY_CLASS = -1  # the class dropdown's "(any)" entry
SCREEN_WIDTH = 720  # about how wide result grids are shown


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def guarded(fn: Callable) -> Callable:
    """fn with its failures turned into one readable message in the browser (gr.Error), never a traceback:
    a GenvisionError shows its message; anything else its type and message (the traceback goes to the log)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except GenvisionError as exc:
            raise gr.Error(one_line(exc), print_exception=False) from None
        except Exception as exc:  # a bug, not a user mistake: keep the traceback on the server
            log.exception("error in %s", fn.__name__)
            message = f"unexpected {type(exc).__name__}: {one_line(exc)} (the server log has the details)"
            raise gr.Error(message, print_exception=False) from None

    return run


def report(progress: gr.Progress, desc: str) -> Progress:
    """An API progress callback (done, total) that moves a gradio progress bar."""
    return lambda done, total: progress(done / max(total, 1), desc=desc)


def screen_grid(images: torch.Tensor, nrow: int | None = None) -> np.ndarray:
    """uint8 [H', W'] or [H', W', 3]: a grid enlarged by an integer factor to about SCREEN_WIDTH wide, so
    model pixels stay square blocks on screen."""
    n, _, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    scale = max(1, min(10, SCREEN_WIDTH // (nrow * (w + 2))))
    grid = make_grid(images, nrow=nrow, scale=scale)
    return grid[..., 0] if grid.shape[-1] == 1 else grid


# --- picking an input image -------------------------------------------------------------------------------
@dataclass
class ImagePicker:
    """A test-set index with a Load button, and an upload box (gradio stores the file; we get its copy)."""

    index: gr.Number
    load: gr.Button
    upload: gr.Image


def image_picker(prefix: str, label: str = "Test image", first: int = 0) -> ImagePicker:
    with gr.Row(equal_height=True):
        index = gr.Number(
            first,
            precision=0,
            minimum=0,
            label=f"{label}: index in the model's test set",
            elem_id=f"{prefix}-index",
            scale=3,
        )
        load = gr.Button("Load", elem_id=f"{prefix}-load", scale=1)
    upload = gr.Image(
        type="filepath",
        image_mode=None,
        sources=["upload"],
        label="…or upload an image",
        elem_id=f"{prefix}-upload",
        height=140,
        buttons=[],
    )
    return ImagePicker(index, load, upload)


def from_test_split(model, start: float | int | None, count: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(images [count, C, H, W] in [-1, 1], labels): test images start … start+count-1 of the model's data."""
    if start is None or int(start) < 0:
        raise GenvisionError("give a test image index of 0 or more")
    dataset = model.spec.data.dataset or "fashion-mnist"
    images, labels, _ = load_images_from_ref(f"{dataset}:test:{int(start)}-{int(start) + int(count)}")
    return images, labels


def dataset_image(model, index: float | int | None) -> np.ndarray:
    """uint8 [H, W] or [H, W, C] of test image `index` of the model's data set."""
    arr = to_uint8(from_test_split(model, index)[0])[0]
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def uploaded_image(path: str | None, limits: UploadLimits) -> np.ndarray:
    if not path:
        raise GenvisionError("no image uploaded")
    return read_upload(path, limits)


# --- conditions: class, prompt, guidance ----------------------------------------------------------------
def class_choices(model) -> list[tuple[str, int]]:
    names = model.class_names or []
    named = [(names[i] if i < len(names) else str(i), i) for i in range(model.num_classes)]
    return [("(any)", ANY_CLASS)] + named


def label_arg(value: int | None) -> int | None:
    return None if value is None or int(value) == ANY_CLASS else int(value)


def condition_updates(model) -> tuple[dict, dict, dict]:
    """gr.update()s of the class dropdown, prompt box and guidance slider: shown where the model uses them."""
    diffusion = isinstance(model, DiffusionModel)
    text = diffusion and model.takes_text
    guided = diffusion and (model.num_classes > 0 or text)
    guidance = model.settings(conditioned=True).guidance if guided else 1.0
    return (
        gr.update(visible=model.num_classes > 0, choices=class_choices(model), value=ANY_CLASS),
        gr.update(visible=text, value=""),
        gr.update(visible=guided, value=guidance),
    )


def condition_controls(prefix: str) -> tuple[gr.Dropdown, gr.Textbox, gr.Slider]:
    label = gr.Dropdown(
        [("(any)", ANY_CLASS)], value=ANY_CLASS, label="Class", elem_id=f"{prefix}-class", visible=False
    )
    prompt = gr.Textbox(
        label="Prompt", placeholder="e.g. a pair of sneakers", elem_id=f"{prefix}-prompt", visible=False
    )
    guidance = gr.Slider(
        0.0,
        10.0,
        value=1.0,
        step=0.5,
        label="Guidance scale (1: none)",
        elem_id=f"{prefix}-guidance",
        visible=False,
    )
    return label, prompt, guidance
