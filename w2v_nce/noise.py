"""The noise distribution q(c) ∝ count(c)^power and an O(1) sampler for it.

word2vec.c fills a 10^8-entry table (400 MB) and gensim bisects a cumulative table
(O(log V)). We use Walker's alias method (Vose's construction): two V-sized arrays,
one random 64-bit number per draw, exactly proportional to q up to 2^-32. The
upper 32 bits pick a column, the lower 32 bits decide between the column and its
alias.
"""

import numba
import numpy as np

from .kernels.rng import LOW32, S32, next_u64


def noise_distribution(counts: np.ndarray, power: float) -> np.ndarray:
    """q(c) = count(c)^power / sum_j count(j)^power, as float64."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


@numba.njit(cache=True)
def _vose(q):
    n = q.shape[0]
    scaled = q * n
    threshold = np.ones(n, dtype=np.float64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        threshold[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1
    # Leftovers are 1 up to rounding: they keep their own column.
    return threshold, alias


class AliasTable:
    """Walker alias table for a discrete distribution ``q`` (any positive weights)."""

    def __init__(self, q: np.ndarray):
        q = np.asarray(q, dtype=np.float64)
        if q.ndim != 1 or q.size == 0 or not np.all(q >= 0) or q.sum() <= 0:
            raise ValueError("q must be a non-empty vector of non-negative weights")
        threshold, alias = _vose(q / q.sum())
        # Accept the column when the low 32 bits are below threshold * 2^32;
        # uint64 so that a threshold of exactly 1 (2^32) always accepts.
        self.threshold = np.minimum(np.floor(threshold * 2.0**32), 2.0**32).astype(np.uint64)
        self.alias = alias


@numba.njit(inline="always", cache=True)
def draw(state, threshold, alias):
    """One draw from an alias table; returns (new_state, index)."""
    state, bits = next_u64(state)
    column = np.int64(((bits >> S32) * np.uint64(threshold.shape[0])) >> S32)
    if (bits & LOW32) < threshold[column]:
        return state, column
    return state, np.int64(alias[column])


@numba.njit(cache=True)
def draw_many(seed, threshold, alias, n):
    """n draws (for tests and statistics)."""
    out = np.empty(n, dtype=np.int64)
    state = np.uint64(seed)
    for i in range(n):
        state, out[i] = draw(state, threshold, alias)
    return out
