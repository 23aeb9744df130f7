import numpy as np
import pytest

from genvision.metrics.kid import kid_from_features, mmd2_unbiased, polynomial_kernel


def test_unbiased_mmd_matches_brute_force_sum():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) + 0.5
    k = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731
    m = 5
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)
    assert polynomial_kernel(x, y)[1, 2] == pytest.approx(k(x[1], y[2]))


def test_kid_of_one_distribution_is_unbiased_around_zero():
    # Many independent small-sample estimates average to ~0; the biased (V-statistic) estimate would not.
    rng = np.random.default_rng(1)
    d, m = 16, 20
    unbiased, biased = [], []
    for _ in range(400):
        x, y = rng.normal(size=(m, d)), rng.normal(size=(m, d))
        unbiased.append(mmd2_unbiased(x, y))
        biased.append(
            polynomial_kernel(x, x).mean()
            + polynomial_kernel(y, y).mean()
            - 2 * polynomial_kernel(x, y).mean()
        )
    se = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * se
    assert np.mean(biased) > 10 * se


def test_kid_mean_std_over_subsets_and_separation():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(600, 8)), rng.normal(size=(600, 8))
    mean_same, std_same = kid_from_features(a, b, subsets=20, subset_size=200)
    mean_diff, _ = kid_from_features(a, b + 0.5, subsets=20, subset_size=200)
    assert std_same > 0
    assert abs(mean_same) < 3 * std_same
    assert mean_diff > 20 * std_same
    assert kid_from_features(a, b, subsets=20, subset_size=200) == (mean_same, std_same)  # seeded
