"""Exact full softmax, batched so the arithmetic is three sgemms per batch.

For B pairs with input rows U (B×d) and all output rows W (V×d):
S = U Wᵀ (B×V); S ← Y − P row by row (:func:`.rowsoftmax.softmax_residual`, which
also sums the loss); then U += lr·S W and W += lr·Sᵀ U, both from the batch's
starting U and W (mini-batch SGD: the B pairs see the same snapshot). Cost
6·B·V·d flops per batch, almost all in BLAS.

This function is plain Python around numpy: the sgemms release the GIL, so
blocks can run in several threads (Hogwild over batches) as the other losses do.
"""

import numpy as np

from .pairs import block_pairs
from .rowsoftmax import softmax_residual

BATCH = 512


def softmax_step(syn0, syn1, bias, inputs, outputs, lr):
    """One batched update of the pairs (inputs[b] → outputs[b]); returns the loss sum.

    ``bias`` is the fixed per-word base b_c added to every logit (zeros for none).
    """
    u = syn0[inputs]
    scores = u @ syn1.T
    scores += bias
    loss = softmax_residual(scores, outputs)
    scores *= lr
    delta_u = scores @ syn1
    syn1 += scores.T @ u
    np.add.at(syn0, inputs, delta_u)
    return loss


def train_block_softmax(
    ids,
    syn0,
    syn1,
    bias,
    keep_threshold,
    window,
    alpha,
    min_alpha,
    words_before,
    total_words,
    seed,
    batch=BATCH,
):
    """Train one block with the full softmax; returns (loss sum, pairs, words read)."""
    inputs, outputs, rates, words, _ = block_pairs(
        ids, keep_threshold, window, alpha, min_alpha, words_before, total_words, seed
    )
    loss = 0.0
    for start in range(0, inputs.size, batch):
        stop = min(start + batch, inputs.size)
        loss += softmax_step(
            syn0, syn1, bias, inputs[start:stop], outputs[start:stop], np.float32(rates[start])
        )
    return loss, int(inputs.size), int(words)
