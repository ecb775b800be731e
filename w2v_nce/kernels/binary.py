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
from .rng import LOW32, S32, below, next_u64
from .vecops import axpy, dot

ONE = np.float32(1.0)
ZERO = np.float32(0.0)


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_logistic(u, v, label, offset, lr, grad):
    """One logistic step on the pair (u, v); returns the loss -log p(label).

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
    return max(np.float64(signed), 0.0) + math.log1p(np.float64(e))


@numba.njit(nogil=True, fastmath=True, cache=True)
def train_block(
    ids,
    syn0,
    syn1,
    keep_threshold,
    noise_threshold,
    noise_alias,
    offsets,
    skip_positive,
    k,
    window,
    alpha,
    min_alpha,
    words_before,
    total_words,
    seed,
):
    """Train on one block of the encoded corpus (ids, with -1 ending each sentence).

    The learning rate is interpolated linearly from ``alpha`` to ``min_alpha`` by
    global progress, (words_before + words done here) / total_words, so it is a
    function of the position in the corpus, not of thread timing. Frequent words
    are dropped per occurrence with word2vec's keep probability (precomputed as
    32-bit thresholds). The dynamic window is uniform in 1..window.

    Returns (loss sum over all terms as float64, positive pairs, words read).
    """
    dim = syn0.shape[1]
    sentence = np.empty(ids.shape[0], dtype=np.int32)
    grad = np.empty(dim, dtype=np.float32)
    state = seed
    loss = 0.0
    pairs = 0
    words = 0
    span = np.float64(alpha - min_alpha)
    inv_total = 1.0 / np.float64(max(total_words, 1))
    pos = 0
    n = ids.shape[0]
    while pos < n:
        length = 0
        while pos < n and ids[pos] >= 0:
            w = ids[pos]
            pos += 1
            words += 1
            state, bits = next_u64(state)
            if (bits & LOW32) < keep_threshold[w]:
                sentence[length] = w
                length += 1
        pos += 1  # the sentence end marker
        progress = min(np.float64(words_before + words) * inv_total, 1.0)
        lr = np.float32(alpha - span * progress)
        for i in range(length):
            centre = sentence[i]
            state, bits = next_u64(state)
            reduced = window - below(bits >> S32, window)
            lo = max(0, i - reduced)
            hi = min(length, i + reduced + 1)
            v_centre = syn1[centre]
            offset_centre = offsets[centre]
            for j in range(lo, hi):
                if j == i:
                    continue
                u = syn0[sentence[j]]
                grad[:] = ZERO
                loss += binary_logistic(u, v_centre, ONE, offset_centre, lr, grad)
                for _ in range(k):
                    state, noise = draw(state, noise_threshold, noise_alias)
                    if skip_positive and noise == centre:
                        continue
                    loss += binary_logistic(u, syn1[noise], ZERO, offsets[noise], lr, grad)
                axpy(ONE, grad, u)
                pairs += 1
    return loss, pairs, words
