"""`genvision invert`, `directions`, `edit`, `interpolate` and `sample` on a tiny StyleGAN bundle (subprocesses)."""

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_cli_errors import assert_one_line_error, run
from tests.generators.stylegan_fixtures import make_stylegan_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return str(make_stylegan_bundle(tmp_path_factory.mktemp("sgcli") / "bundle"))


@pytest.mark.slow
def test_invert_directions_edit_chain(bundle, tmp_path):
    codes, recon = tmp_path / "codes.safetensors", tmp_path / "recon.npy"
    proc = run(
        "invert",
        bundle,
        "--data",
        "synthetic:test:0-3",
        "--space",
        "w+",
        "--method",
        "encoder+optimize",
        "--steps",
        "10",
        "--out",
        str(codes),
        "--npy",
        str(recon),
        "--recon",
        str(tmp_path / "r.png"),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert "PSNR" in proc.stdout and "encoder+optimize" in proc.stdout
    assert np.load(recon).shape == (3, 16, 16) and np.load(recon).dtype == np.uint8
    dirs = tmp_path / "dirs.safetensors"
    proc = run("directions", bundle, "--attribute", "brightness", "--samples", "200", "--out", str(dirs))
    assert proc.returncode == 0, proc.stderr
    assert "brightness" in proc.stdout and "accuracy" in proc.stdout
    strip, arr = tmp_path / "strip.png", tmp_path / "strip.npy"
    proc = run(
        "edit",
        bundle,
        "--codes",
        str(codes),
        "--directions",
        str(dirs),
        "--direction",
        "brightness",
        "--strength",
        "-2:2:5",
        "--out",
        str(strip),
        "--npy",
        str(arr),
    )
    assert proc.returncode == 0, proc.stderr
    edited = np.load(arr)
    assert edited.shape == (15, 16, 16)
    brightness = edited.reshape(3, 5, -1).mean(axis=2)
    assert (brightness[:, -1] > brightness[:, 0]).all()
    assert Image.open(strip).size[0] > Image.open(strip).size[1]  # 5 columns, 3 rows
    proc = run(
        "edit",
        bundle,
        "--codes",
        str(codes),
        "--directions",
        str(dirs),
        "--direction",
        "smile",
        "--out",
        str(strip),
    )
    assert_one_line_error(proc, "no direction 'smile'")


def test_invert_image_files_and_errors(bundle, tmp_path):
    img = tmp_path / "x.png"
    Image.fromarray((np.arange(256).reshape(16, 16) % 255).astype(np.uint8)).save(img)
    proc = run(
        "invert", bundle, "--image", str(img), "--method", "encoder", "--out", str(tmp_path / "c.safetensors")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run("invert", bundle, "--out", str(tmp_path / "c.safetensors"))
    assert_one_line_error(proc, "--image")
    proc = run(
        "invert",
        bundle,
        "--data",
        "synthetic:test:0",
        "--space",
        "z",
        "--out",
        str(tmp_path / "c.safetensors"),
    )
    assert_one_line_error(proc, "latent space")
    proc = run(
        "edit",
        bundle,
        "--codes",
        str(tmp_path / "missing.safetensors"),
        "--direction",
        "brightness",
        "--out",
        str(tmp_path / "s.png"),
    )
    assert_one_line_error(proc, "does not exist")


@pytest.mark.slow
def test_interpolate_and_sample_stylegan(bundle, tmp_path):
    proc = run(
        "interpolate",
        bundle,
        "--a",
        "synthetic:test:0",
        "--b",
        "synthetic:test:1",
        "--invert",
        "--steps",
        "4",
        "--option",
        "method=encoder",
        "--out",
        str(tmp_path / "i.png"),
        "--npy",
        str(tmp_path / "i.npy"),
    )
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "i.npy").shape == (4, 16, 16)
    proc = run(
        "sample", bundle, "-n", "3", "--out", str(tmp_path / "s.png"), "--npy", str(tmp_path / "s.npy")
    )
    assert proc.returncode == 0, proc.stderr
    assert np.load(tmp_path / "s.npy").shape == (3, 16, 16)


def test_blend_pastes_a_region_and_blends_it(bundle, tmp_path):
    panel, arr, codes = tmp_path / "d.png", tmp_path / "d.npy", tmp_path / "d.safetensors"
    proc = run(
        "blend",
        bundle,
        "--target",
        "synthetic:test:0",
        "--context",
        "synthetic:test:1-3",
        "--mask-shape",
        "center",
        "--method",
        "optimize",
        "--steps",
        "5",
        "--out",
        str(panel),
        "--npy",
        str(arr),
        "--codes",
        str(codes),
    )
    assert proc.returncode == 0, proc.stderr
    assert "blended 2 region(s)" in proc.stdout
    assert np.load(arr).shape == (2, 16, 16)
    width, height = Image.open(panel).size
    assert width > 1.5 * height  # 4 columns (target, context, pasted, blended), 2 rows
    old = run(
        "diffuse",
        bundle,
        "--target",
        "synthetic:test:0",
        "--context",
        "synthetic:test:1-3",
        "--mask-shape",
        "center",
        "--method",
        "optimize",
        "--steps",
        "5",
        "--out",
        str(tmp_path / "old.png"),
        "--npy",
        str(tmp_path / "old.npy"),
    )
    assert old.returncode == 0, (
        old.stderr
    )  # the old name still works for one release, and says so in one line
    assert "warning: `genvision diffuse` is now `genvision blend`" in old.stderr
    assert np.array_equal(np.load(tmp_path / "old.npy"), np.load(arr))
    proc = run(
        "blend",
        bundle,
        "--target",
        "synthetic:test:0-2",
        "--context",
        "synthetic:test:0-3",
        "--mask-shape",
        "center",
        "--out",
        str(panel),
    )
    assert_one_line_error(proc, "equally many")
    proc = run(
        "blend", bundle, "--target", "synthetic:test:0", "--context", "synthetic:test:1", "--out", str(panel)
    )
    assert_one_line_error(proc, "--mask")
    proc = run(
        "blend",
        bundle,
        "--target",
        str(tmp_path / "missing.png"),
        "--context",
        "synthetic:test:1",
        "--mask-shape",
        "center",
        "--out",
        str(panel),
    )
    assert_one_line_error(proc, "missing.png does not exist")


def test_sample_by_class_with_a_conditional_stylegan(bundle, tmp_path):
    cond = str(make_stylegan_bundle(tmp_path / "cond", num_classes=3))
    out = tmp_path / "c.npy"
    proc = run(
        "sample", cond, "-n", "4", "--class", "c1", "--out", str(tmp_path / "c.png"), "--npy", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert "class 1" in proc.stdout and np.load(out).shape == (4, 16, 16)
    target = tmp_path / "u.png"
    proc = run("sample", bundle, "-n", "2", "--class", "c1", "--out", str(target))
    assert_one_line_error(proc, "not class-conditional")
    assert not target.exists()
