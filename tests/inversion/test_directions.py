"""Edit directions: SVM normals recover planted directions; conditioning; edits move an attribute monotonically."""

import numpy as np
import pytest
import torch

from genvision.errors import GenvisionError
from genvision.inversion.directions import (
    condition_direction,
    edit_codes,
    extreme_labels,
    fit_direction,
    parse_strengths,
)


def test_svm_normal_recovers_a_planted_direction():
    rng = np.random.default_rng(0)
    u = rng.normal(size=16)
    u /= np.linalg.norm(u)
    codes = rng.normal(size=(400, 16))
    normal, accuracy = fit_direction(codes, codes @ u > 0.3)
    assert float(normal.norm()) == pytest.approx(1.0, abs=1e-6)
    assert float(normal.double() @ torch.from_numpy(u)) > 0.95  # points to the positive side
    assert accuracy > 0.95
    with pytest.raises(GenvisionError, match="same label"):
        fit_direction(codes, np.ones(400, bool))


def test_extreme_labels_keep_the_tails():
    idx, labels = extreme_labels(np.array([5.0, 1.0, 3.0, 9.0, 2.0, 7.0, 4.0, 8.0]), fraction=0.25)
    assert list(idx) == [1, 4, 7, 3] and list(labels) == [False, False, True, True]


def test_conditional_direction_is_orthogonal_to_the_others():
    torch.manual_seed(0)
    n1, n2, n3 = torch.randn(3, 12)
    cond = condition_direction(n1, [n2, n3])
    assert cond.norm().item() == pytest.approx(1.0, abs=1e-5)
    assert abs(float(cond @ n2)) < 1e-5 and abs(float(cond @ n3)) < 1e-5
    assert float(cond @ n1) > 0
    # the result lies in span(n1, n2, n3): least-squares residual is zero
    basis = torch.stack([n1, n2, n3], dim=1)
    coef = torch.linalg.lstsq(basis, cond.unsqueeze(1)).solution
    assert torch.allclose(basis @ coef, cond.unsqueeze(1), atol=1e-5)
    with pytest.raises(GenvisionError, match="span"):
        condition_direction(2 * n2 - n3, [n2, n3])


def test_edit_codes_closed_form():
    ws = torch.zeros(2, 4, 3)
    d = torch.tensor([1.0, 0.0, 0.0])
    out = edit_codes(ws, d, [-1.0, 0.0, 2.0])
    assert out.shape == (3, 2, 4, 3)
    assert torch.equal(out[2, :, :, 0], torch.full((2, 4), 2.0)) and out[:, :, :, 1:].eq(0).all()
    layered = edit_codes(ws, d, [1.0], layers=[0, 1])
    assert layered[0, :, :2, 0].eq(1).all() and layered[0, :, 2:, 0].eq(0).all()


def test_parse_strengths():
    assert parse_strengths("-3:3:7") == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    assert parse_strengths("0.5,1") == [0.5, 1.0]
    with pytest.raises(GenvisionError):
        parse_strengths("a:b")


def test_edit_along_svm_direction_moves_attribute_monotonically(tiny_generator):
    """Fit a direction for 'brightness' (mean intensity of G(w)) from sampled codes, then sweep new codes."""
    g = tiny_generator

    def brightness(ws):
        with torch.no_grad():
            return g.synthesis(ws, noise_mode="const").mean(dim=(1, 2, 3))

    with torch.no_grad():
        ws = g.map(torch.randn(600, g.z_dim, generator=torch.Generator().manual_seed(0)))
    idx, labels = extreme_labels(brightness(ws), fraction=0.25)
    direction, accuracy = fit_direction(ws[idx, 0], labels)
    assert accuracy > 0.8
    with torch.no_grad():
        test_ws = g.map(torch.randn(8, g.z_dim, generator=torch.Generator().manual_seed(1)))
    strengths = parse_strengths("-3:3:7")
    scores = torch.stack([brightness(codes) for codes in edit_codes(test_ws, direction, strengths)])  # [S, N]
    steps = scores[1:] - scores[:-1]
    assert (steps.mean(dim=1) > 0).all(), scores.mean(dim=1)  # the average attribute rises at every step
    assert (scores[-1] > scores[0]).all()  # and every image ends brighter than it started
