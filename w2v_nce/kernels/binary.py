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


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_shared(
    inputs,
    outputs,
    group_ends,
    groups,
    syn0,
    syn1,
    noise_threshold,
    noise_alias,
    offsets,
    skip_positive,
    k,
    lr,
    candidates,
    labels,
    coefficients,
    deltas,
    state,
):
    """Negative sharing (Ji et al. 2016): the pairs of one centre word share k noise draws.

    A group is the m pairs (context_a, centre) of one centre position. Its k+1
    output rows (the centre, label 1, and k noise words, label 0) are scored against
    all m input rows at once: an m × (k+1) block of logistic terms computed from
    rows that stay in L1 cache, instead of m separate sets of k+1 random rows. Every
    term's gradient is taken at the group's starting point (a small mini-batch):
    input rows move by Σ_b g_ab v_b, output rows by Σ_a g_ab u_a. Each pair still
    sees the positive and k draws from q, so each term is the same as in
    :func:`binary_pairs`; what changes is that the noise is shared, not independent,
    across the contexts of one centre word. Returns (loss sum, state).
    """
    loss = 0.0
    dim = syn0.shape[1]
    start = 0
    for group in range(groups):
        end = group_ends[group]
        m = end - start
        centre = outputs[start]
        candidates[0] = centre
        labels[0] = ONE
        width = 1
        for _ in range(k):
            state, noise = draw(state, noise_threshold, noise_alias)
            if skip_positive and noise == centre:
                continue
            candidates[width] = noise
            labels[width] = ZERO
            width += 1
        for a in range(m):
            u = syn0[inputs[start + a]]
            for b in range(width):
                c = candidates[b]
                x = dot(u, syn1[c]) - offsets[c]
                e = np.float32(math.exp(-abs(x)))
                if x >= ZERO:
                    p = ONE / (ONE + e)
                else:
                    p = e / (ONE + e)
                coefficients[a, b] = lr * (labels[b] - p)
                signed = x if labels[b] == ZERO else -x
                loss += max(np.float64(signed), 0.0) + math.log1p(np.float64(e))
        for a in range(m):
            delta = deltas[a]
            delta[:dim] = ZERO
            for b in range(width):
                axpy(coefficients[a, b], syn1[candidates[b]], delta)
        for b in range(width):
            v = syn1[candidates[b]]
            for a in range(m):
                axpy(coefficients[a, b], syn0[inputs[start + a]], v)
        for a in range(m):
            axpy(ONE, deltas[a], syn0[inputs[start + a]])
        start = end
    return loss, state
