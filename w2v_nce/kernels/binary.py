"""The binary logistic step shared by negative sampling, NCE and hierarchical softmax.

fastText's shape (``src/loss.cc``): one step scores a logit against a label --
1 for the data (the positive word, or the branch the path takes), 0 for noise
(or the other branch) -- and returns the loss and the gradient coefficient.
The losses differ only in where their candidates and logit offsets come from:

* negative sampling: the positive and k noise draws, offset 0, so the logit is u·v;
* NCE with the normaliser fixed at 1: offset log(k q(x)), so the logit is
  D(w, x) = u·v − log(k q(x)), the log-odds of "data" against k noise draws;
* hierarchical softmax: the inner nodes on the target's Huffman path, offset 0,
  label 1 − code (word2vec.c's ``1 - code[d]``).
"""

import math

import numba
import numpy as np

ONE = np.float32(1.0)
ZERO = np.float32(0.0)


@numba.njit(inline="always", fastmath=True, cache=True)
def logistic(x, label):
    """(−log p(label | x) in float64, label − σ(x) in float32) for logit x, p = σ(x).

    σ and the loss are computed exactly from e = exp(−|x|), which never overflows:
    no table, no clipping. label − σ(x) is the gradient of log p(label) in x.
    """
    e = np.float32(math.exp(-abs(x)))
    if x >= ZERO:
        p = ONE / (ONE + e)
    else:
        p = e / (ONE + e)
    # -log σ(x) = max(−x, 0) + log1p(e);  -log σ(−x) = max(x, 0) + log1p(e)
    signed = x if label == ZERO else -x
    return max(np.float64(signed), 0.0) + math.log1p(np.float64(e)), label - p


@numba.njit(inline="always", fastmath=True, cache=True)
def logistic_coefficients(scores, lo, hi, width, labels, offsets, lr, coefficients):
    """Rows lo..hi-1 of an m × width block: scores u_a·v_b → lr·(label_b − σ(x_ab)).

    x_ab = scores[a, b] − offsets[b]. Returns the block's loss (float64).
    """
    loss = 0.0
    for a in range(lo, hi):
        for b in range(width):
            term, g = logistic(scores[a, b] - offsets[b], labels[b])
            coefficients[a, b] = lr * g
            loss += term
    return loss
