"""The noise distribution q(c) ∝ count(c)^power and its alias table; subsampling's
thresholds (the other per-word draw a run makes).

The jitted part (Vose's construction and the draws) is :mod:`w2v_nce.kernels.alias`.
"""

import numpy as np

from w2v_nce.kernels.alias import vose


def noise_distribution(counts: np.ndarray, power: float) -> np.ndarray:
    """q(c) = count(c)^power / sum_j count(j)^power, as float64."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


class AliasTable:
    """Walker alias table for a discrete distribution ``q`` (any positive weights)."""

    def __init__(self, q: np.ndarray):
        q = np.asarray(q, dtype=np.float64)
        if q.ndim != 1 or q.size == 0 or not np.all(q >= 0) or q.sum() <= 0:
            raise ValueError("q must be a non-empty vector of non-negative weights")
        threshold, alias = vose(q / q.sum())
        # Accept the column when the low 32 bits are below threshold * 2^32;
        # uint64 so that a threshold of exactly 1 (2^32) always accepts.
        self.threshold = np.minimum(np.floor(threshold * 2.0**32), 2.0**32).astype(np.uint64)
        self.alias = alias


def keep_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: keep an occurrence with p = min(1, sqrt(tN/c) + tN/c).

    As uint64 thresholds on 32 random bits; 2^32 means "always keep".
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.full(counts.size, 2**32, dtype=np.uint64)
    ratio = sample * counts.sum() / counts
    keep = np.minimum(np.sqrt(ratio) + ratio, 1.0)
    return np.floor(keep * 2.0**32).astype(np.uint64)
