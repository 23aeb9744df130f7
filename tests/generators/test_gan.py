"""GAN generators: bilinear corner grids (closed form), batch-independent sampling, z-slices, class handling."""

import numpy as np
import pytest
import torch

import genvision
from genvision.errors import GenvisionError
from genvision.generators.paths import bilinear_weights, blend_corners
from genvision.metrics.class_histogram import class_histogram
from genvision.models.bundle import save_bundle
from genvision.models.cgan import ConditionalGenerator
from genvision.models.classifier import ClassifierNet
from genvision.models.dcgan import DCGANGenerator
from genvision.train.evaluation import gan_metrics
from genvision.viz.images import quantize
from genvision.workflows.coverage import latent_coverage


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("gan")
    data = {"dataset": "synthetic", "shape": [1, 16, 16], "class_names": ["disc", "square", "bar"]}
    g = DCGANGenerator(z_dim=8, image_size=16, channels=1, base_channels=4)
    c = ConditionalGenerator(num_classes=3, z_dim=8, embed_dim=4, image_size=16, channels=1, base_channels=4)
    save_bundle(root / "dcgan", "dcgan", {"generator": g}, {"z_dim": 8, "data": data}, dtype=torch.float32)
    save_bundle(root / "cgan", "cgan", {"generator": c}, {"z_dim": 8, "data": data}, dtype=torch.float32)
    judge = ClassifierNet(in_channels=1, num_classes=3, channels=(4, 8), groups=2).eval()
    save_bundle(root / "clf", "classifier", {"classifier": judge}, {"data": data})
    return root


def load(bundles, name):
    return genvision.load(bundles / name, device="cpu")


def test_bilinear_weights_closed_form():
    w = bilinear_weights(3)
    assert torch.allclose(w.sum(-1), torch.ones(3, 3, dtype=torch.float64))
    assert w[0, 0].tolist() == [1, 0, 0, 0] and w[0, 2].tolist() == [0, 1, 0, 0]
    assert w[2, 0].tolist() == [0, 0, 1, 0] and w[2, 2].tolist() == [0, 0, 0, 1]
    assert w[1, 1].tolist() == [0.25, 0.25, 0.25, 0.25]
    assert w[0, 1].tolist() == [0.5, 0.5, 0, 0]


def test_blend_corners_hits_corners_and_midpoints():
    corners = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    grid = blend_corners(corners, 5).reshape(5, 5, 2)
    assert torch.allclose(grid[0, 0], corners[0]) and torch.allclose(grid[4, 4], corners[3])
    assert torch.allclose(grid[:, :, 0], torch.linspace(0, 1, 5).expand(5, 5))  # u along columns
    assert torch.allclose(grid[:, :, 1], torch.linspace(0, 1, 5)[:, None].expand(5, 5))  # v along rows
    line = blend_corners(corners[:2], 3)
    assert torch.allclose(line[1], torch.tensor([0.5, 0.0]))


def test_sampling_is_independent_of_batch_and_start(bundles):
    model = load(bundles, "dcgan")
    all_ten = model.sample(10, seed=3, batch_size=4).images
    tail = model.sample(3, seed=3, start=7, batch_size=2).images
    assert all_ten.shape == (10, 1, 16, 16)
    assert torch.allclose(all_ten[7:], tail, atol=1e-6)
    assert not torch.allclose(all_ten[0], all_ten[1])


def test_interpolation_corners_equal_plain_samples(bundles):
    model = load(bundles, "dcgan")
    grid = model.interpolate(corners=4, steps=4, seed=5).images
    corners = model.sample(4, seed=5).images
    assert grid.shape == (16, 1, 16, 16)
    assert torch.allclose(grid[[0, 3, 12, 15]], corners, atol=1e-5)
    strip = model.interpolate(corners=2, steps=5, method="slerp").images
    assert strip.shape == (5, 1, 16, 16)
    with pytest.raises(GenvisionError, match="bilinear"):
        model.interpolate(corners=4, method="slerp")


def test_conditional_class_handling(bundles):
    model = load(bundles, "cgan")
    assert model.conditional and model.num_classes == 3
    assert model.label_index("Square") == 1 and model.label_index("2") == 2
    with pytest.raises(GenvisionError, match="unknown class"):
        model.label_index("triangle")
    with pytest.raises(GenvisionError, match="out of range"):
        model.label_index(3)
    fixed = model.sample(3, seed=1, label=2).images
    cycled = model.sample(3, seed=1).images
    assert torch.allclose(fixed[2], cycled[2], atol=1e-6)  # image 2 cycles to class 2
    assert not torch.allclose(fixed[0], cycled[0])
    grid = model.interpolate(corners=4, steps=3, seed=0).images  # blends class embeddings 0, 1, 2, 0
    assert torch.allclose(
        grid[2], model.sample(2, seed=0).images[1], atol=1e-5
    )  # top-right corner: z₁, class 1
    with pytest.raises(GenvisionError, match="not class-conditional"):
        load(bundles, "dcgan").label_index(1)


def test_z_slice_planes(bundles):
    model = load(bundles, "dcgan")
    plane = model.z_slice(steps=3, seed=0)  # z(a, b) = a z₁ + b z₂ on {−1, 0, 1}²
    z1, z2 = model.noise(0, range(2))
    expected = model.generate(torch.stack([-z1 - z2, -z1 + z2, torch.zeros(8), z1 + z2]))
    assert torch.allclose(plane[[0, 2, 4, 8]], expected, atol=1e-5)
    axis = model.z_slice(steps=3, seed=0, dims=(2, 5))
    assert axis.shape == (9, 1, 16, 16) and not torch.allclose(axis[0], axis[8])
    with pytest.raises(GenvisionError, match="slice dims"):
        model.z_slice(dims=(1, 1))


def test_class_histogram():
    stats = class_histogram(np.array([0, 0, 0, 1]), 4)
    assert stats["counts"] == [3, 1, 0, 0] and stats["covered"] == 2
    p = np.array([0.75, 0.25])
    assert stats["entropy"] == pytest.approx(float(-(p * np.log(p)).sum() / np.log(4)))
    assert class_histogram(np.arange(8) % 4, 4)["entropy"] == pytest.approx(1.0)


def test_classifier_metrics_and_coverage_figure(bundles, tmp_path):
    model, judge = load(bundles, "cgan"), load(bundles, "clf")
    real = torch.rand(40, 1, 16, 16) * 2 - 1
    metrics = gan_metrics(model, judge, real, n=30, seed=0)
    assert set(metrics) == {"classifier_fid", "class_entropy", "classes_covered", "label_accuracy"}
    assert metrics["classifier_fid"] > 0 and 0 <= metrics["label_accuracy"] <= 1
    # samples are scored as their saved uint8 copies: against exactly those, the distance is zero
    same = gan_metrics(model, judge, quantize(model.sample(30, seed=0).images), n=30, seed=0)
    assert same["classifier_fid"] < 1e-6  # identical feature sets: zero distance
    unsaved = gan_metrics(model, judge, model.sample(30, seed=0).images, n=30, seed=0)
    assert unsaved["classifier_fid"] > same["classifier_fid"]  # the float images are not what gets scored
    path = latent_coverage(model, judge, real, torch.arange(40) % 3, tmp_path / "cov.png", n=20, steps=3)
    assert path.is_file() and path.stat().st_size > 10_000
