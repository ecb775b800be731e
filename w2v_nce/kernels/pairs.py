"""From encoded ids to training examples: subsampling and word2vec's dynamic window.

Every model and loss trains on the same windows, read here one sentence at a
time: an occurrence of word w is kept with probability given by its 32-bit
threshold (word2vec's subsampling, decided per occurrence and per epoch), then
each kept centre word i draws b uniform in 1..window and its contexts are the
kept words at distance ≤ b. Skip-gram makes one (input = context word, output =
centre word) pair of each context, word2vec.c's direction; CBOW one example of all
of them.
"""

import numba
import numpy as np

from w2v_nce.kernels.rng import LOW32, S32, below, next_u64
from w2v_nce.kernels.steps import CBOW


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
def window_bounds(i, length, window, state):
    """The dynamic window of centre i: (lo, hi, state), contexts lo..hi-1 except i."""
    state, bits = next_u64(state)
    reduced = window - below(bits >> S32, window)
    # Comparisons, not max() and min(): Numba compiles its generic max and min for each
    # signature they meet, a tenth of a second each in a first run.
    lo = i - reduced
    hi = i + reduced + 1
    return (lo if lo > 0 else 0), (hi if hi < length else length), state


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
def learning_rate(schedule, words_done):
    """Linear decay from alpha to min_alpha by global progress (float32).

    ``words_done`` counts the words of this block read so far; the schedule says
    where the block starts. The rate depends only on the position in the corpus,
    never on thread timing.
    """
    done = np.float64(schedule.words_before + words_done)
    total = schedule.total_words if schedule.total_words > 1 else 1  # see window_bounds
    progress = done / np.float64(total)
    if progress > 1.0:
        progress = 1.0
    alpha = schedule.alpha
    return np.float32(alpha - (alpha - schedule.min_alpha) * progress)


@numba.njit(nogil=True, cache=True)
def block_examples(ids, keep_threshold, model, window, schedule, seed):
    """All examples of a block with each one's learning rate (for the batched softmax).

    An example is a target (the centre word) and its contexts: one context for
    skip-gram (one example per pair), all of the window for CBOW. Returns
    (contexts, starts, targets, rates, words read): example e has the contexts
    ``contexts[starts[e]:starts[e + 1]]``.
    """
    longest = longest_sentence(ids)
    sentence = np.empty(longest, dtype=np.int32)
    capacity = 2 * window * ids.shape[0]
    contexts = np.empty(capacity, dtype=np.int32)
    starts = np.empty(capacity + 1, dtype=np.int64)
    targets = np.empty(capacity, dtype=np.int32)
    rates = np.empty(capacity, dtype=np.float32)
    state = np.uint64(seed)
    pos = 0
    words = 0
    n_contexts = 0
    n_examples = 0
    starts[0] = 0
    while pos < ids.shape[0]:
        pos, length, read, state = read_sentence(ids, pos, keep_threshold, sentence, state)
        words += read
        lr = learning_rate(schedule, words)
        for i in range(length):
            lo, hi, state = window_bounds(i, length, window, state)
            if hi - lo < 2:
                continue
            for j in range(lo, hi):
                if j == i:
                    continue
                contexts[n_contexts] = sentence[j]
                n_contexts += 1
                if model != CBOW:
                    targets[n_examples] = sentence[i]
                    rates[n_examples] = lr
                    n_examples += 1
                    starts[n_examples] = n_contexts
            if model == CBOW:
                targets[n_examples] = sentence[i]
                rates[n_examples] = lr
                n_examples += 1
                starts[n_examples] = n_contexts
    return (
        contexts[:n_contexts].copy(),
        starts[: n_examples + 1].copy(),
        targets[:n_examples].copy(),
        rates[:n_examples].copy(),
        words,
    )
