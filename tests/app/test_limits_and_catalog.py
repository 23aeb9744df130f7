"""Unit level, no browser: upload limits, the model catalog, and the command's safe defaults."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import typer
from PIL import Image

import genvision
from genvision.app.catalog import ModelCatalog
from genvision.app.images import fill_from_layer, layer_from_fill, to_model_input
from genvision.app.limits import KEEP_SIDE, UploadLimits, read_upload
from genvision.cli.serve import DEFAULT_HOST, is_loopback, register
from genvision.errors import GenvisionError
from genvision.models.bundle import ZOO_DIR
from tests.conftest import REPO


def serve_options() -> dict:
    app = typer.Typer()
    register(app)
    command = typer.main.get_command(app)
    return {p.name: p for p in command.params}


def test_serve_binds_loopback_by_default():
    options = serve_options()
    assert options["host"].default == DEFAULT_HOST == "127.0.0.1"
    assert options["port"].default == 7860
    assert options["max_upload_mb"].default == 10.0 and options["max_image_size"].default == 4096
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_too_many_bytes_are_refused_with_the_flag_to_change(tmp_path):
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)).save(path)
    size = path.stat().st_size
    with pytest.raises(
        GenvisionError,
        match=r"noise\.png is 4\.\d\d kB; uploads are limited to 1 kB "
        r"\(genvision serve --max-upload-mb\)",
    ):
        read_upload(path, UploadLimits(max_bytes=1000))
    assert read_upload(path, UploadLimits(max_bytes=size)).shape == (64, 64)  # exactly at the limit: accepted


def test_too_many_pixels_are_refused_from_the_header_alone(tmp_path):
    full = tmp_path / "full.png"
    Image.new("L", (5000, 40)).save(full)
    truncated = tmp_path / "wide.png"
    truncated.write_bytes(full.read_bytes()[:60])  # header only: decoding it would fail differently
    with pytest.raises(
        GenvisionError,
        match=r"wide\.png is 5000×40 pixels; uploads are limited to "
        r"4096×4096 \(genvision serve --max-image-size\)",
    ):
        read_upload(truncated, UploadLimits())
    with pytest.raises(GenvisionError, match="is 5000×40 pixels"):
        read_upload(full, UploadLimits())
    assert read_upload(full, UploadLimits(max_side=5000)).shape == (40 * KEEP_SIDE // 5000, KEEP_SIDE)


def test_accepted_uploads_are_arrays_and_bad_files_say_so(tmp_path):
    rgba = tmp_path / "cut-out.png"
    pixels = np.zeros((8, 8, 4), dtype=np.uint8)
    pixels[2:6, 2:6] = (200, 100, 50, 255)  # opaque square on a transparent background
    Image.fromarray(pixels).save(rgba)
    out = read_upload(rgba, UploadLimits())
    assert out.shape == (8, 8, 3) and (out[0, 0] == 0).all() and (out[3, 3] == (200, 100, 50)).all()
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(GenvisionError, match="notes.png is not an image this app can read"):
        read_upload(text, UploadLimits())
    with pytest.raises(GenvisionError, match="must be positive"):
        UploadLimits(max_bytes=0)


def test_model_inputs_and_fill_masks_round_trip_through_the_canvas():
    image = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    x = to_model_input(image, (1, 28, 28))  # same shape: kept bit for bit
    assert torch.equal(x[0, 0].add(1).mul(127.5).round().to(torch.uint8), torch.from_numpy(image))
    assert to_model_input(np.zeros((60, 30, 3), dtype=np.uint8), (1, 28, 28)).shape == (1, 1, 28, 28)
    fill = torch.zeros(28, 28)
    fill[5:9, 10:20] = 1
    assert torch.equal(fill_from_layer(layer_from_fill(fill, 10), (28, 28)), fill)
    layer = np.zeros((280, 280, 4), dtype=np.uint8)
    layer[100:104, :, 3] = 255  # a stroke 0.4 model pixels tall covers no pixel by half
    layer[150:157, :, 3] = 255  # 0.7 of row 15 → that row only
    rows = fill_from_layer(layer, (28, 28)).any(dim=1).nonzero().flatten().tolist()
    assert rows == [15]


def test_catalog_lists_by_kind_loads_lazily_and_knows_only_its_names(tmp_path):
    mine = tmp_path / "runs" / "mine" / "bundle"
    shutil.copytree(ZOO_DIR / "fashion-dcgan", mine)
    # a shipped name given again adds nothing
    catalog = ModelCatalog.from_refs([str(mine), "fashion-dcgan"], device="cpu")
    shipped = {kind: [e.name for e in genvision.zoo() if e.kind == kind] for kind in ("dcgan", "ddpm", "ldm")}
    assert "fashion-dcgan" in shipped["dcgan"] and "fashion-ldm" in shipped["ldm"]
    assert catalog.names(("dcgan",)) == shipped["dcgan"] + ["mine"]  # shipped first, then the extra folder
    assert catalog.names(("ddpm", "ldm")) == shipped["ddpm"] + shipped["ldm"]  # in the order of the kinds
    assert not catalog._models  # nothing loaded yet
    model = catalog.get("mine", ("dcgan", "cgan"))
    assert catalog.get("mine") is model and model.kind == "dcgan"
    with pytest.raises(GenvisionError, match="unknown model '/etc/passwd'"):
        catalog.get("/etc/passwd")
    with pytest.raises(GenvisionError, match="mine is a dcgan model; this view takes: stylegan"):
        catalog.get("mine", ("stylegan",))


def test_the_app_builds_offline_with_one_tab_per_view(tmp_path):
    """The Blocks build without a network: analytics off, and each view appears once its kinds are offered."""
    from genvision.app.context import ServerContext
    from genvision.app.downloads import Downloads
    from genvision.app.server import build_app

    demo = build_app(
        ServerContext(ModelCatalog.from_refs([], device="cpu"), UploadLimits(), Downloads(tmp_path))
    )
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and demo.analytics_enabled is False
    tabs = {block.elem_id for block in demo.blocks.values() if (block.elem_id or "").startswith("tab-")}
    assert tabs == {"tab-sample", "tab-inpaint", "tab-edit", "tab-reconstruct"}


BLOCK_GRADIO = """
import sys
class NoGradio:
    def find_spec(self, name, path=None, target=None):
        if name == "gradio" or name.startswith("gradio."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoGradio())
from genvision.cli.main import main
for args in (["serve", "--port", "7999"], ["zoo"]):
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    print("exit", code, file=sys.stderr)
"""


@pytest.mark.slow  # a CLI start-up
def test_without_gradio_serve_says_what_to_install_and_other_commands_work():
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_GRADIO], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    lines = proc.stderr.strip().splitlines()
    assert lines[:2] == ["error: genvision serve needs gradio: pip install 'genvision[app]'", "exit 2"], lines
    assert lines[-1] == "exit 0" and "fashion-ldm" in proc.stdout  # zoo still lists the bundles
