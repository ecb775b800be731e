"""Window co-occurrences weighted as training samples them (evaluation, nce-table).

With word2vec's dynamic window (effective window uniform in 1..window) a context
at distance d is used with probability (window − d + 1)/window. Both the PMI
check and the held-out experiment count pairs with that weight, as integers in
units of 1/window (a pair at distance d adds window − d + 1) so the counts stay
exact; no pair crosses a sentence (ids end each sentence with -1).
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def window_pairs(ids, window):
    """Every (input = context, output = centre) pair within ``window`` of each sentence,
    with its weight window − d + 1: (inputs int32, outputs int32, weights int64)."""
    n = ids.shape[0]
    capacity = 2 * window * n
    inputs = np.empty(capacity, dtype=np.int32)
    outputs = np.empty(capacity, dtype=np.int32)
    weights = np.empty(capacity, dtype=np.int64)
    count = 0
    start = 0
    for end in range(n + 1):
        if end < n and ids[end] >= 0:
            continue
        for i in range(start, end):
            for j in range(max(start, i - window), min(end, i + window + 1)):
                if j != i:
                    inputs[count] = ids[j]
                    outputs[count] = ids[i]
                    weights[count] = window + 1 - abs(j - i)
                    count += 1
        start = end + 1
    return inputs[:count], outputs[:count], weights[:count]


@numba.njit(nogil=True, cache=True)
def add_pair_counts(inputs, outputs, weights, pairs, rows):
    """pairs[w, c] += weight for w, c < len(pairs); rows[w] += weight for every pair."""
    top = pairs.shape[0]
    for p in range(inputs.shape[0]):
        w = inputs[p]
        c = outputs[p]
        rows[w] += weights[p]
        if w < top and c < top:
            pairs[w, c] += weights[p]
