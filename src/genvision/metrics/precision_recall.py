"""Improved precision and recall (Kynkäänniemi et al., 2019).

Each set's manifold is the union of balls around its points, with radius the distance to the point's k-th
nearest neighbour in the same set. Precision = fraction of generated points inside the real manifold (fidelity);
recall = fraction of real points inside the generated manifold (coverage). Distances are computed in row
batches so a 10k × 10k comparison never holds the full matrix.
"""

from __future__ import annotations

import numpy as np
import torch


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """‖aᵢ − bⱼ‖² for all pairs, clipped at 0 against round-off."""
    return (a.square().sum(1, keepdim=True) + b.square().sum(1) - 2.0 * a @ b.T).clamp_min_(0.0)


def knn_radii_squared(points: torch.Tensor, k: int, batch_size: int) -> torch.Tensor:
    """Squared distance from each point to its k-th nearest neighbour, itself excluded."""
    if points.shape[0] <= k:
        raise ValueError(f"need more than k={k} points to estimate a manifold, got {points.shape[0]}")
    radii = [
        torch.kthvalue(_squared_distances(chunk, points), k + 1, dim=1).values
        for chunk in points.split(batch_size)
    ]
    return torch.cat(radii)


def fraction_inside(
    queries: torch.Tensor, points: torch.Tensor, radii_sq: torch.Tensor, batch_size: int
) -> float:
    """Fraction of queries within the radius of at least one point."""
    inside = [
        (_squared_distances(chunk, points) <= radii_sq).any(dim=1) for chunk in queries.split(batch_size)
    ]
    return float(torch.cat(inside).double().mean())


def precision_recall(
    real: np.ndarray, fake: np.ndarray, k: int = 3, batch_size: int = 1024, device: torch.device | str = "cpu"
) -> tuple[float, float]:
    """(precision, recall) of fake features [M, D] against real features [N, D] (float64 on `device`)."""
    real_t = torch.as_tensor(np.asarray(real, np.float64), device=device)
    fake_t = torch.as_tensor(np.asarray(fake, np.float64), device=device)
    precision = fraction_inside(fake_t, real_t, knn_radii_squared(real_t, k, batch_size), batch_size)
    recall = fraction_inside(real_t, fake_t, knn_radii_squared(fake_t, k, batch_size), batch_size)
    return precision, recall
