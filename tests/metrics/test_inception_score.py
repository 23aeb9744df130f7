import numpy as np
import pytest

from genvision.metrics.inception_score import inception_score


def test_confident_and_balanced_predictions_score_the_number_of_classes():
    k = 10
    logits = np.full((200, k), -50.0)
    logits[np.arange(200), np.arange(200) % k] = 50.0
    mean, std = inception_score(logits, splits=4)
    assert mean == pytest.approx(k, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_uniform_or_collapsed_predictions_score_one():
    assert inception_score(np.zeros((50, 10)), splits=5)[0] == pytest.approx(1.0)
    collapsed = np.zeros((50, 10))
    collapsed[:, 3] = 40.0
    assert inception_score(collapsed, splits=5)[0] == pytest.approx(1.0, abs=1e-9)


def test_two_class_closed_form():
    # half the samples p=(0.9, 0.1), half p=(0.1, 0.9): p(y)=(.5,.5), KL = 0.9 ln 1.8 + 0.1 ln 0.2
    logits = np.log(np.array([[0.9, 0.1], [0.1, 0.9]] * 10))
    expected = np.exp(0.9 * np.log(1.8) + 0.1 * np.log(0.2))
    assert inception_score(logits, splits=1)[0] == pytest.approx(expected, rel=1e-12)


def test_too_few_samples_for_splits():
    with pytest.raises(ValueError):
        inception_score(np.zeros((5, 3)), splits=10)
