"""Perceptual losses: LPIPS refuses to run without its backbone; the classifier variant is a real distance."""

import pytest
import torch
import torch.nn as nn

from genvision.errors import BundleError, GenvisionError
from genvision.losses.perceptual import ClassifierPerceptualLoss, build_perceptual_loss, feature_distance


class TinyClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.c1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)

    def feature_maps(self, x):
        h1 = torch.relu(self.c1(x))
        return [h1, torch.relu(self.c2(h1))]


def test_lpips_without_backbone_names_the_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVISION_HOME", str(tmp_path / "gv"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(GenvisionError, match="vgg16-397923af.pth"):
        build_perceptual_loss("lpips")


def test_classifier_perceptual_distance_is_zero_on_equal_inputs_and_differentiable():
    loss = ClassifierPerceptualLoss(TinyClassifier(), image_shape=[1, 28, 28])
    gen = torch.Generator().manual_seed(1)
    a = torch.rand(3, 1, 28, 28, generator=gen) * 2 - 1
    b = (torch.rand(3, 1, 28, 28, generator=gen) * 2 - 1).requires_grad_(True)
    assert torch.allclose(loss(a, a), torch.zeros(3), atol=1e-6)
    d = loss(a, b)
    assert (d > 0).all()
    d.sum().backward()
    assert b.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.classifier.parameters())  # frozen
    loss.train()
    assert not loss.classifier.training


def test_feature_distance_is_lpips_with_unit_weights():
    fa, fb = torch.tensor([[[[3.0]], [[4.0]]]]), torch.tensor([[[[0.0]], [[2.0]]]])  # [1, 2, 1, 1]
    # unit vectors (0.6, 0.8) and (0, 1): squared distance 0.36 + 0.04
    assert torch.allclose(feature_distance([fa], [fb]), torch.tensor([0.4]))
    assert torch.allclose(feature_distance([fa * 10], [fb]), torch.tensor([0.4]))  # scale invariant


def test_wrong_shapes_and_missing_pieces_are_clear_errors():
    loss = ClassifierPerceptualLoss(TinyClassifier(), image_shape=[1, 28, 28])
    with pytest.raises(GenvisionError, match="shape"):
        loss(torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))
    with pytest.raises(GenvisionError, match="feature_maps"):
        ClassifierPerceptualLoss(nn.Linear(2, 2))
    with pytest.raises(BundleError):
        build_perceptual_loss("classifier", classifier="/nonexistent/classifier-bundle")
    with pytest.raises(GenvisionError, match="unknown perceptual"):
        build_perceptual_loss("vgg")
    assert build_perceptual_loss("none") is None
