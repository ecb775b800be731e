"""word2vec.c's Huffman tree for hierarchical softmax (``CreateBinaryTree``).

The leaves are the vocabulary in its order (count descending); two pointers walk
the leaves from the rarest up and the new inner nodes in the order they are made,
always merging the two smallest counts, and on a tie taking the inner node (the
rule of word2vec.c, so that the tree is a deterministic function of the counts
and equals word2vec.c's). Inner node a (0..V−2) is row a of the output matrix; the
root is V−2. Each word gets its path from the root: ``points[w, d]``, the inner node
at depth d, and ``codes[w, d]``, 1 if the path goes to that node's second child
(word2vec.c's ``binary``), for d < ``lengths[w]``. p(w | h) = Π_d σ((1 − 2·code)·h·v_point),
a product of binary decisions, sums to 1 over the leaves by construction.
"""

import numba
import numpy as np

_NEVER = np.int64(1) << np.int64(62)  # the count of a node not yet made


@numba.njit(inline="always", cache=True)
def _smallest(count, leaf, inner):
    """(node, leaf, inner): the node of the smaller count, the rarest leaf left or the
    oldest inner node (the inner node on a tie), and the two pointers past it."""
    if leaf >= 0 and count[leaf] < count[inner]:
        return leaf, leaf - 1, inner
    return inner, leaf, inner + 1


@numba.njit(cache=True)
def huffman(counts):
    """(points int32 V × L, codes float32 V × L, lengths int32 V) for counts sorted descending."""
    n = counts.shape[0]
    if n < 2:
        return (
            np.zeros((n, 0), dtype=np.int32),
            np.zeros((n, 0), dtype=np.float32),
            np.zeros(n, dtype=np.int32),
        )
    count = np.full(2 * n - 1, _NEVER, dtype=np.int64)
    count[:n] = counts
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    second = np.zeros(2 * n - 1, dtype=np.uint8)
    leaf = n - 1  # the rarest leaf not yet merged
    inner = n  # the oldest inner node not yet merged
    for a in range(n - 1):
        first, leaf, inner = _smallest(count, leaf, inner)
        other, leaf, inner = _smallest(count, leaf, inner)
        count[n + a] = count[first] + count[other]
        parent[first] = n + a
        parent[other] = n + a
        second[other] = 1
    root = 2 * n - 2
    lengths = np.zeros(n, dtype=np.int32)
    for w in range(n):
        node = w
        while node != root:
            lengths[w] += 1
            node = parent[node]
    points = np.zeros((n, lengths.max()), dtype=np.int32)
    codes = np.zeros((n, lengths.max()), dtype=np.float32)
    for w in range(n):
        depth = lengths[w]
        node = w
        while node != root:  # from the leaf up: the path is filled from its end
            depth -= 1
            codes[w, depth] = second[node]
            node = parent[node]
            points[w, depth] = node - n
    return points, codes, lengths
