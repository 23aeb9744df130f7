"""`genvision sample` as real subprocesses on a DDPM bundle trained here for a few steps."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from genvision.diffusion.samplers import SAMPLERS
from genvision.models.bundle import save_bundle
from genvision.models.classifier import ClassifierNet
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer
from tests.cli.test_cli_errors import assert_one_line_error, run
from tests.conftest import REPO
from tests.workflows.ddpm_fixtures import TINY_TRAIN, trained_ddpm_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return trained_ddpm_bundle(tmp_path_factory.mktemp("run"), steps=15)


def test_trained_bundle_layout(bundle):
    cfg = json.loads((bundle / "config.json").read_text())
    assert cfg["kind"] == "ddpm" and cfg["components"] == ["unet"]
    assert cfg["schedule"]["name"] == "linear" and cfg["schedule"]["num_timesteps"] == 100
    assert cfg["prediction"] == "eps" and cfg["data"]["shape"] == [1, 16, 16]
    assert cfg["training"]["steps"] == 15 and cfg["training"]["final_loss"] > 0 and cfg["schema_version"] == 2
    assert (bundle / "unet" / "model.safetensors").is_file()


def test_reexport_of_a_finished_run_records_no_loss_it_did_not_measure(tmp_path):
    cfg = load_run_config(REPO / "configs" / "ddpm_fashion.yaml", [*TINY_TRAIN, "train.steps=2"])
    Trainer(cfg, tmp_path, quiet=True).run()
    again = Trainer(cfg, tmp_path, resume=True, quiet=True).run()  # resumes at the last step: trains none
    training = json.loads((again / "config.json").read_text())["training"]
    assert training["steps"] == 2 and "final_loss" not in training and training["parameters"] > 0


def test_sample_writes_grid_npy_and_trajectory(bundle, tmp_path):
    proc = run(
        "sample",
        str(bundle),
        "-n",
        "6",
        "--sampler",
        "ddim",
        "--steps",
        "5",
        "--seed",
        "0",
        "--out",
        str(tmp_path / "g.png"),
        "--npy",
        str(tmp_path / "s.npy"),
        "--trajectory",
        str(tmp_path / "t.png"),
        "--trajectory-frames",
        "4",
        "--trajectory-rows",
        "2",
        "--batch-size",
        "4",
        "--device",
        "cpu",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert "sampled 6 image(s)" in proc.stdout and "ddim" in proc.stdout and proc.stdout.count("\n") == 1
    arr = np.load(tmp_path / "s.npy")
    assert arr.shape == (6, 16, 16) and arr.dtype == np.uint8
    assert Image.open(tmp_path / "g.png").size[0] > 16 * 2
    w, h = Image.open(tmp_path / "t.png").size
    assert w > h  # 4 frames across, 2 rows
    # same seed, other n and batch size: the first images agree
    proc = run(
        "sample",
        str(bundle),
        "-n",
        "2",
        "--sampler",
        "ddim",
        "--steps",
        "5",
        "--seed",
        "0",
        "--out",
        str(tmp_path / "g2.png"),
        "--npy",
        str(tmp_path / "s2.npy"),
        "--batch-size",
        "1",
        "--device",
        "cpu",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "s2.npy"), arr[:2])


@pytest.mark.parametrize("sampler", [name for name in SAMPLERS if name != "ddim"])  # ddim: above
def test_every_sampler_of_the_table_runs_from_the_cli(bundle, tmp_path, sampler):
    proc = run(
        "sample",
        str(bundle),
        "-n",
        "2",
        "--sampler",
        sampler,
        "--steps",
        "4",
        *(["--spacing", "linspace"] if SAMPLERS[sampler].spacing else []),
        "--out",
        str(tmp_path / f"{sampler}.png"),
        "--device",
        "cpu",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert f"sampler {sampler}, steps 4" in proc.stdout


def test_sampler_options_from_the_cli(bundle, tmp_path):
    out = str(tmp_path / "v.png")
    proc = run("sample", str(bundle), "-n", "1", "--sampler", "ddpm", "--steps", "3", "--sampler-option",
               "variance=large", "--out", out, "--device", "cpu", "--quiet")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "variance large" in proc.stdout
    assert_one_line_error(
        run("sample", str(bundle), "--sampler", "ddpm", "--sampler-option", "variance=huge", "--out", out),
        "variance='huge' (ddpm): choose one of small, large",
    )
    assert_one_line_error(
        run("sample", str(bundle), "--sampler", "ddim", "--sampler-option", "eta", "--out", out),
        "--sampler-option takes KEY=VALUE",
    )
    assert_one_line_error(
        run("sample", str(bundle), "--eta", "0.5", "--sampler-option", "eta=0.2", "--out", out),
        "give eta once",
    )
    helped = run("sample", "--help", env={**os.environ, "COLUMNS": "400"})
    assert all(f"{name} ({row.description})" in helped.stdout for name, row in SAMPLERS.items()), (
        helped.stdout
    )


def test_bad_input_gives_one_line_errors(bundle, tmp_path):
    out = str(tmp_path / "x.png")
    assert_one_line_error(
        run("sample", str(bundle), "--sampler", "plms", "--out", out), "unknown sampler 'plms'"
    )
    assert_one_line_error(
        run("sample", str(bundle), "--steps", "0", "--out", out), "steps must be an integer >= 1"
    )
    assert_one_line_error(run("sample", str(bundle), "--steps", "101", "--out", out), "[1, 100]")
    assert_one_line_error(run("sample", str(bundle), "-n", "0", "--out", out), "positive integer")
    assert_one_line_error(
        run("sample", str(bundle), "--spacing", "even", "--out", out), "unknown timestep spacing"
    )
    assert_one_line_error(run("sample", str(tmp_path / "missing"), "--out", out), "neither a bundle folder")
    other = save_bundle(
        tmp_path / "cls",
        "classifier",
        {"classifier": ClassifierNet(channels=(4, 8), groups=2)},
        {"data": {"shape": [1, 16, 16]}},
    )
    assert_one_line_error(
        run("sample", str(other), "--out", out), "'classifier' bundle, which cannot be sampled"
    )


def test_negative_prompt_takes_the_null_branch(tmp_path):
    """Guidance with a negative prompt B is ε(B) + w·(ε(A) − ε(B)); at w = 0 that is ε(B), so the images equal
    those of prompt B at guidance 1 (training captions: the prompt cache answers without the text encoder)."""
    common = ["sample", "fashion-ldm", "-n", "3", "--seed", "5", "--quiet"]
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    with_negative = ["--prompt", "a photo of a t-shirt", "--negative-prompt", "a photo of a pullover"]
    proc = run(*common, *with_negative, "--guidance", "0", "--out", str(tmp_path / "a.png"), "--npy", str(a))
    assert proc.returncode == 0, proc.stderr
    plain = ["--prompt", "a photo of a pullover", "--guidance", "1"]
    proc = run(*common, *plain, "--out", str(tmp_path / "b.png"), "--npy", str(b))
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(np.load(a), np.load(b))
    gan = run(
        "sample", "fashion-dcgan", "-n", "1", "--negative-prompt", "x", "--out", str(tmp_path / "c.png")
    )
    assert_one_line_error(gan, "--negative-prompt do not apply to fashion-dcgan")
