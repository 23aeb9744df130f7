"""`genvision eval`: table + JSON for a .npy of samples (real subprocess), one-line errors for bad input
(through the real entry point `main()` in-process, to keep the many error cases fast)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import GENVISION
from tests.metrics.helpers import blobs, image_folder, tiny_classifier_bundle


def run(*args):
    return subprocess.run(GENVISION + ["eval", *map(str, args)], capture_output=True, text=True, timeout=180)


def run_main(capsys, monkeypatch, *args):
    """The CLI entry point in this process: (exit code, stdout, stderr)."""
    from genvision.cli.main import main

    monkeypatch.setattr(sys, "argv", ["genvision", "eval", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
        sys.exit(0)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_eval")
    bundle = tiny_classifier_bundle(root / "classifier")
    reference = image_folder(root / "ref", blobs(60, seed=0))
    samples = root / "samples.npy"
    np.save(samples, blobs(60, seed=1))
    return root, bundle, f"folder:{reference}", samples


def test_eval_npy_prints_table_and_writes_json(setup):
    root, bundle, ref, samples = setup
    out = root / "scores.json"
    proc = run(
        "--samples",
        samples,
        "--reference",
        ref,
        "--metrics",
        "fid,kid,pr,is",
        "--classifier",
        bundle,
        "--kid-subset-size",
        20,
        "--kid-subsets",
        5,
        "--json",
        out,
        "--device",
        "cpu",
    )
    assert proc.returncode == 0, proc.stderr
    assert "FID" in proc.stdout and "precision" in proc.stdout and "KID" in proc.stdout
    data = json.loads(out.read_text())
    assert data["n_samples"] == data["n_reference"] == 60
    assert data["features"] == "classifier:classifier"
    assert data["metrics"]["fid"] >= 0 and 0 <= data["metrics"]["precision"] <= 1
    assert data["settings"]["kid_subset_size"] == 20
    assert "fid=" in proc.stdout.strip().splitlines()[-1]


def test_eval_image_folder_of_grayscale_pngs_equals_npy(setup, capsys, monkeypatch):
    root, bundle, ref, samples = setup
    folder = image_folder(root / "sample_pngs", np.load(samples))
    a = run_main(
        capsys,
        monkeypatch,
        "--samples",
        folder,
        "--reference",
        ref,
        "--metrics",
        "fid",
        "--classifier",
        bundle,
        "-q",
    )
    b = run_main(
        capsys,
        monkeypatch,
        "--samples",
        samples,
        "--reference",
        ref,
        "--metrics",
        "fid",
        "--classifier",
        bundle,
        "-q",
    )
    assert a[0] == 0 and b[0] == 0, a[2] + b[2]
    assert a[1] == b[1] and a[1].startswith("fid=")


def test_eval_bad_inputs_give_one_line_errors(setup, capsys, monkeypatch):
    root, bundle, ref, _ = setup
    bad = root / "bad.npy"
    np.save(bad, np.zeros((10, 28, 28), dtype=np.int32))
    for args, pattern in [
        (("--samples", bad, "--reference", ref, "--classifier", bundle), "samples must be uint8"),
        (("--samples", root / "missing.npy"), "do not exist"),
        (
            ("--samples", bad, "--reference", f"folder:{root / 'none'}", "--metrics", "fid"),
            "samples must be uint8",
        ),
        (
            ("--samples", setup[3], "--reference", f"folder:{root / 'none'}", "--classifier", bundle),
            "does not exist",
        ),
        (("--samples", setup[3], "--metrics", "fid,lpips"), "unknown metric"),
        ((), "either a MODEL"),
    ]:
        code, _, err = run_main(capsys, monkeypatch, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), err
        assert pattern in lines[0], lines[0]


def test_eval_small_sample_count_warns_about_bias(setup, capsys, monkeypatch):
    root, bundle, ref, _ = setup
    few = root / "few.npy"
    np.save(few, blobs(10, seed=4))
    code, _, err = run_main(
        capsys, monkeypatch, "--samples", few, "--reference", ref, "--metrics", "fid", "--classifier", bundle
    )
    assert code == 0, err
    assert "warning:" in err and "biased upward" in err


@pytest.mark.slow
def test_eval_model_samples_then_scores(setup, capsys, monkeypatch):
    import torch

    from genvision.models.bundle import save_bundle
    from genvision.models.unet import UNet

    root, bundle, ref, _ = setup
    torch.manual_seed(0)
    unet = UNet(
        in_channels=1,
        image_size=28,
        model_channels=16,
        channel_mult=(1,),
        num_res_blocks=1,
        attention_resolutions=(),
    )
    save_bundle(
        root / "ddpm",
        "ddpm",
        {"unet": unet},
        {
            "data": {"dataset": "blobs", "shape": [1, 28, 28]},
            "schedule": {"name": "linear", "num_timesteps": 100},
            "prediction": "eps",
        },
    )
    code, out, err = run_main(
        capsys,
        monkeypatch,
        root / "ddpm",
        "--sampler",
        "ddim",
        "--steps",
        1,
        "--n",
        12,
        "--metrics",
        "fid,pr",
        "--reference",
        ref,
        "--classifier",
        bundle,
        "--npy",
        root / "gen.npy",
        "--device",
        "cpu",
        "-q",
    )
    assert code == 0, err
    assert out.startswith("fid=") and np.load(root / "gen.npy").shape == (12, 28, 28)
    code, _, err = run_main(
        capsys,
        monkeypatch,
        root / "ddpm",
        "--class",
        "3",
        "--n",
        12,
        "--reference",
        ref,
        "--classifier",
        bundle,
        "--device",
        "cpu",
        "-q",
    )
    assert code == 2 and "class-conditional" in err
