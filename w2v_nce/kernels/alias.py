"""Walker's alias method: O(1) draws from the noise distribution.

word2vec.c fills a 10^8-entry table (400 MB) and gensim bisects a cumulative
table (O(log V)). The alias table (Vose's construction) is two V-sized arrays,
one random 64-bit number per draw, exactly proportional to q up to 2^-32: the
upper 32 bits pick a column, the lower 32 bits decide between the column and its
alias. :class:`w2v_nce.noise.AliasTable` builds it; the kernels call :func:`draw`.
"""

import numba
import numpy as np

from w2v_nce.kernels.rng import LOW32, S32, next_u64


@numba.njit(inline="always", cache=True)
def _stack(i, scaled, small, ns, large, nl):
    """Push column i on ``small`` (scaled below 1) or on ``large``; the two new heights."""
    if scaled[i] < 1.0:
        small[ns] = i
        return ns + 1, nl
    large[nl] = i
    return ns, nl + 1


def vose(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(threshold, alias) of the alias table of the probabilities ``q`` (sum 1)."""
    n = q.shape[0]
    # The arrays made here rather than in the loop: NumPy's np.ones, np.arange and
    # np.empty jitted are compiled apart, half a second of a first run.
    threshold = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    _vose(q * n, threshold, alias, np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    return threshold, alias


@numba.njit(cache=True)
def _vose(scaled, threshold, alias, small, large):
    """Vose's construction in ``threshold`` and ``alias`` (all ones, each its own
    column) from ``scaled`` = q · n, which it uses up; ``small`` and ``large`` are
    its two stacks."""
    n = scaled.shape[0]
    ns = 0
    nl = 0
    for i in range(n):
        ns, nl = _stack(i, scaled, small, ns, large, nl)
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        threshold[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        ns, nl = _stack(g, scaled, small, ns, large, nl)
    # Leftovers are 1 up to rounding: they keep their own column.


@numba.njit(inline="always", cache=True)
def draw(state, threshold, alias):
    """One draw from an alias table; returns (new_state, index).

    Both table entries are loaded and one is selected without a branch: which one
    is a coin flip that a branch predictor cannot learn.
    """
    state, bits = next_u64(state)
    column = np.int64(((bits >> S32) * np.uint64(threshold.shape[0])) >> S32)
    other = np.int64(alias[column])
    return state, column if (bits & LOW32) < threshold[column] else other


@numba.njit(cache=True)
def draw_many(seed, threshold, alias, n):
    """n draws (for tests and statistics)."""
    out = np.empty(n, dtype=np.int64)
    state = np.uint64(seed)
    for i in range(n):
        state, out[i] = draw(state, threshold, alias)
    return out
