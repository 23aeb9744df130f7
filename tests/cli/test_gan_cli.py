"""`genvision sample` and `genvision interpolate` on GAN bundles, as real subprocesses."""

import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from genvision.models.bundle import save_bundle
from genvision.models.cgan import ConditionalGenerator
from genvision.models.dcgan import DCGANGenerator
from tests.conftest import GENVISION


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("gan_cli")
    data = {"dataset": "synthetic", "shape": [1, 16, 16], "class_names": ["disc", "square", "bar"]}
    save_bundle(
        root / "dcgan",
        "dcgan",
        {"generator": DCGANGenerator(z_dim=8, image_size=16, channels=1, base_channels=4)},
        {"z_dim": 8, "data": data},
    )
    save_bundle(
        root / "cgan",
        "cgan",
        {
            "generator": ConditionalGenerator(
                num_classes=3, z_dim=8, image_size=16, channels=1, base_channels=4
            )
        },
        {"z_dim": 8, "data": data},
    )
    return root


def run(*args, cwd):
    return subprocess.run([*GENVISION, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_sample_cgan_with_class_and_reject_sampler(bundles, tmp_path):
    done = run(
        "sample",
        bundles / "cgan",
        "-n",
        6,
        "--class",
        "square",
        "--out",
        "s.png",
        "--npy",
        "s.npy",
        "--device",
        "cpu",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "s.npy").shape == (6, 16, 16) and (tmp_path / "s.png").is_file()
    bad = run(
        "sample", bundles / "dcgan", "--sampler", "ddim", "--out", "x.png", "--device", "cpu", cwd=tmp_path
    )
    assert bad.returncode == 2 and "--sampler do not apply" in bad.stderr
    assert not (tmp_path / "x.png").exists()


def test_interpolate_four_corners(bundles, tmp_path):
    done = run(
        "interpolate",
        bundles / "dcgan",
        "--corners",
        4,
        "--steps",
        3,
        "--out",
        "grid.png",
        "--npy",
        "grid.npy",
        "--seed",
        4,
        "--device",
        "cpu",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    arr = np.load(tmp_path / "grid.npy")
    assert arr.shape == (9, 16, 16) and arr.dtype == np.uint8
    with Image.open(tmp_path / "grid.png") as img:
        assert img.size[0] == img.size[1]  # 3 × 3 grid
