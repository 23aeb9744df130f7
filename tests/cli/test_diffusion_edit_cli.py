"""`genvision invert` / `genvision edit` on the shipped diffusion bundles (subprocesses, few images and steps)."""

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_cli_errors import assert_one_line_error, run
from tests.conftest import fashion_available

needs_data = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")
pytestmark = pytest.mark.slow  # subprocesses that load the shipped bundles


@needs_data
def test_invert_then_swap_edit_from_the_saved_inversion(tmp_path):
    inv, recon = tmp_path / "inv.safetensors", tmp_path / "recon.npy"
    proc = run(
        "invert", "fashion-ldm", "--data", "fashion-mnist:test:0-2", "--method", "null-text", "--guidance", "2",
        "--steps", "10", "--out", str(inv), "--npy", str(recon), "--recon", str(tmp_path / "r.png"), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "null-text, 10 steps, guidance 2" in proc.stdout and "PSNR" in proc.stdout
    assert np.load(recon).shape == (2, 28, 28)
    panel, edits = tmp_path / "panel.png", tmp_path / "edits.npy"
    proc = run(
        "edit", "fashion-ldm", "--inversion", str(inv), "--to", "sandal", "--method", "swap",
        "--out", str(panel), "--npy", str(edits), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert np.load(edits).shape == (2, 28, 28)
    with Image.open(panel) as img:
        assert img.width > 3 * img.height / 2  # 4 columns (original | reconstruction | edit | mask), 2 rows


@needs_data
def test_diffedit_writes_panel_npy_and_a_mask_column(tmp_path):
    panel, edits = tmp_path / "panel.png", tmp_path / "e.npy"
    proc = run(
        "edit", "fashion-ldm", "--data", "fashion-mnist:test:0", "--to", "dress", "--method", "diffedit",
        "--strength", "0.7", "--steps", "10", "--out", str(panel), "--npy", str(edits), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "diffedit, strength 0.7" in proc.stdout
    assert np.load(edits).shape == (1, 28, 28)


@needs_data
@pytest.mark.parametrize(
    "args, message",
    [
        (["invert", "fashion-vae", "--data", "fashion-mnist:test:0", "--out", "x.safetensors"], "'vae' bundle"),
        (["edit", "fashion-cgan", "--data", "fashion-mnist:test:0", "--to", "bag", "--out", "p.png"], "'cgan'"),
        (["edit", "fashion-ldm", "--data", "fashion-mnist:test:0", "--to", "yacht", "--out", "p.png"],
         "unknown class 'yacht'"),
        (["edit", "fashion-ldm", "--data", "fashion-mnist:test:0", "--to", "bag", "--strength", "1.5",
          "--out", "p.png"], "strength must lie in (0, 1]"),
        (["edit", "fashion-ldm", "--to", "bag", "--out", "p.png"], "give exactly one of --data"),
        (["edit", "fashion-ldm", "--inversion", "missing.safetensors", "--to", "bag", "--out", "p.png"],
         "does not exist"),
    ],
)  # fmt: skip
def test_bad_requests_exit_with_one_line(tmp_path, args, message):
    args = [str(tmp_path / a) if a.endswith((".png", ".safetensors")) else a for a in args]
    proc = run(*args)
    assert proc.returncode == 2
    assert_one_line_error(proc, message)
    assert not list(tmp_path.iterdir())  # nothing written
