"""The per-block training loop for the losses trained pair by pair.

A block (a run of whole sentences of the encoded corpus) is read sentence by
sentence; each sentence's pairs are produced by :mod:`.pairs` and handed to the
loss: the binary logistic loop (negative sampling, NCE) or the row-softmax loop
(InfoNCE). The full softmax is batched through BLAS instead (``train.py`` with
:func:`.pairs.block_pairs` and :func:`.rowsoftmax.softmax_residual`).

The learning rate follows global progress (words_before + words read here) over
total_words, updated per sentence, so it depends only on the position in the
corpus, never on thread timing.
"""

import numba
import numpy as np

from .binary import binary_pairs, binary_shared
from .pairs import learning_rate, longest_sentence, read_sentence, window_groups
from .rowsoftmax import infonce_pairs

BINARY = 0
INFONCE = 1
BINARY_SHARED = 2  # negative sharing across the contexts of a centre word


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
    loss_kind,
    k,
    window,
    alpha,
    min_alpha,
    words_before,
    total_words,
    seed,
):
    """Train one block; returns (loss sum as float64, positive pairs, words read)."""
    dim = syn0.shape[1]
    longest = longest_sentence(ids)
    sentence = np.empty(longest, dtype=np.int32)
    inputs = np.empty(2 * window * longest, dtype=np.int32)
    outputs = np.empty(2 * window * longest, dtype=np.int32)
    grad = np.empty(dim, dtype=np.float32)
    candidates = np.empty(k + 1, dtype=np.int64)
    logits = np.empty((1, k + 1), dtype=np.float32)
    targets = np.zeros(1, dtype=np.int64)
    group_ends = np.empty(longest if loss_kind == BINARY_SHARED else 0, dtype=np.int32)
    labels = np.empty(k + 1, dtype=np.float32)
    coefficients = np.empty((2 * window, k + 1), dtype=np.float32)
    deltas = np.empty((2 * window, dim), dtype=np.float32)
    state = np.uint64(seed)
    loss = 0.0
    pairs = 0
    words = 0
    pos = 0
    while pos < ids.shape[0]:
        pos, length, read, state = read_sentence(ids, pos, keep_threshold, sentence, state)
        words += read
        lr = learning_rate(alpha, min_alpha, words_before + words, total_words)
        n, groups, state = window_groups(
            sentence, length, window, state, inputs, outputs, group_ends
        )
        if loss_kind == BINARY_SHARED:
            part, state = binary_shared(
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
            )
        elif loss_kind == BINARY:
            part, state = binary_pairs(
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
            )
        else:
            part, state = infonce_pairs(
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
            )
        loss += part
        pairs += n
    return loss, pairs, words
