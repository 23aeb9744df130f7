"""Inception-Score-style classifier score (Salimans et al., 2016):

    IS = exp( E_x KL( p(y|x) ‖ p(y) ) ),   p(y) = E_x p(y|x)

computed on each of `splits` equal parts of the samples; reported as mean ± std over the parts. It rewards
confident predictions (low entropy of p(y|x)) spread over many classes (high entropy of p(y)); its maximum is
the number of classes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, logsumexp


def kl_score(log_probs: np.ndarray) -> float:
    """exp of the mean KL(p(y|x) ‖ p(y)) for one part, from log p(y|x) [N, K]."""
    log_marginal = logsumexp(log_probs, axis=0) - np.log(log_probs.shape[0])
    kl = (np.exp(log_probs) * (log_probs - log_marginal)).sum(axis=1)
    return float(np.exp(kl.mean()))


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Mean and std of the score over `splits` consecutive parts of the logits [N, K]."""
    log_probs = log_softmax(np.asarray(logits, np.float64), axis=1)
    if log_probs.shape[0] < splits:
        raise ValueError(f"need at least {splits} samples for {splits} splits, got {log_probs.shape[0]}")
    scores = [kl_score(part) for part in np.array_split(log_probs, splits)]
    return float(np.mean(scores)), float(np.std(scores))
