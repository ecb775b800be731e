"""From encoded ids to training pairs: subsampling and word2vec's dynamic window.

Every loss trains on the same pairs, produced here one sentence at a time into
preallocated buffers: an occurrence of word w is kept with probability given by
its 32-bit threshold (word2vec's subsampling, decided per occurrence and per
epoch), then each kept centre word i draws b uniform in 1..window and pairs with
the kept words at distance ≤ b. A pair is (input = context word, output = centre
word), word2vec.c's direction; consecutive pairs share their centre word.
"""

import numba
import numpy as np

from .rng import LOW32, S32, below, next_u64


@numba.njit(inline="always", cache=True)
def read_sentence(ids, pos, keep_threshold, sentence, state):
    """Copy the kept words of the sentence at ``pos`` into ``sentence``.

    Returns (position after its end marker, kept length, words read, state).
    """
    length = 0
    words = 0
    n = ids.shape[0]
    while pos < n and ids[pos] >= 0:
        w = ids[pos]
        pos += 1
        words += 1
        state, bits = next_u64(state)
        if (bits & LOW32) < keep_threshold[w]:
            sentence[length] = w
            length += 1
    return pos + 1, length, words, state


@numba.njit(inline="always", cache=True)
def window_pairs(sentence, length, window, state, inputs, outputs):
    """Write the sentence's (context, centre) pairs; returns (count, state)."""
    n, _, state = window_groups(sentence, length, window, state, inputs, outputs, inputs[:0])
    return n, state


@numba.njit(inline="always", cache=True)
def window_groups(sentence, length, window, state, inputs, outputs, group_ends):
    """Like :func:`window_pairs`, also recording where each centre word's pairs end.

    ``group_ends`` may be empty (then nothing is recorded). Returns (pairs, groups,
    state).
    """
    n = 0
    groups = 0
    record = group_ends.shape[0] > 0
    for i in range(length):
        state, bits = next_u64(state)
        reduced = window - below(bits >> S32, window)
        lo = max(0, i - reduced)
        hi = min(length, i + reduced + 1)
        for j in range(lo, hi):
            if j != i:
                inputs[n] = sentence[j]
                outputs[n] = sentence[i]
                n += 1
        if record and n > 0 and (groups == 0 or group_ends[groups - 1] < n):
            group_ends[groups] = n
            groups += 1
    return n, groups, state


@numba.njit(inline="always", cache=True)
def longest_sentence(ids):
    longest = 0
    current = 0
    for t in range(ids.shape[0]):
        if ids[t] < 0:
            current = 0
        else:
            current += 1
            longest = max(longest, current)
    return longest


@numba.njit(inline="always", cache=True)
def learning_rate(alpha, min_alpha, words_done, total_words):
    """Linear decay from alpha to min_alpha by global progress (float32)."""
    progress = min(np.float64(words_done) / np.float64(max(total_words, 1)), 1.0)
    return np.float32(alpha - (alpha - min_alpha) * progress)


@numba.njit(nogil=True, cache=True)
def block_pairs(ids, keep_threshold, window, alpha, min_alpha, words_before, total_words, seed):
    """All pairs of a block with each pair's learning rate (for the batched softmax).

    Returns (inputs, outputs, learning rates, words read, final state).
    """
    longest = longest_sentence(ids)
    sentence = np.empty(longest, dtype=np.int32)
    capacity = 2 * window * ids.shape[0]
    inputs = np.empty(capacity, dtype=np.int32)
    outputs = np.empty(capacity, dtype=np.int32)
    rates = np.empty(capacity, dtype=np.float32)
    state = np.uint64(seed)
    pos = 0
    words = 0
    total = 0
    while pos < ids.shape[0]:
        pos, length, read, state = read_sentence(ids, pos, keep_threshold, sentence, state)
        words += read
        lr = learning_rate(alpha, min_alpha, words_before + words, total_words)
        n, state = window_pairs(sentence, length, window, state, inputs[total:], outputs[total:])
        rates[total : total + n] = lr
        total += n
    return inputs[:total].copy(), outputs[:total].copy(), rates[:total].copy(), words, state
