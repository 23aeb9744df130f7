"""Mode-collapse diagnostics from a classifier's predicted labels of generated samples."""

from __future__ import annotations

import numpy as np
import torch


def class_histogram(predicted: np.ndarray | torch.Tensor, num_classes: int) -> dict[str, object]:
    """Counts, the fraction per class, the normalised entropy H(p) / log K (1 = uniform over the classes,
    0 = a single class) and `covered` = the number of classes holding at least 1 / (4K) of the samples."""
    pred = np.asarray(predicted.cpu() if isinstance(predicted, torch.Tensor) else predicted).astype(np.int64)
    counts = np.bincount(pred, minlength=num_classes)[:num_classes]
    p = counts / max(counts.sum(), 1)
    nz = p[p > 0]
    entropy = float(-(nz * np.log(nz)).sum() / np.log(num_classes)) if num_classes > 1 else 0.0
    covered = int((p >= 1.0 / (4 * num_classes)).sum())
    return {"counts": counts.tolist(), "fractions": p.tolist(), "entropy": entropy, "covered": covered}
