"""The level-1 loops of every loss, written out so LLVM vectorises them.

``fastmath`` lets LLVM reassociate the dot product into SIMD lanes; the result is
still deterministic for a given build, so reproducibility is unaffected. Everything
is float32: the accumulators start from ``np.float32(0)`` so nothing is promoted.
"""

import numba
import numpy as np


@numba.njit(inline="always", fastmath=True, cache=True)
def dot(a, b):
    s = np.float32(0.0)
    for t in range(a.shape[0]):
        s += a[t] * b[t]
    return s


@numba.njit(inline="always", fastmath=True, cache=True)
def axpy(alpha, x, y):
    """y += alpha * x"""
    for t in range(x.shape[0]):
        y[t] += alpha * x[t]
