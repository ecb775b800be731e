"""The per-block training loop: a model builds hidden vectors, a loss scores them.

fastText's shape (``Model::update`` + ``Loss``), for every model and every loss
trained example by example:

1. **The model** builds the hidden vectors of one centre word from the input rows
   of its window (:func:`gather_hidden`): skip-gram one per context word (the
   context's own row: m pairs of one centre), CBOW one, the mean of the context
   rows (word2vec.c's ``cbow_mean=1``).
2. **The loss** (:func:`output_step`) picks the candidate output rows of the
   centre word -- the positive and k noise draws (neg, nce, infonce) or the
   inner nodes on its Huffman path (hs) -- and scores the rows × candidates block
   in three steps: the scores S = H Vᵀ (:func:`score_block`), the per-term
   coefficients C from one shared step (:mod:`.binary`'s logistic or
   :mod:`.rowsoftmax`'s softmax), and the two updates D = C V (the hidden
   vectors' gradients) and V += Cᵀ H (:func:`update_block`), both taken at the
   block's starting point.
3. **The model** adds each hidden vector's gradient back to its input rows
   (:func:`scatter_deltas`): skip-gram to the context's row, CBOW (unscaled, as
   word2vec.c and gensim do) to every context row.

With ``spec.share`` the hidden vectors of one centre word share one candidate set
(negative sharing, Ji et al. 2016; the Huffman path is shared by construction);
otherwise every hidden vector draws its own and is scored on its own, one pair at
a time as word2vec does.

Hidden vectors are copies in a contiguous scratch block and only the gradient is
added back, so an update another thread makes to an input row meanwhile is kept
(Hogwild). The learning rate follows global progress, updated per sentence
(:func:`.pairs.learning_rate`).
"""

import numba
import numpy as np

from ..losses import CBOW, SAMPLED_SOFTMAX, TREE
from .alias import draw
from .binary import logistic_coefficients
from .pairs import learning_rate, longest_sentence, read_sentence, window_bounds
from .rowsoftmax import softmax_coefficients
from .vecops import axpy, dot

ONE = np.float32(1.0)
ZERO = np.float32(0.0)


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_hidden(syn0, sentence, lo, hi, centre, model, hidden):
    """The hidden vectors of the window lo..hi-1 around ``centre``; returns their number."""
    if model == CBOW:
        h = hidden[0]
        h[:] = ZERO
        for j in range(lo, hi):
            if j != centre:
                axpy(ONE, syn0[sentence[j]], h)
        scale = ONE / np.float32(hi - lo - 1)
        for t in range(h.shape[0]):
            h[t] *= scale
        return 1
    rows = 0
    for j in range(lo, hi):
        if j != centre:
            hidden[rows, :] = syn0[sentence[j]]
            rows += 1
    return rows


@numba.njit(inline="always", fastmath=True, cache=True)
def scatter_deltas(syn0, sentence, lo, hi, centre, model, deltas):
    """Add the hidden vectors' gradients to the input rows they came from."""
    a = 0
    for j in range(lo, hi):
        if j != centre:
            axpy(ONE, deltas[0 if model == CBOW else a], syn0[sentence[j]])
            a += 1


@numba.njit(inline="always", cache=True)
def noise_candidates(target, tables, spec, state, candidates, labels, offsets):
    """The positive (label 1) and k draws from q (label 0); returns (width, state)."""
    candidates[0] = target
    labels[0] = ONE
    offsets[0] = tables.offsets[target]
    width = 1
    for _ in range(spec.k):
        state, noise = draw(state, tables.noise_threshold, tables.noise_alias)
        if spec.skip_positive and noise == target:
            continue
        candidates[width] = noise
        labels[width] = ZERO
        offsets[width] = tables.offsets[noise]
        width += 1
    return width, state


@numba.njit(inline="always", cache=True)
def tree_candidates(target, tables, candidates, labels, offsets):
    """The inner nodes on the target's Huffman path, label 1 − code; returns the width."""
    width = tables.lengths[target]
    for d in range(width):
        candidates[d] = tables.points[target, d]
        labels[d] = ONE - tables.codes[target, d]
        offsets[d] = ZERO
    return width


@numba.njit(inline="always", fastmath=True, cache=True)
def score_block(hidden, lo, hi, syn1, candidates, width, scores):
    """scores[a, b] = h_a · v_{candidates[b]} for rows lo..hi-1."""
    for a in range(lo, hi):
        h = hidden[a]
        for b in range(width):
            scores[a, b] = dot(h, syn1[candidates[b]])


@numba.njit(inline="always", fastmath=True, cache=True)
def update_block(hidden, lo, hi, syn1, candidates, width, coefficients, deltas):
    """deltas[a] = Σ_b C_ab v_b, then v_b += Σ_a C_ab h_a: both at the starting point."""
    for a in range(lo, hi):
        delta = deltas[a]
        delta[:] = ZERO
        for b in range(width):
            axpy(coefficients[a, b], syn1[candidates[b]], delta)
    for b in range(width):
        v = syn1[candidates[b]]
        for a in range(lo, hi):
            axpy(coefficients[a, b], hidden[a], v)


@numba.njit(inline="always", fastmath=True, cache=True)
def output_step(hidden, rows, target, syn1, tables, spec, lr, scratch, state):
    """Score hidden rows 0..rows-1 against ``target``; fills the deltas, updates syn1.

    Returns (loss, state).
    """
    candidates, labels, offsets, scores, coefficients, deltas = scratch
    loss = 0.0
    shared = spec.share or spec.output == TREE
    for lo in range(0, rows, rows if shared else 1):
        hi = rows if shared else lo + 1
        if spec.output == TREE:
            width = tree_candidates(target, tables, candidates, labels, offsets)
        else:
            width, state = noise_candidates(
                target, tables, spec, state, candidates, labels, offsets
            )
        score_block(hidden, lo, hi, syn1, candidates, width, scores)
        if spec.output == SAMPLED_SOFTMAX:
            loss += softmax_coefficients(scores, lo, hi, width, offsets, lr, coefficients)
        else:
            loss += logistic_coefficients(scores, lo, hi, width, labels, offsets, lr, coefficients)
        update_block(hidden, lo, hi, syn1, candidates, width, coefficients, deltas)
    return loss, state


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def train_block(ids, weights, tables, spec, schedule, seed):
    """Train one block; returns (loss sum as float64, examples, words read).

    An example is a pair for skip-gram and a centre word for CBOW: the loss sum
    over the examples is what the progress bar averages.
    """
    syn0, syn1 = weights
    dim = syn0.shape[1]
    sentence = np.empty(longest_sentence(ids), dtype=np.int32)
    rows_max = 1 if spec.model == CBOW else 2 * spec.window
    width_max = max(spec.k + 1, tables.points.shape[1])
    hidden = np.empty((rows_max, dim), dtype=np.float32)
    scratch = (
        np.empty(width_max, dtype=np.int64),  # candidates
        np.empty(width_max, dtype=np.float32),  # labels
        np.empty(width_max, dtype=np.float32),  # offsets
        np.empty((rows_max, width_max), dtype=np.float32),  # scores
        np.empty((rows_max, width_max), dtype=np.float32),  # coefficients
        np.empty((rows_max, dim), dtype=np.float32),  # deltas
    )
    deltas = scratch[5]
    state = np.uint64(seed)
    loss = 0.0
    examples = 0
    words = 0
    pos = 0
    while pos < ids.shape[0]:
        pos, length, read, state = read_sentence(ids, pos, tables.keep, sentence, state)
        words += read
        lr = learning_rate(schedule, words)
        for i in range(length):
            lo, hi, state = window_bounds(i, length, spec.window, state)
            if hi - lo < 2:
                continue
            rows = gather_hidden(syn0, sentence, lo, hi, i, spec.model, hidden)
            part, state = output_step(
                hidden, rows, sentence[i], syn1, tables, spec, lr, scratch, state
            )
            scatter_deltas(syn0, sentence, lo, hi, i, spec.model, deltas)
            loss += part
            examples += rows
    return loss, examples, words
