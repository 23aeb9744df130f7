"""A package outside genvision adds a bundle kind, a training family and a sampler through entry points only.

pip installs tests/plugins/genvision_toy_plugin offline into a temporary folder (nothing is written to the
virtual environment); processes that put that folder on PYTHONPATH see its entry points, and train, save,
load and sample its "toy" kind through the CLI and the API. The toy's images are a closed form of the seed:
x_k = clamp(ℓ + σ ε_k) with ε_k from the generator of (seed, k), and training fits ℓ to the data's mean pixel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from genvision.data import load_dataset
from genvision.io.tensorfile import load_tensors
from genvision.seeding import PerImageRNG
from genvision.viz.images import npy_layout
from tests.conftest import GENVISION

PLUGIN = Path(__file__).parent / "genvision_toy_plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(a work folder holding the plugin's sources, the environment of a process that has the plugin)."""
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN, root / "source")  # setuptools writes egg-info beside what it builds
    site = root / "site"
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
    ]
    done = subprocess.run(
        [*pip, "--target", str(site), str(source)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    path = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    return root, {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def run(args: list, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*map(str, args)], capture_output=True, text=True, timeout=180, env=env)


def expected_images(bundle: Path, n: int, seed: int) -> torch.Tensor:
    """x_k = clamp(ℓ + σ ε_k, −1, 1), from the bundle's stored ℓ and σ."""
    level = load_tensors(bundle / "toy" / "model.safetensors")["level"].float()
    sigma = json.loads((bundle / "config.json").read_text())["sigma"]
    eps = PerImageRNG(seed, range(n), torch.device("cpu")).randn(1, 8, 8)
    return (level.view(1, -1, 1, 1) + sigma * eps).clamp(-1, 1)


def test_cli_trains_saves_and_samples_a_plugin_kind(installed):
    root, env = installed
    trained = run([*GENVISION, "train", root / "source" / "toy.yaml", "--out", root / "run", "--quiet"], env)
    assert trained.returncode == 0, trained.stderr
    bundle = root / "run" / "bundle"
    config = json.loads((bundle / "config.json").read_text())
    assert (
        config["kind"] == "toy" and config["sigma"] == 0.2
    )  # the plugin's own schema, written by the Trainer
    images = torch.stack([item["image"] for item in load_dataset("synthetic", image_size=8)])
    data_mean = float(images.mean())
    assert abs(config["metrics"]["level"][0] - data_mean) < 0.05, (config["metrics"], data_mean)

    out = root / "cli"
    sampled = run(
        [
            *GENVISION,
            "sample",
            bundle,
            "-n",
            5,
            "--seed",
            3,
            "--out",
            out / "grid.png",
            "--npy",
            out / "s.npy",
        ],
        env,
    )
    assert sampled.returncode == 0, sampled.stderr
    assert (out / "grid.png").is_file()
    assert np.array_equal(np.load(out / "s.npy"), npy_layout(expected_images(bundle, 5, seed=3)))

    wrong = run([*GENVISION, "sample", bundle, "--steps", 5, "--out", out / "x.png"], env)
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines() == [
        f"error: --steps do not apply to {bundle.name} (a 'toy' model): a 'toy' model takes only --class"
    ], wrong.stderr


API = """
import json, sys
from pathlib import Path
import torch
import genvision
from genvision.diffusion.samplers import SAMPLERS, sample
from genvision.diffusion.schedules import NoiseSchedule
from genvision.errors import GenvisionError
from genvision.train.families import load_run_config
from genvision.train.trainer import Trainer

root, report = Path(sys.argv[1]), {"builtin": sorted(SAMPLERS)}
bundle = Trainer(load_run_config(root / "source" / "toy.yaml", ["train.steps=10"]), root / "api", quiet=True).run()
model = genvision.load(bundle)
torch.save({"four": model.sample(4, seed=7).images, "six": genvision.load(bundle).sample(6, seed=7).images},
           root / "api.pt")
schedule, x_T = NoiseSchedule(num_timesteps=50), torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
model_fn = lambda x, t: 0.1 * x
plugin = sample("toy-ddim", model_fn, schedule, x_T, steps=5)
ddim = sample("ddim", model_fn, schedule, x_T, steps=5, eta=0.0)
report.update(bundle=str(bundle), cls=type(model).__name__, samplers=sorted(SAMPLERS), same=torch.equal(plugin, ddim))
for kind in ("nobody", "broken"):
    try:
        genvision.load(root / kind)
    except GenvisionError as exc:
        report[kind] = str(exc)
print(json.dumps(report))
"""


def test_api_trains_loads_and_samples_a_plugin_kind_and_sampler(installed):
    root, env = installed
    # a package whose entry point does not import
    broken = root / "broken-site" / "broken_plugin-0.1.dist-info"
    broken.mkdir(parents=True)
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (broken / "entry_points.txt").write_text("[genvision.kinds]\nbroken = broken_plugin_missing:KIND\n")
    for kind in ("nobody", "broken"):  # bundles of a kind nobody registers, and of the broken plugin's kind
        (root / kind).mkdir()
        (root / kind / "config.json").write_text(json.dumps({"kind": kind, "schema_version": 2}))
    env = {**env, "PYTHONPATH": os.pathsep.join([str(root / "broken-site"), env["PYTHONPATH"]])}

    done = run([sys.executable, "-c", textwrap.dedent(API), root], env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["cls"] == "Toy"
    images = torch.load(root / "api.pt")
    assert torch.equal(images["four"], expected_images(Path(report["bundle"]), 4, seed=7))
    assert torch.equal(images["six"][:4], images["four"])  # image k depends on (seed, k) only
    assert "toy-ddim" not in report["builtin"] and "toy-ddim" in report["samplers"]  # loaded on first need
    assert report["same"]  # the plugin sampler is deterministic DDIM
    assert (
        "'nobody' bundle, which genvision.load cannot open; it opens: autoencoder, broken" in report["nobody"]
    )
    assert report["broken"] == (
        "plugin 'broken' (genvision.kinds = broken_plugin_missing:KIND) from broken-plugin failed to load: "
        "ModuleNotFoundError: No module named 'broken_plugin_missing'; fix or uninstall broken-plugin"
    )
