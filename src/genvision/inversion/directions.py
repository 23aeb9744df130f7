"""Semantic edit directions in W (Shen et al. 2020, InterFaceGAN): the unit normal of a linear SVM.

Given codes w_i with binary labels y_i, a linear SVM finds the hyperplane n·w + b = 0 separating them; its
unit normal n (pointing to y = 1) is the edit direction and  w' = w + α n  moves the attribute for α > 0.
Conditional manipulation removes the component along other directions so editing one attribute leaves them
(to first order) unchanged:

    n₁|n₂..n_k = (I − P) n₁ / ‖(I − P) n₁‖,   P the orthogonal projector onto span(n₂, …, n_k).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from genvision.errors import GenvisionError


def fit_direction(
    codes: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray, c: float = 1.0, max_iter: int = 20000
) -> tuple[torch.Tensor, float]:
    """Unit normal [D] of a linear SVM on codes [N, D] with boolean labels, and its training accuracy."""
    x = np.asarray(codes.detach().cpu() if isinstance(codes, torch.Tensor) else codes, dtype=np.float64)
    y = np.asarray(labels.detach().cpu() if isinstance(labels, torch.Tensor) else labels).astype(bool)
    if x.ndim != 2 or len(x) != len(y):
        raise GenvisionError(f"need codes [N, D] and N labels, got {x.shape} and {y.shape}")
    if y.all() or not y.any():
        raise GenvisionError("all samples carry the same label; a direction needs examples of both sides")
    from sklearn.svm import LinearSVC  # noqa: PLC0415 (1.1 s to import: when a direction is fitted)

    svm = LinearSVC(C=c, max_iter=max_iter, dual="auto")
    svm.fit(x, y)
    normal = svm.coef_.reshape(-1)
    accuracy = float(svm.score(x, y))
    return torch.from_numpy(normal / np.linalg.norm(normal)).float(), accuracy


def extreme_labels(
    scores: torch.Tensor | np.ndarray, fraction: float = 0.25
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the lowest and highest `fraction` of scores and their labels (True = high); the ambiguous
    middle is dropped, as InterFaceGAN does."""
    s = np.asarray(scores.detach().cpu() if isinstance(scores, torch.Tensor) else scores, dtype=np.float64)
    if not 0 < fraction <= 0.5:
        raise GenvisionError(f"fraction must be in (0, 0.5], got {fraction}")
    k = max(1, int(round(len(s) * fraction)))
    order = np.argsort(s, kind="stable")
    idx = np.concatenate([order[:k], order[-k:]])
    return idx, np.concatenate([np.zeros(k, bool), np.ones(k, bool)])


def condition_direction(primary: torch.Tensor, others: Sequence[torch.Tensor]) -> torch.Tensor:
    """Project out span(others) from `primary` and renormalise (conditional manipulation)."""
    if not others:
        return primary / primary.norm()
    basis, _ = torch.linalg.qr(torch.stack([o.double() for o in others], dim=1))  # [D, k] orthonormal
    p = primary.double()
    residual = p - basis @ (basis.T @ p)
    if residual.norm() < 1e-6 * p.norm():
        raise GenvisionError("the direction lies in the span of the directions to condition on")
    return (residual / residual.norm()).to(primary.dtype)


def edit_codes(
    ws: torch.Tensor, direction: torch.Tensor, strengths: Sequence[float], layers: Sequence[int] | None = None
) -> torch.Tensor:
    """ws [N, L, D] → edited codes [S, N, L, D]: w + α n for each strength α, on `layers` (all when None)."""
    alphas = torch.as_tensor(list(strengths), dtype=ws.dtype, device=ws.device).reshape(-1, 1, 1, 1)
    step = direction.to(ws).reshape(1, 1, 1, -1)
    if layers is not None:
        on = torch.zeros(ws.shape[1], dtype=ws.dtype, device=ws.device)
        on[list(layers)] = 1.0
        step = step * on.reshape(1, 1, -1, 1)
    return ws.unsqueeze(0) + alphas * step


def parse_strengths(text: str) -> list[float]:
    """'-3:3:7' → 7 evenly spaced values from −3 to 3; '1.5' → [1.5]; '0,1,2' → [0, 1, 2]."""
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            count = int(num)
            if count < 1:
                raise ValueError
            return [float(v) for v in np.linspace(float(start), float(stop), count)]
        return [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise GenvisionError(f"strength {text!r} is not START:STOP:COUNT, a number or a comma list") from exc
