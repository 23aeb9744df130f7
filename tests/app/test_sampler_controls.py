"""The app's sampler controls come from the sampler table: every row in the Sample tab's dropdown (with its
one-line description), the rows with an inpainting step in the Inpaint tab. The Sample tab opens on the
distilled 2-step student with its bundle's own sampling (the load event sets the controls as picking it does),
and samples with it."""

from __future__ import annotations

import numpy as np
import pytest

from genvision.app.catalog import ModelCatalog
from genvision.app.context import ServerContext
from genvision.app.downloads import Downloads
from genvision.app.limits import UploadLimits
from genvision.app.server import build_app
from genvision.app.views.sample import default_model
from genvision.diffusion.samplers import SAMPLERS, inpainting_samplers

STUDENT, TEACHER = "fashion-ldm-2step", "fashion-ldm"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(demo, {elem_id: block}, catalog) of the app over the shipped models (listed, loaded only when used)."""
    catalog = ModelCatalog.from_refs([], device="cpu")
    demo = build_app(ServerContext(catalog, UploadLimits(), Downloads(tmp_path_factory.mktemp("downloads"))))
    return demo, {block.elem_id: block for block in demo.blocks.values() if block.elem_id}, catalog


def event(demo, output: str, trigger: str):
    """The function gradio runs on `trigger` ("load", "click", ...) that writes the component `output`."""
    return next(
        f.fn
        for f in demo.fns.values()
        if output in [o.elem_id for o in f.outputs] and trigger in [name for _, name in f.targets]
    )


def test_sampler_controls_list_the_table(app):
    _, blocks, _ = app
    sample = blocks["sample-sampler"].choices
    assert [value for _, value in sample] == list(SAMPLERS)
    assert all(label == f"{name}: {SAMPLERS[name].description}" for label, name in sample)
    assert [value for _, value in blocks["inpaint-sampler"].choices] == inpainting_samplers()


def test_sample_tab_opens_on_the_student_with_its_own_sampling(app):
    demo, blocks, catalog = app
    assert blocks["sample-model"].value == STUDENT
    assert default_model(["fashion-cgan", TEACHER]) == TEACHER  # no student: its teacher
    assert default_model(["fashion-cgan", "fashion-vae"]) == "fashion-cgan"  # neither: the first name
    controls = event(demo, "sample-sampler", "load")  # page load and picking a model run the same function
    assert event(demo, "sample-sampler", "input") is controls
    shown = {}
    for name in (STUDENT, TEACHER):
        sampler, steps, label, prompt, guidance, _, trajectory = controls(name)
        assert label["visible"] and prompt["visible"] and guidance["visible"] and trajectory["visible"]
        shown[name] = (sampler["value"], steps["value"], guidance["value"])
        spec = catalog.get(name).spec.sampling  # the bundle's `sampling` block
        assert shown[name] == (spec.sampler, spec.steps, spec.guidance)
    assert shown == {STUDENT: ("ddim", 2, 1.0), TEACHER: ("dpmpp", 10, 3.0)}


def test_the_student_samples_a_class_with_its_trajectory_in_the_app(app):
    demo, blocks, _ = app
    generate = event(demo, "sample-grid", "click")
    # model, sampler, steps, count, seed, class (Bag), prompt, guidance, truncation, trajectory: the open page's
    grid, info, path, files = generate(STUDENT, "ddim", 2, 4, 0, 8, "", 1.0, 1.0, True)
    assert grid.std() > 10, "the sample grid is blank"
    assert f"4 image(s) from **{STUDENT}**" in info and "steps 2" in info and "guidance 1.0" in info, info
    assert path["visible"] and path["value"].std() > 10  # x_T, after one step, x_0 for each sample
    samples = np.load(next(f for f in files if f.endswith(".npy")))
    assert samples.shape == (4, 28, 28) and len({s.tobytes() for s in samples}) == 4
