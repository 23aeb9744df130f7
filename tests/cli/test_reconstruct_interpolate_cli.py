"""`genvision reconstruct` and `genvision interpolate` as real subprocesses on small saved bundles."""

import numpy as np
import torch
from PIL import Image

from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet
from genvision.models.vae import VAE
from genvision.models.vqvae import VQVAE
from tests.cli.test_cli_errors import assert_one_line_error, run


def test_reconstruct_writes_png_npy_and_scores(tmp_path):
    torch.manual_seed(0)
    net = VQVAE(image_size=16, hidden=8, res_blocks=1, res_hidden=4, code_dim=3, num_codes=8).eval()
    folder = save_bundle(tmp_path / "vq", "vqvae", {"vqvae": net}, {"data": {"shape": [1, 16, 16]}})
    proc = run(
        "reconstruct",
        str(folder),
        "--data",
        "synthetic:test:0-6",
        "--out",
        str(tmp_path / "r.png"),
        "--npy",
        str(tmp_path / "r.npy"),
        "--per-row",
        "3",
    )
    assert proc.returncode == 0, proc.stderr
    assert "PSNR" in proc.stdout and "SSIM" in proc.stdout
    arr = np.load(tmp_path / "r.npy")
    assert arr.shape == (6, 16, 16) and arr.dtype == np.uint8
    assert Image.open(tmp_path / "r.png").size[1] > 0
    proc = run(
        "reconstruct",
        str(folder),
        "--data",
        "digits:test:0-2",
        "--out",
        str(tmp_path / "x.png"),
        "--npy",
        str(tmp_path / "d.npy"),
    )
    assert proc.returncode == 0, proc.stderr  # 8x8 digits are brought to the model's 16x16, like every input
    assert np.load(tmp_path / "d.npy").shape == (2, 16, 16)
    proc = run("reconstruct", str(folder), "--data", "nosuchdata:test:0-2", "--out", str(tmp_path / "x.png"))
    assert_one_line_error(proc, "nosuchdata")
    proc = run("reconstruct", str(folder), "--data", "synthetic:test:0-2", "--out", str(tmp_path / "x.gif2"))
    assert_one_line_error(proc, "cannot tell the image format")


def test_interpolate_writes_a_strip_and_refuses_other_kinds(tmp_path):
    net = VAE(image_size=16, latent_dim=2, channels=[8, 16], hidden=16).eval()
    folder = save_bundle(tmp_path / "v", "vae", {"vae": net}, {"data": {"shape": [1, 16, 16]}})
    proc = run(
        "interpolate",
        str(folder),
        "--a",
        "synthetic:test:0",
        "--b",
        "synthetic:test:1",
        "--steps",
        "5",
        "--out",
        str(tmp_path / "s.png"),
        "--npy",
        str(tmp_path / "s.npy"),
    )
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "s.npy").shape == (5, 16, 16)
    other = save_bundle(
        tmp_path / "c",
        "classifier",
        {"classifier": ClassifierNet(channels=(4, 8), groups=2)},
        {"data": {"shape": [1, 16, 16]}},
    )
    proc = run(
        "interpolate",
        str(other),
        "--a",
        "synthetic:test:0",
        "--b",
        "synthetic:test:1",
        "--out",
        str(tmp_path / "t.png"),
    )
    assert_one_line_error(proc, "does not handle 'classifier'")
