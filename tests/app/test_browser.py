"""End-to-end: `genvision serve` in a subprocess, driven through Debian's chromium with Playwright.

Sample and see a grid; paint a stroke and check the inpainting changed pixels only inside it; move an edit
slider and see the image change; upload too large a file and read the message. One screenshot per view.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from genvision.data import load_images_from_ref
from genvision.viz.images import npy_layout
from tests.app.conftest import MAX_IMAGE_SIZE, wait_for_value

pytestmark = pytest.mark.slow  # Fashion-MNIST and chromium come with `make setup-dev`


def fetch(page, url: str) -> bytes:
    response = page.request.get(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    return response.body()


def image_at(page, selector: str) -> np.ndarray:
    """The pixels of the image an output component shows now."""
    src = page.locator(f"{selector} img").first.get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(fetch(page, src))).convert("L"))


def wait_new_image(page, selector: str, old_src: str | None = None) -> str:
    """Wait until an output component shows an image (other than old_src) and return its src."""
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel + ' img');"
        " return i && i.src && i.src !== old && i.complete; }",
        arg=[selector, old_src or ""],
    )
    return page.locator(f"{selector} img").first.get_attribute("src")


def downloads(page, selector: str, count: int) -> dict[str, bytes]:
    """The files a gr.File output offers, by name, once it lists `count` of them."""
    links = page.locator(f"{selector} a[href]")
    links.nth(count - 1).wait_for()
    return {
        link.get_attribute("href").rsplit("/", 1)[-1]: fetch(page, link.get_attribute("href"))
        for link in links.all()
    }


def set_number(page, selector: str, value) -> None:
    box = page.locator(f"{selector} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def choose(page, selector: str, option: str) -> None:
    page.click(f"{selector} input")
    page.locator(f'ul[role=listbox] li[aria-label="{option}"]').click()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def expect_message(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(state="visible", timeout=30_000)


def test_sample_shows_a_grid_and_offers_downloads(page, screenshot):
    # the tab opens on the distilled 2-step student with its bundle's own sampling: DDIM, 2 steps, guidance 1
    assert page.locator("#sample-model input").input_value() == "fashion-ldm-2step"
    assert page.locator("#sample-sampler input").input_value().startswith("ddim:")
    assert page.locator("#sample-steps input[type=number]").input_value() == "2"
    assert float(page.locator("#sample-guidance input[type=number]").input_value()) == 1.0
    set_number(page, "#sample-count", 4)
    page.check("#sample-trajectory input[type=checkbox]")
    page.fill("#sample-prompt textarea", "a tote to carry to the beach")  # free text: grounded by default
    page.click("#sample-run")
    wait_new_image(page, "#sample-grid")
    grid = image_at(page, "#sample-grid")
    assert grid.std() > 10, "the sample grid is blank"
    files = downloads(page, "#sample-files", 2)
    samples = np.load(io.BytesIO(files["samples.npy"]))
    assert samples.shape == (4, 28, 28) and samples.dtype == np.uint8
    assert len({s.tobytes() for s in samples}) == 4, "four samples of one seed should differ"
    assert page.locator("#sample-path img").is_visible(), "the trajectory was asked for"
    info = page.locator("#sample-info").inner_text()
    assert "4 image(s) from fashion-ldm-2step" in info and "steps 2" in info, info
    assert "grounding 5" in info and "rewritten to" in info, info
    assert "placed by the word" in info and "tote" in info and "(Bag)" in info, info  # the lexicon placed it
    screenshot(page, "sample")
    choose(page, "#sample-model", "fashion-cgan")  # GANs have no sampler, steps or trajectory
    page.locator("#sample-sampler").wait_for(state="hidden")
    assert not page.locator("#sample-steps").is_visible()
    assert not page.locator("#sample-trajectory").is_visible()
    assert page.locator("#sample-class").is_visible()
    choose(page, "#sample-model", "fashion-stylegan")  # class-conditional StyleGAN: class and truncation
    page.locator("#sample-truncation").wait_for(state="visible")
    assert page.locator("#sample-class").is_visible()
    choose(page, "#sample-class", "Bag")
    old = page.locator("#sample-grid img").first.get_attribute("src")
    page.click("#sample-run")
    wait_new_image(page, "#sample-grid", old)
    info = page.locator("#sample-info").inner_text()
    assert "from fashion-stylegan" in info and "class 8" in info, info


def draw_stroke(page, selector: str, left: float, right: float) -> None:
    """A horizontal mouse stroke across the canvas's middle from left to right (fractions of its width)."""
    box = page.locator(f"{selector} canvas").first.bounding_box()
    y = box["y"] + box["height"] / 2
    x0, x1 = box["x"] + box["width"] * left, box["x"] + box["width"] * right
    page.mouse.move(x0, y)
    page.mouse.down()
    for i in range(1, 9):  # each move repaints the canvas (software WebGL here): keep them few
        page.mouse.move(x0 + (x1 - x0) * i / 8, y)
    page.mouse.up()


def test_inpainting_changes_only_the_painted_stroke(page, screenshot):
    index = 3
    open_tab(page, "Inpaint")
    page.click("#inpaint-run")  # nothing loaded yet: one readable message, no traceback
    expect_message(page, "load a test image or upload one first")
    set_number(page, "#inpaint-index", index)
    page.click("#inpaint-load")
    page.wait_for_timeout(1500)  # the editor draws the background
    canvas = page.locator("#inpaint-canvas canvas").first.bounding_box()
    # the 280-pixel image sits at the centre of the canvas: stroke across its middle 40 %
    half = 0.2 * 280 / canvas["width"]
    draw_stroke(page, "#inpaint-canvas", 0.5 - half, 0.5 + half)
    page.click("#inpaint-run")
    files = downloads(page, "#inpaint-files", 3)
    fill = np.asarray(Image.open(io.BytesIO(files["fill.png"]))) > 127
    composite = np.load(io.BytesIO(files["composite.npy"]))[0]
    original = npy_layout(load_images_from_ref(f"fashion-mnist:test:{index}")[0])[0]

    rows, cols = np.nonzero(fill)
    assert fill.any(), "the stroke made no fill mask"
    assert rows.min() >= 9 and rows.max() <= 18, f"fill rows {rows.min()}..{rows.max()}: not the middle band"
    assert cols.min() >= 6 and cols.max() <= 21 and cols.max() - cols.min() >= 8, (
        f"fill columns {cols.min()}..{cols.max()}"
    )
    changed = composite != original
    assert changed.any(), "inpainting changed nothing"
    assert not (changed & ~fill).any(), "pixels outside the painted stroke changed"

    last = wait_new_image(page, "#inpaint-frame")
    set_number(page, "#inpaint-step", 0)  # step back to the start of the denoising process
    wait_new_image(page, "#inpaint-frame", last)
    assert not np.array_equal(image_at(page, "#inpaint-frame"), image_at(page, "#inpaint-panel")[:1])
    screenshot(page, "inpaint")


def test_edit_slider_changes_the_image(page, screenshot):
    open_tab(page, "Edit")
    wait_for_value(page, "#edit-direction-0")
    choose(page, "#edit-method", "encoder")  # one forward pass: fast
    set_number(page, "#edit-index", 0)
    page.click("#edit-load")
    before_src = wait_new_image(page, "#edit-edited")
    before = image_at(page, "#edit-edited")
    assert "(encoder, 0 steps, w+)" in page.locator("#edit-info").inner_text()
    slider = page.locator("#edit-strength-0 input[type=range]")  # direction 1 is brightness
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, y, steps=8)
    page.mouse.up()
    strength = float(page.locator("#edit-strength-0 input[type=number]").input_value())
    assert strength >= 1.5, f"the drag moved the slider to {strength}"
    wait_new_image(page, "#edit-edited", before_src)
    after = image_at(page, "#edit-edited")
    assert after.shape == before.shape and not np.array_equal(after, before)
    assert after.mean() > before.mean(), "a positive brightness edit should brighten the image"
    page.click("#edit-b-load")  # image B: test image 1
    page.locator("#edit-preview-b img").wait_for()
    page.click("#edit-interpolate")
    path = np.load(io.BytesIO(downloads(page, "#edit-files", 2)["interpolation.npy"]))
    assert path.shape == (8, 28, 28) and not np.array_equal(path[0], path[-1])
    screenshot(page, "edit")


def test_diffusion_edit_shows_the_panel_and_the_diffedit_mask(page, screenshot):
    open_tab(page, "Edit")
    wait_for_value(page, "#dedit-target")  # the target class dropdown is filled on load
    page.click("#dedit-run")  # nothing picked yet: one readable message
    expect_message(page, "load a test image or upload one first")
    set_number(page, "#dedit-index", 0)
    page.click("#dedit-load")
    picked = wait_new_image(page, "#dedit-panel")
    choose(page, "#dedit-target", "Dress")
    set_number(page, "#dedit-steps", 10)
    page.click("#dedit-run")
    wait_new_image(page, "#dedit-panel", picked)
    panel = image_at(page, "#dedit-panel")
    assert panel.shape[1] > 3 * panel.shape[0], "one row of original | reconstruction | edit | mask"
    info = page.locator("#dedit-info").inner_text()
    assert "diffedit towards 'Dress'" in info and "the mask covers" in info, info
    edit = np.load(io.BytesIO(downloads(page, "#dedit-files", 2)["edit.npy"]))
    original = npy_layout(load_images_from_ref("fashion-mnist:test:0")[0])
    assert edit.shape == (1, 28, 28) and not np.array_equal(edit, original)
    screenshot(page, "edit_diffusion")


def test_reconstruct_shows_originals_and_reconstructions(page, screenshot):
    open_tab(page, "Reconstruct")
    page.click("#reconstruct-run")
    wait_new_image(page, "#reconstruct-grid")
    assert "PSNR" in page.locator("#reconstruct-info").inner_text()
    files = downloads(page, "#reconstruct-files", 2)
    assert np.load(io.BytesIO(files["reconstruction.npy"])).shape == (8, 28, 28)
    screenshot(page, "reconstruct")


def test_oversized_uploads_get_a_clear_message(page, tmp_path):
    open_tab(page, "Reconstruct")
    wide = tmp_path / "wide.png"
    Image.new("L", (MAX_IMAGE_SIZE + 44, 64)).save(wide)  # few bytes, too many pixels
    page.locator("#reconstruct-upload input[type=file]").set_input_files(str(wide))
    expect_message(
        page,
        f"wide.png is {MAX_IMAGE_SIZE + 44}×64 pixels; uploads are limited to "
        f"{MAX_IMAGE_SIZE}×{MAX_IMAGE_SIZE}",
    )
    heavy = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(heavy)
    assert heavy.stat().st_size > 50_000
    page.locator("#reconstruct-upload input[type=file]").set_input_files(str(heavy))
    expect_message(page, "exceed the maximum allowed size")  # gradio refuses it before it is uploaded


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def test_server_listens_on_loopback_only(server):
    """Started without --host, the server is bound to 127.0.0.1 and to no other interface."""
    port = int(server.rstrip("/").rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex
