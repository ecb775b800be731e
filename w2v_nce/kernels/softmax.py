"""Exact full softmax, batched so the arithmetic is three sgemms per batch.

For B pairs with input rows U (B×d) and all output rows W (V×d):
S = U Wᵀ (B×V); S ← Y − P row by row (:func:`.rowsoftmax.softmax_residual`, which
also sums the loss); each row of S is scaled by its pair's learning rate; then
U += S W and W += Sᵀ U, both from the batch's starting U and W (mini-batch SGD:
the B pairs see the same snapshot). Cost 6·B·V·d flops per batch, almost all in
BLAS.

**Why the pairs are shuffled and the batch is small.** The pairs of a block come
centre by centre, so consecutive pairs share their centre word (the output row
that gets the positive update) and, within the window, their context words.
Summed in one stale step, the m updates of a row act like one step of m·lr:
measured on the demo corpus (5,000 words, no subsampling), batches of 512
consecutive pairs diverged at lr 0.025, where word2vec's per-pair SGD does not.
Shuffling the block's pairs (with the block's seed, so runs stay reproducible)
and batches of 64 leave a row a handful of times in a batch at most -- only the
most frequent words, about as often as their frequency says -- and sgemm on
64 × V is still most of the machine's rate.

This function is plain Python around numpy; the trainer runs softmax blocks one at
a time and lets the threaded BLAS use the cores (``train.pool_size``).
"""

import numpy as np

from .pairs import block_pairs
from .rowsoftmax import softmax_residual

BATCH = 64


def softmax_step(syn0, syn1, bias, inputs, outputs, rates):
    """One batched update of the pairs (inputs[b] → outputs[b]); returns the loss sum.

    ``bias`` is the fixed per-word base b_c added to every logit (zeros for none);
    ``rates`` the learning rate of each pair (float32 array, or one float32 for all).
    """
    u = syn0[inputs]
    scores = u @ syn1.T
    scores += bias
    loss = softmax_residual(scores, outputs)
    scores *= np.asarray(rates, dtype=np.float32).reshape(-1, 1)
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
    """Train one block with the full softmax; returns (loss sum, pairs, words read).

    The block's pairs are shuffled (see the module docstring) by a permutation
    seeded from the block's seed, then trained in batches of ``batch``.
    """
    inputs, outputs, rates, words, _ = block_pairs(
        ids, keep_threshold, window, alpha, min_alpha, words_before, total_words, seed
    )
    order = shuffled_order(inputs.size, seed)
    inputs, outputs, rates = inputs[order], outputs[order], rates[order]
    loss = 0.0
    for start in range(0, inputs.size, batch):
        stop = min(start + batch, inputs.size)
        loss += softmax_step(
            syn0, syn1, bias, inputs[start:stop], outputs[start:stop], rates[start:stop]
        )
    return loss, int(inputs.size), int(words)


def shuffled_order(n, seed):
    """A permutation of range(n), the same for the same block seed."""
    return np.random.default_rng(np.uint64(seed) ^ np.uint64(0x5EED_50F7_3A4C_0DE5)).permutation(n)
