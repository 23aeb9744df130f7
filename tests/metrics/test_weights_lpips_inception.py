"""Pretrained-weight paths: a clear error when the file is absent, and a real load when a file is present.

No real weights exist here, so the 'present' cases write a randomly initialised network of the right layout
under the expected file name and check that exactly those tensors are used.
"""

import numpy as np
import pytest
import torch
import torchvision

from genvision.errors import GenvisionError
from genvision.metrics.inception import FID_WEIGHTS, InceptionFeatures, _avg_pool_no_pad, build_inception
from genvision.metrics.lpips import BACKBONE_FILES, LPIPS


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path / "gv"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path


def test_missing_inception_weights_name_the_file_and_folder(empty_caches):
    with pytest.raises(GenvisionError) as info:
        InceptionFeatures()
    message = str(info.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in message
    assert str(empty_caches / "gv" / "weights") in message and "checkpoints" in message


def test_missing_lpips_backbone_names_the_file(empty_caches):
    with pytest.raises(GenvisionError, match="alexnet-owt-7be5be79.pth"):
        LPIPS("alex")
    with pytest.raises(GenvisionError, match="unknown LPIPS backbone"):
        LPIPS("resnet")


def test_lpips_loads_the_backbone_file_and_measures_distance(empty_caches):
    folder = empty_caches / "gv" / "weights"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    backbone = torchvision.models.alexnet().state_dict()
    torch.save(backbone, folder / BACKBONE_FILES["alex"])
    metric = LPIPS("alex")
    loaded = metric.model.net.state_dict()
    assert torch.equal(loaded["slice1.0.weight"], backbone["features.0.weight"])
    assert torch.equal(loaded["slice5.10.bias"], backbone["features.10.bias"])
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    small = np.clip(imgs + rng.normal(0, 10, imgs.shape), 0, 255).astype(np.uint8)
    large = np.clip(imgs + rng.normal(0, 80, imgs.shape), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(metric.distance(imgs, imgs), 0.0, atol=1e-7)
    torch.nn.Sequential(metric).train()  # a training parent must not switch on LPIPS dropout
    assert not metric.model.training
    x = (torch.rand(2, 3, 32, 32) * 2 - 1).requires_grad_()
    metric(x, torch.zeros(2, 3, 32, 32)).sum().backward()  # usable as a loss: gradients reach the input
    assert x.grad is not None and x.grad.abs().sum() > 0
    d_small, d_large = metric.distance(imgs, small), metric.distance(imgs, large)
    assert d_small.shape == (3,) and (d_small > 0).all() and (d_large > d_small).all()


def test_unpadded_average_pool_keeps_constants_at_borders():
    np.testing.assert_allclose(_avg_pool_no_pad(torch.ones(1, 1, 4, 4)).numpy(), 1.0)


def test_inception_code_path_with_random_weights():
    extractor = InceptionFeatures(random_weights_for_tests=True)
    imgs = np.random.default_rng(0).integers(0, 256, size=(2, 28, 28), dtype=np.uint8)
    out = extractor.extract(imgs)
    assert "TEST ONLY" in extractor.name
    assert out.features.shape == (2, 2048) and out.features.dtype == np.float64
    assert out.logits.shape == (2, 1008)
    assert np.isfinite(out.features).all() and out.features.std() > 0


def test_inception_loads_a_local_fid_weight_file_strictly(empty_caches):
    folder = empty_caches / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.manual_seed(1)
    net = build_inception("fid")
    torch.save(net.state_dict(), folder / FID_WEIGHTS[0])
    extractor = InceptionFeatures()
    assert extractor.name == "inception-fid"
    assert torch.equal(extractor.net.Mixed_7c.branch_pool.conv.weight, net.Mixed_7c.branch_pool.conv.weight)
    broken = {k: v for k, v in net.state_dict().items() if not k.startswith("fc.")}
    torch.save(broken, folder / FID_WEIGHTS[0])
    with pytest.raises(GenvisionError, match="does not match"):
        InceptionFeatures()
