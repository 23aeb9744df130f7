"""The playground page in chromium: its JavaScript samplers against Python's, on the very files the page
loaded (the site's gzipped export, unpacked) and the same initial noise; the issue's targets (download size per
model, 16 samples' time after load); the page opens on the 2-step student with its bundle's sampling (2 UNet
calls of 16 rows, no unconditional pass); inpainting changes only what was painted; StyleGAN sliders; file://.

Timings on a shared 2-core machine vary; the test asserts them with GENVISION_TIMING_SLACK (default 3) times
the target's headroom and prints what it measured; benchmarks/browser_playground.py measures them alone.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import genvision
from genvision.diffusion.samplers import sample as run_sampler
from genvision.viz.images import to_uint8
from tests.docs.conftest import serve

pytestmark = pytest.mark.slow  # the built site (tests/docs/conftest.py) and chromium

SLACK = float(os.environ.get("GENVISION_TIMING_SLACK", "3"))
STUDENT = "fashion-ldm-2step"  # the model the page opens on
LDM_SECONDS, STYLEGAN_SECONDS, MAX_DOWNLOAD_MB = 5.0, 1.0, 20.0
READY = "['ready', 'error'].includes(document.getElementById('gv-playground').dataset.state)"
DONE = "['done', 'error'].includes(document.getElementById('gv-playground').dataset.state)"
# wrap the loaded model's UNet session so that GV.playground.state.model.calls lists each call's batch size
COUNT_UNET_CALLS = """() => { const m = GV.playground.state.model, run = m.unet.run.bind(m.unet); m.calls = [];
  m.unet.run = (feeds, options) => { m.calls.push(feeds.x.dims[0]); return run(feeds, options); }; }"""


def unpacked(site: Path, name: str, folder: Path) -> Path:
    """The export the page downloads (site/playground/models/NAME/*.gz), gunzipped into `folder`."""
    source = site / "playground" / "models" / name
    for gz in source.rglob("*.gz"):
        target = folder / gz.relative_to(source).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(gz.read_bytes()))
    return folder


def open_playground(browser, url: str, model: str | None = "fashion-ldm", isolated: bool = False):
    """(context, page) with `model` loaded (None: the page's default, which must be STUDENT); fails on the
    page's own error message."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(240_000)
    page.goto(url + ("" if url.endswith(".html") else "playground/") + (f"?model={model}" if model else ""))
    page.wait_for_function(READY)
    assert page.evaluate("GV.playground.state.model?.name") == (model or STUDENT), page.text_content(
        "#gv-status"
    )
    state = page.get_attribute("#gv-playground", "data-state")
    assert state == "ready", page.text_content("#gv-status")
    assert not errors, errors
    return context, page


def js_sample(page, **options) -> np.ndarray:
    """The page's model.sample(options) as uint8 [N, H, W] (noise: a torch tensor, the initial x_T)."""
    options["noise"] = options["noise"].flatten().tolist()
    values = page.evaluate(
        "async o => Array.from(await GV.playground.state.model.sample(o))", {"seed": 0, **options}
    )
    shape = page.evaluate("GV.playground.state.model.imageShape")
    images = torch.tensor(values, dtype=torch.float32).reshape(options["count"], *shape)
    return to_uint8(images)[..., 0]


def python_sample(model, noise, *, sampler, steps, guidance, label=None, caption=None) -> np.ndarray:
    """The same run in Python: the library's sampler over the onnxruntime UNet of the export folder."""
    condition = model.condition(label=label, prompt=caption)
    x0 = run_sampler(
        sampler,
        model.model_fn([condition] * len(noise), guidance),
        model.schedule,
        noise,
        prediction=model.prediction,
        steps=steps,
        spacing="trailing",
        clip_x0=model.clip_x0,
    )
    return to_uint8(model.decode(x0))[..., 0]


CASES = [  # model, sampler, steps, guidance, class label, caption index
    ("fashion-ldm", "dpmpp", 10, 3.0, 7, None),
    ("fashion-ldm", "ddim", 10, 3.0, None, 0),
    (STUDENT, "ddim", 2, 1.0, 7, None),
    ("fashion-ddpm", "dpmpp", 10, 1.0, None, None),
    ("fashion-ddpm", "ddim", 20, 1.0, None, None),
]


def test_javascript_samplers_match_python_onnxruntime(browser, site, site_url, tmp_path):
    context, page = open_playground(browser, site_url)
    worst = {}
    try:
        for name, sampler, steps, guidance, label, caption in CASES:
            if page.evaluate("GV.playground.state.model.name") != name:
                page.evaluate("name => GV.playground.load(name)", name)
            model = genvision.load(unpacked(site, name, tmp_path / name), device="cpu")
            prompt = None if caption is None else model.exported_captions["prompts"][caption]
            noise = torch.randn(4, *model.latent_shape, generator=torch.Generator().manual_seed(1))
            ours = js_sample(
                page, noise=noise, count=4, sampler=sampler, steps=steps, guidance=guidance,
                label=label, caption=caption,
            )  # fmt: skip
            theirs = python_sample(
                model, noise, sampler=sampler, steps=steps, guidance=guidance, label=label, caption=prompt
            )
            diff = np.abs(ours.astype(int) - theirs.astype(int))
            worst[f"{name} {sampler}"] = int(diff.max())
            assert diff.max() <= 2, f"{name} {sampler}: JS and Python differ by {diff.max()}/255"
            assert theirs.std() > 20  # real pictures, not a blank both sides agree on
    finally:
        context.close()
    print("largest |JS - Python| per pixel, of 255:", worst)


def sampling_inputs(page) -> tuple[str, int, float]:
    return (
        page.input_value("#gv-sampler"),
        int(page.input_value("#gv-steps")),
        float(page.input_value("#gv-guidance")),
    )


def test_targets_download_and_time(browser, site_url, artifacts):
    """A fresh page per model (the first: the page's default): bytes over the wire for that model, then 16
    samples with the defaults, the UNet's calls counted; then the default page switched to the teacher."""
    measured = {}
    for asked, target in (
        (None, LDM_SECONDS),
        ("fashion-ldm", LDM_SECONDS),
        ("fashion-stylegan", STYLEGAN_SECONDS),
    ):
        name = asked or STUDENT
        context, page = open_playground(browser, site_url, asked)
        try:
            if name != "fashion-stylegan":
                page.evaluate(COUNT_UNET_CALLS)
            page.select_option("#gv-condition", "class:7")  # sneakers: guided, the heavier case
            page.click("#gv-run")
            page.wait_for_function(DONE)
            run = page.evaluate("GV.playground.state.lastRun")
            downloaded = page.evaluate(
                "performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
                ".reduce((sum, e) => sum + e.transferSize, 0)"
            )
            page.screenshot(path=str(artifacts / f"playground_{name}.png"), full_page=True)
            calls = page.evaluate("GV.playground.state.model.calls || null")
            images = np.array(page.evaluate("Array.from(GV.playground.state.images)"))
            shown = sampling_inputs(page)
            if asked is None:  # choosing the teacher sets its own defaults
                page.select_option("#gv-model", "fashion-ldm")
                page.wait_for_function("GV.playground.state.model?.name === 'fashion-ldm'")
                teacher_shown = sampling_inputs(page)
        finally:
            context.close()
        measured[name] = {
            "seconds": run["ms"] / 1000,
            "mb": downloaded / 1e6,
            "unet batches": calls,
            "inputs": shown,
        }
        assert run["count"] == 16 and run["model"] == name
        assert images.size == 16 * 28 * 28 and images.std() > 0.3, "16 images, not a blank grid"
        assert run["ms"] / 1000 <= target * SLACK, f"{name}: 16 samples took {run['ms'] / 1000:.2f} s"
    print("playground (this machine, maybe contended):", measured)
    for name in (STUDENT, "fashion-ldm", "fashion-stylegan"):
        assert 1 < measured[name]["mb"] <= MAX_DOWNLOAD_MB, measured
    # the bundles' sampling: the student DDIM 2, guidance 1 (distilled in: one pass of 16 rows per step); the
    # teacher DPM-Solver++ 10, guidance 3 (16 null rows and 16 conditioned ones per step)
    assert measured[STUDENT]["inputs"] == ("ddim", 2, 1.0) and measured[STUDENT]["unet batches"] == [16, 16]
    assert measured["fashion-ldm"]["inputs"] == teacher_shown == ("dpmpp", 10, 3.0)
    assert measured["fashion-ldm"]["unet batches"] == [32] * 10


def test_inpainting_changes_only_the_painted_pixels(browser, site_url, artifacts):
    context, page = open_playground(browser, site_url)
    try:
        page.locator("#gv-brush").scroll_into_view_if_needed()
        box = page.locator("#gv-brush").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5, steps=8)
        page.mouse.up()
        fill = np.array(page.evaluate("Array.from(GV.playground.paint.fill)")).reshape(28, 28)
        assert 20 < fill.sum() < 300  # a stroke across the middle
        result = page.evaluate("async () => Array.from(await GV.playground.inpaint({steps: 10}))")
        image = page.evaluate("Array.from(GV.playground.paint.images.subarray(0, 784))")
        page.screenshot(path=str(artifacts / "playground_inpaint.png"), full_page=True)
    finally:
        context.close()
    out = to_uint8(torch.tensor(result).reshape(1, 1, 28, 28))[0, ..., 0].astype(int)
    original = np.array(image).reshape(28, 28)
    assert np.array_equal(out[fill == 0], original[fill == 0])  # the known pixels bit for bit
    assert np.abs(out[fill == 1] - original[fill == 1]).mean() > 2  # the painted ones were redrawn


def test_stylegan_slider_moves_the_images(browser, site_url):
    context, page = open_playground(browser, site_url, "fashion-stylegan")
    try:
        page.click("#gv-run")
        page.wait_for_function(DONE)
        before = page.evaluate("Array.from(GV.playground.state.images)")
        slider = page.locator("input[data-direction='brightness']")
        slider.fill("6")
        page.wait_for_function(
            f"GV.playground.state.images.length && GV.playground.state.images[0] !== {before[0]}"
        )
        after = page.evaluate("Array.from(GV.playground.state.images)")
    finally:
        context.close()
    assert np.mean(after) > np.mean(before) + 0.05  # brighter


def test_works_from_file_and_threads_when_isolated(browser, site):
    context, page = open_playground(
        browser, (site / "playground" / "index.html").as_uri(), "fashion-stylegan"
    )
    try:
        assert page.evaluate("GV.playground.state.model.threads") == 1
        page.click("#gv-run")
        page.wait_for_function(DONE)
        assert page.get_attribute("#gv-playground", "data-state") == "done"
    finally:
        context.close()
    server, url = serve(site, isolate=True)
    try:
        context, page = open_playground(browser, url, "fashion-stylegan")
        assert page.evaluate("crossOriginIsolated") and page.evaluate("GV.playground.state.model.threads") > 1
        page.click("#gv-run")
        page.wait_for_function(DONE)
        assert page.get_attribute("#gv-playground", "data-state") == "done"
        context.close()
    finally:
        server.shutdown()
