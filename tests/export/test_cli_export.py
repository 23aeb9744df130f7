"""`genvision export` in a real subprocess: the summary line, and one-line errors with exit code 2."""

import json
import subprocess

import pytest

from tests.conftest import GENVISION

pytest.importorskip("onnx")


def run(*args):
    return subprocess.run(GENVISION + list(args), capture_output=True, text=True, timeout=300)


def assert_one_line_error(proc, pattern):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and pattern in lines[0], proc.stderr


def test_export_then_refuse_to_overwrite_then_sample_the_folder(tmp_path):
    out = tmp_path / "web" / "dcgan"
    proc = run("export", "fashion-dcgan", "--format", "onnx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "exported generator.onnx + manifest.json" in proc.stdout and str(out) in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        manifest["kind"] == "dcgan"
        and (out / "generator.onnx").stat().st_size == manifest["graphs"]["generator"]["bytes"]
    )
    assert_one_line_error(run("export", "fashion-cgan", "--out", str(out)), "holds another export")
    proc = run("sample", str(out), "-n", "4", "--out", str(tmp_path / "grid.png"), "--quiet")
    assert proc.returncode == 0 and (tmp_path / "grid.png").is_file(), proc.stderr


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["fashion-classifier"], "generates nothing to export"),
        (["fashion-dcgan", "--format", "tflite"], "unknown export format 'tflite'"),
        (["fashion-ldm", "--captions-per-class", "0"], "--captions-per-class must be at least 1"),
    ],
)
def test_export_errors(tmp_path, args, pattern):
    assert_one_line_error(run("export", *args, "--out", str(tmp_path / "x")), pattern)
    assert not (tmp_path / "x").exists()


def test_sample_backend_error():
    assert_one_line_error(
        run("sample", "fashion-dcgan", "--backend", "tvm", "-n", "1"), "unknown backend 'tvm'"
    )
