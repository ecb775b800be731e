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

from w2v_nce.kernels.vecops import exp_nonpositive

ONE = np.float32(1.0)
ZERO = np.float32(0.0)
PRODUCT_RUN = 512  # factors 1 + e ≤ 2 per product: it stays below 2^512 (float64: 2^1024)


@numba.njit(inline="always", fastmath=True, cache=True)
def logistic(x, label):
    """(max(±x, 0) in float64, e = exp(−|x|), label − σ(x)) for logit x, p = σ(x).

    −log p(label | x) = max(∓x, 0) + log1p(e) exactly, with e ≤ 1: no overflow, no
    table, no clipping. The caller sums the log1p(e) of a row as the log of the
    product of the 1 + e, one log per row instead of one per term, which keeps the
    loop free of libm calls (vectorised). label − σ(x) is the gradient of log p(label)
    in x.
    """
    e = exp_nonpositive(-abs(x))
    p = (ONE if x >= ZERO else e) / (ONE + e)
    signed = np.float64(x if label == ZERO else -x)
    return (0.0 if 0.0 > signed else signed), e, label - p  # max(signed, 0), as max() picks


@numba.njit(inline="always", fastmath=True, cache=True)
def logistic_coefficients(logits, labels, n, lr, coefficients):
    """A block's n terms, flattened: logits x → lr·(label − σ(x)). Returns the loss (float64).

    One flat loop over all m × width terms of the block, not one per row: with few
    candidates (k = 5) a row is shorter than a SIMD register and its loop would run
    scalar. A logit of −40 with label 0 adds exactly nothing to the loss (so a block
    can be padded to whole registers with them: ``block.PADDING_LOGIT``). The indices are unsigned:
    Numba then adds no negative-index wraparound and LLVM sees contiguous loads
    (with signed ones it gathers).
    """
    loss = 0.0
    for start in range(0, n, PRODUCT_RUN):
        positive = 0.0
        product = 1.0
        end = start + PRODUCT_RUN
        end = n if n < end else end  # min(), see pairs.window_bounds
        for b in range(np.uint64(start), np.uint64(end)):
            part, e, g = logistic(logits[b], labels[b])
            coefficients[b] = lr * g
            positive += part
            product *= 1.0 + np.float64(e)
        loss += positive + math.log(product)
    return loss
