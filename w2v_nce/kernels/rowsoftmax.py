"""The row-softmax update shared by the full softmax and InfoNCE.

Both losses are a softmax over candidate output rows with the positive as the
target: all V words for the full softmax, the positive plus k noise words with
logits corrected by −log q for InfoNCE (sampled softmax). For logits z and
target t, L = −z_t + log Σ_j exp(z_j) and ∂L/∂z_j = p_j − 1[j = t]; the update
moves every candidate row by lr·(1[j = t] − p_j)·u and the input row by
lr·Σ_j (1[j = t] − p_j)·v_j. :func:`softmax_residual` turns a matrix of logits
into that residual Y − P in place and returns the loss; the full softmax calls
it on a B×V batch between two sgemms, InfoNCE on a 1×(k+1) row per pair.
"""

import math

import numba
import numpy as np

from ..noise import draw
from .vecops import axpy, dot

ONE = np.float32(1.0)
ZERO = np.float32(0.0)


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def softmax_residual(logits, targets):
    """In place: logits[b] ← onehot(targets[b]) − softmax(logits[b]); returns Σ_b loss_b.

    The row max is subtracted before exp; the loss is accumulated in float64.
    NaN logits (a diverged model) give a NaN loss, never an exception
    (``error_model="numpy"``): the trainer turns it into its divergence message.
    """
    loss = 0.0
    for b in range(logits.shape[0]):
        row = logits[b]
        top = row[0]
        for j in range(1, row.shape[0]):
            top = max(top, row[j])
        total = np.float32(0.0)
        for j in range(row.shape[0]):
            e = np.float32(math.exp(row[j] - top))
            row[j] = e
            total += e
        target = targets[b]
        loss += math.log(np.float64(total)) - math.log(np.float64(row[target]))
        scale = ONE / total
        for j in range(row.shape[0]):
            row[j] = -row[j] * scale
        row[target] += ONE
    return loss


@numba.njit(inline="always", fastmath=True, cache=True)
def infonce_pairs(
    inputs,
    outputs,
    n,
    syn0,
    syn1,
    noise_threshold,
    noise_alias,
    offsets,
    k,
    lr,
    grad,
    candidates,
    logits,
    targets,
    state,
):
    """InfoNCE for n pairs: candidates = positive + k draws from q, logits u·v − log q.

    A noise draw equal to the positive stays (the estimator assumes k independent
    draws from q). Returns (loss sum, state).
    """
    loss = 0.0
    targets[0] = 0
    for p in range(n):
        u = syn0[inputs[p]]
        candidates[0] = outputs[p]
        for i in range(1, k + 1):
            state, candidates[i] = draw(state, noise_threshold, noise_alias)
        for i in range(k + 1):
            c = candidates[i]
            logits[0, i] = dot(u, syn1[c]) - offsets[c]
        loss += softmax_residual(logits, targets)
        # The gradient is taken at the snapshot: every row's share of the input
        # gradient is read before any row moves (a noise word may repeat).
        grad[:] = ZERO
        for i in range(k + 1):
            axpy(lr * logits[0, i], syn1[candidates[i]], grad)
        for i in range(k + 1):
            axpy(lr * logits[0, i], u, syn1[candidates[i]])
        axpy(ONE, grad, u)
    return loss, state
