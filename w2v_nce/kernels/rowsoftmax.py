"""The row-softmax step of InfoNCE (sampled softmax).

InfoNCE is a softmax over candidate output rows with the positive as the target:
the positive plus k noise words with logits corrected by −log q. For logits z
and target t, L = −z_t + log Σ_j exp(z_j) and ∂L/∂z_j = p_j − 1[j = t]; the
update moves every candidate row by lr·(1[j = t] − p_j)·h and the hidden vector
by lr·Σ_j (1[j = t] − p_j)·v_j. :func:`softmax_coefficients` turns the rows of a
candidate block's logits into those coefficients. (The full softmax, whose rows
are the whole vocabulary cut into tiles, has its own two passes:
:mod:`.softmax`.)
"""

import math

import numba
import numpy as np

from w2v_nce.kernels.vecops import exp_nonpositive

ONE = np.float32(1.0)


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def _residual_row(row, target):
    top = row[0]
    for j in range(1, row.shape[0]):
        top = max(top, row[j])
    # −log p_t = log Σ_j exp(z_j − top) − (z_t − top): no log of an underflowed p_t
    gap = np.float64(top) - np.float64(row[target])
    total = np.float32(0.0)
    for j in range(row.shape[0]):
        e = exp_nonpositive(row[j] - top)
        row[j] = e
        total += e
    loss = math.log(np.float64(total)) + gap
    scale = ONE / total
    for j in range(row.shape[0]):
        row[j] = -row[j] * scale
    row[target] += ONE
    return loss


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def softmax_coefficients(logits, m, width, lr, coefficients):
    """Each row of an m × width block of logits (flat, row after row): a softmax with
    the target in column 0, coefficients = lr·(1[b = 0] − p_ab) in the same layout.

    A noise draw equal to the positive stays a separate candidate (the estimator
    assumes k independent draws from q). Returns the block's loss (float64).
    """
    loss = 0.0
    for a in range(m):
        row = coefficients[a * width : (a + 1) * width]
        for b in range(width):
            row[b] = logits[a * width + b]
        loss += _residual_row(row, 0)
        for b in range(width):
            row[b] *= lr
    return loss
