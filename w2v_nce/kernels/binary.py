"""Skip-gram with a binary logistic loss: negative sampling and NCE.

fastText's shape (``src/loss.cc``): one step, :func:`binary_logistic`, scores a
(input row, output row) pair, applies the logistic loss with label 1 (data) or 0
(noise), updates the output row and accumulates the input row's gradient. Both
losses are the same loop over it; they differ only in the per-word logit offset:

* negative sampling (SGNS): offset 0, so the logit is u·v;
* NCE with the normaliser fixed at 1: offset log(k q(x)), so the logit is
  D(w, x) = u·v − log(k q(x)), the log-odds of "data" against k noise draws.

The offset is a V-vector chosen by the caller, so there is one loop and no branch
on the loss in the hot path. ``skip_positive`` reproduces word2vec/gensim, which
drop a noise draw equal to the positive word; NCE keeps it, because its noise
samples must come from q itself.

Pair direction (word2vec.c, gensim): the context word's *input* row is trained
against the centre word's *output* row.
"""

import math

import numba
import numpy as np

from ..noise import draw
from .vecops import axpy, dot

ONE = np.float32(1.0)
ZERO = np.float32(0.0)


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_logistic(u, v, label, offset, lr, grad):
    """One logistic step on the pair (u, v); returns (loss −log p(label), lr·(label − p)).

    x = u·v − offset, p = σ(x). The gradient of log p(label) with respect to x is
    (label − p); the output row moves by lr·(label − p)·u now, the input row's share
    lr·(label − p)·v is added to ``grad`` and applied by the caller once all k+1
    terms are done (as word2vec does). σ and the loss are computed exactly from
    e = exp(−|x|), which never overflows: no table, no clipping.
    """
    x = dot(u, v) - offset
    e = np.float32(math.exp(-abs(x)))
    if x >= ZERO:
        p = ONE / (ONE + e)
    else:
        p = e / (ONE + e)
    g = lr * (label - p)
    axpy(g, v, grad)
    axpy(g, u, v)
    # -log σ(x) = max(−x, 0) + log1p(e);  -log σ(−x) = max(x, 0) + log1p(e)
    signed = x if label == ZERO else -x
    return max(np.float64(signed), 0.0) + math.log1p(np.float64(e)), g


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_pairs(
    inputs,
    outputs,
    n,
    syn0,
    syn1,
    noise_threshold,
    noise_alias,
    offsets,
    skip_positive,
    k,
    lr,
    grad,
    state,
):
    """The positive and k noise terms for each of n pairs; returns (loss sum, state).

    Per pair, as word2vec: the output rows are updated term by term, the input
    row once at the end with the accumulated gradient.
    """
    loss = 0.0
    for p in range(n):
        centre = outputs[p]
        u = syn0[inputs[p]]
        grad[:] = ZERO
        loss += binary_logistic(u, syn1[centre], ONE, offsets[centre], lr, grad)[0]
        for _ in range(k):
            state, noise = draw(state, noise_threshold, noise_alias)
            if skip_positive and noise == centre:
                continue
            loss += binary_logistic(u, syn1[noise], ZERO, offsets[noise], lr, grad)[0]
        axpy(ONE, grad, u)
    return loss, state
