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
a time as word2vec does. With ``spec.centres`` > 1 (``--noise-group``) that many
consecutive centre words of a sentence are gathered first and share one set: one
block of all their hidden rows against their positives and the k draws, with the
terms of a row against another centre's positive masked (:func:`output_step`).

Hidden vectors are copies in a contiguous scratch block and only the gradient is
added back, so an update another thread makes to an input row meanwhile is kept
(Hogwild). The candidate rows are copied too, once per block, into a second
scratch block (HogBatch's gather, Ji et al. 2016): the scores and the hidden
gradients then run over two contiguous blocks whose rows are padded with zeros
to whole SIMD registers, with the register-blocked loops of :mod:`.vecops`, and
each candidate row gets its update as one sum added to the live row (so a
candidate drawn twice gets both, as in the reference). The learning rate
follows global progress, updated per sentence (:func:`.pairs.learning_rate`).

Much of what a block of a large vocabulary waits for is memory (measured: k = 5
ran 1.3× faster with every noise word from the 100 most frequent): the rows of
the next centre word are prefetched while the current one computes, and
the noise words are drawn ahead of use -- in batches, from a stream of their
own (:func:`.rng.noise_seed`), into a queue whose rows are prefetched a few
candidate sets ahead -- so their rows and the alias table's entries arrive in
parallel rather than one miss at a time.
"""

from typing import NamedTuple

import numba
import numpy as np

from .alias import draw
from .binary import logistic_coefficients
from .bundles import Tables
from .pairs import learning_rate, longest_sentence, read_sentence, window_bounds
from .rng import noise_seed
from .rowsoftmax import softmax_coefficients
from .simd import WIDTH, wide_vectors
from .steps import CBOW, SAMPLED_SOFTMAX, TREE
from .vecops import (
    accumulate,
    accumulate_pair,
    add_row,
    copy_row,
    dots,
    dots_pair,
    padded,
    prefetch_row,
    scale_row,
    untracked,
)

ONE = np.float32(1.0)
ZERO = np.float32(0.0)
# With label 0, a term of loss exactly 0: e = exp(−40) = 4e-18 vanishes in the float64 1 + e.
# Not lower: a logit of −100 made σ(x), and its coefficient, a denormal float32, and
# arithmetic that produces denormals runs some hundred times slower (the masked terms of
# a block of several centre words are many).
PADDING_LOGIT = np.float32(-40.0)
NOISE_BATCH = 1024  # noise words drawn at a time (at least 4k: see new_scratch)
PRIVATE_FLUSH = 128  # centre words between two flush_private


class Scratch(NamedTuple):
    """One block's work space, allocated once per call of :func:`train_block`."""

    candidates: np.ndarray  # int64 width_max: output rows of the current candidate set
    labels: np.ndarray  # float32 width_max
    offsets: np.ndarray  # float32 width_max
    hidden: np.ndarray  # float32 rows_max × padded(dim): H, zeros beyond dim
    rows: np.ndarray  # float32 width_max × padded(dim): the candidates' output rows V
    # The flat buffers hold an m × width block row after row (no gaps), so a step over
    # all its terms is one loop; WIDTH more for padding to whole registers.
    logits: np.ndarray  # float32 rows_max·width_max + WIDTH: X = H Vᵀ − offsets
    block_labels: np.ndarray  # float32 as logits: each term's label
    coefficients: np.ndarray  # float32 as logits: C
    deltas: np.ndarray  # float32 rows_max × padded(dim): D = C V
    queue: np.ndarray  # int64: noise words drawn ahead, used in the stream's order
    cursor: np.ndarray  # uint64 2: the noise stream's state, the queue's next position
    private: np.ndarray  # float32 spec.private × padded(dim): updates of the top rows not yet
    dirty: np.ndarray  # uint8 spec.private: ... added to syn1, and which rows have some
    group: np.ndarray  # int64 (spec.centres + 1) × 4: a step's centre words: position, lo,
    # hi of the window, first hidden row (and one more first row: the end of the last)


@numba.njit(inline="always", cache=True)
def new_scratch(rows_max, width_max, dim, k, private=0, centres=1):
    """Zeroed scratch (the padding columns of hidden, rows and deltas stay zero)."""
    wide = padded(dim)
    batch = NOISE_BATCH
    while batch < 4 * k:
        batch *= 2
    return Scratch(
        np.zeros(width_max, dtype=np.int64),
        np.zeros(width_max, dtype=np.float32),
        np.zeros(width_max, dtype=np.float32),
        np.zeros((rows_max, wide), dtype=np.float32),
        np.zeros((width_max, wide), dtype=np.float32),
        np.zeros(rows_max * width_max + WIDTH, dtype=np.float32),
        np.zeros(rows_max * width_max + WIDTH, dtype=np.float32),
        np.zeros(rows_max * width_max + WIDTH, dtype=np.float32),
        np.zeros((rows_max, wide), dtype=np.float32),
        np.zeros(batch, dtype=np.int64),
        np.zeros(2, dtype=np.uint64),
        np.zeros((private, wide), dtype=np.float32),
        np.zeros(private, dtype=np.uint8),
        np.zeros((centres + 1, 4), dtype=np.int64),
    )


@numba.njit(inline="always", cache=True)
def refill_noise(threshold, alias, syn1, ahead, queue, cursor):
    """Draw a batch of noise words; prefetch the rows of the first ``ahead``.

    One tight loop of independent draws: the alias table's cache misses overlap.
    """
    state = cursor[0]
    for slot in range(queue.shape[0]):
        state, queue[slot] = draw(state, threshold, alias)
    for slot in range(ahead):
        prefetch_row(syn1, queue[slot])
    cursor[0], cursor[1] = state, 0


@numba.njit(inline="always", cache=True)
def start_noise(threshold, alias, syn1, k, seed, queue, cursor):
    """Seed the noise stream and draw its first batch."""
    cursor[0] = np.uint64(seed)
    refill_noise(threshold, alias, syn1, noise_ahead(k, queue), queue, cursor)


@numba.njit(inline="always", cache=True)
def noise_ahead(k, queue):
    """How many draws ahead of use a row is prefetched: two candidate sets."""
    return min(2 * k, queue.shape[0] // 2)


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_hidden(syn0, sentence, lo, hi, centre, model, hidden, first):
    """The hidden vectors of the window lo..hi-1 around ``centre``, into the rows of
    ``hidden`` from ``first`` on; returns their number."""
    dim = syn0.shape[1]
    if model == CBOW:
        copy_row(syn0, sentence[lo if lo != centre else lo + 1], hidden, first, dim)
        for j in range(lo + 1 if lo != centre else lo + 2, hi):
            if j != centre:
                add_row(ONE, syn0, sentence[j], hidden, first, dim)
        scale_row(ONE / np.float32(hi - lo - 1), hidden, first, dim)
        return 1
    rows = first
    for j in range(lo, hi):
        if j != centre:
            copy_row(syn0, sentence[j], hidden, rows, dim)
            rows += 1
    return rows - first


@numba.njit(inline="always", fastmath=True, cache=True)
def scatter_deltas(syn0, sentence, lo, hi, centre, model, deltas, first):
    """Add the gradients of the hidden vectors from row ``first`` on to the input rows
    they came from."""
    dim = syn0.shape[1]
    a = first
    for j in range(lo, hi):
        if j != centre:
            add_row(ONE, deltas, first if model == CBOW else a, syn0, sentence[j], dim)
            a += 1


@numba.njit(inline="always", cache=True)
def positive(b, target, tables, scratch):
    """Candidate b is ``target``, label 1."""
    scratch.candidates[b] = target
    scratch.labels[b] = ONE
    scratch.offsets[b] = tables.offsets[target]


@numba.njit(inline="always", cache=True)
def draw_noise(width, skip, spec, tables, syn1, scratch):
    """Append k draws from q (label 0) to the first ``width`` candidates, leaving out a
    draw equal to ``skip`` (−1: none); returns the new width."""
    threshold, alias, logit_offsets = tables.noise_threshold, tables.noise_alias, tables.offsets
    candidates, labels, offsets = scratch.candidates, scratch.labels, scratch.offsets
    queue, cursor = scratch.queue, scratch.cursor
    ahead = noise_ahead(spec.k, queue)
    position = np.int64(cursor[1])
    for _ in range(spec.k):
        if position == queue.shape[0]:
            refill_noise(threshold, alias, syn1, ahead, queue, cursor)
            position = 0
        noise = queue[position]
        if position + ahead < queue.shape[0]:
            prefetch_row(syn1, queue[position + ahead])
        position += 1
        if noise == skip:
            continue
        candidates[width] = noise
        labels[width] = ZERO
        offsets[width] = logit_offsets[noise]
        width += 1
    cursor[1] = np.uint64(position)
    return width


@numba.njit(inline="always", cache=True)
def tree_candidates(target, tables, scratch):
    """The inner nodes on the target's Huffman path, label 1 − code; returns the width."""
    points, codes, lengths = tables.points, tables.codes, tables.lengths
    candidates, labels, offsets = scratch.candidates, scratch.labels, scratch.offsets
    width = lengths[target]
    for d in range(width):
        candidates[d] = points[target, d]
        labels[d] = ONE - codes[target, d]
        offsets[d] = ZERO
    return width


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_rows(syn1, candidates, width, rows, private):
    """rows[b, :dim] = syn1[candidates[b]]: the candidate block's starting point, with
    this thread's private updates of the top rows (see :func:`flush_private`)."""
    first = syn1.shape[0] - private.shape[0]
    for b in range(width):
        copy_row(syn1, candidates[b], rows, b, syn1.shape[1])
        if candidates[b] >= first:
            add_row(ONE, private, candidates[b] - first, rows, b, syn1.shape[1])


@numba.njit(inline="always", fastmath=True, cache=True)
def flush_private(syn1, private, dirty):
    """Add this thread's private updates of the top output rows to syn1; zero them.

    With hs and several threads, the top ``private`` rows of syn1 -- the inner nodes
    nearest the root, on every word's path -- are updated by every centre word of
    every thread. Written straight to syn1, each update would take the rows' cache
    lines from the other core. So a thread adds its updates of them to ``private``
    (reading syn1 + private, so it sees its own updates at once), and adds them to
    syn1 every :data:`PRIVATE_FLUSH` centre words and at the end of the block: the
    other threads see them that much later, a bounded staleness of the kind
    Hogwild already has.
    """
    first = syn1.shape[0] - private.shape[0]
    for j in range(private.shape[0]):
        if dirty[j]:
            add_row(ONE, private, j, syn1, first + j, syn1.shape[1])
            scale_row(ZERO, private, j, private.shape[1])
            dirty[j] = 0


@numba.njit(inline="always", fastmath=True, cache=True)
def score_block(hidden, lo, hi, rows, width, offsets, logits):
    """logits[(a − lo)·width + b] = h_a · v_b − offsets[b] for rows lo..hi-1, two at a time."""
    a = lo
    while a + 2 <= hi:
        dots_pair(hidden, a, rows, width, offsets, logits, (a - lo) * width)
        a += 2
    if a < hi:
        dots(hidden, a, rows, width, offsets, logits, (a - lo) * width)


@numba.njit(inline="always", fastmath=True, cache=True)
def update_block(lo, hi, syn1, width, scratch):
    """deltas[a] = Σ_b C_ab v_b, then v_b += Σ_a C_ab h_a: both at the starting point.

    ``coefficients`` holds the (hi − lo) × width block row after row: a hidden
    row's coefficients are a row of it, a candidate's a column (every width-th).
    The deltas use the gathered copy of the candidate rows; each live row gets
    its sum over the hidden rows added in one pass, two rows per pass.
    """
    hidden, candidates, rows = scratch.hidden, scratch.candidates, scratch.rows
    coefficients, deltas = scratch.coefficients, scratch.deltas
    wide, dim, m = deltas.shape[1], syn1.shape[1], hi - lo
    for j in range(lo, hi):
        scale_row(ZERO, deltas, j, wide)
    j = 0
    while j + 2 <= m:
        c = j * width
        accumulate_pair(
            coefficients, c, c + width, 1, rows, 0, width, deltas, lo + j, lo + j + 1, wide
        )
        j += 2
    if j < m:
        accumulate(coefficients, j * width, 1, rows, 0, width, deltas, lo + j, wide)
    # The private top rows of a Huffman path come first: a parent's index is above its
    # children's (word2vec.c numbers the inner nodes as it merges them), so the rows
    # at or above `first` are the root's end of the path.
    private, dirty = scratch.private, scratch.dirty
    first = syn1.shape[0] - private.shape[0]
    b = 0
    while b < width and candidates[b] >= first:
        accumulate(coefficients, b, width, hidden, lo, m, private, candidates[b] - first, dim)
        dirty[candidates[b] - first] = 1
        b += 1
    while b + 2 <= width:
        accumulate_pair(
            coefficients,
            b,
            b + 1,
            width,
            hidden,
            lo,
            m,
            syn1,
            candidates[b],
            candidates[b + 1],
            dim,
        )
        b += 2
    if b < width:
        accumulate(coefficients, b, width, hidden, lo, m, syn1, candidates[b], dim)


@numba.njit(inline="always", fastmath=True, cache=True)
def output_step(members, rows_in, sentence, syn1, tables, spec, lr, scratch):
    """Score the hidden rows 0..rows_in-1 of the centre words in ``scratch.group`` (in
    ``scratch.hidden``); fills ``scratch.deltas``, updates syn1. Returns the loss.

    The candidates are the centre words' positives and k draws from q (one set for
    all the rows with ``spec.share``, else one per row), or the Huffman path of the
    (one) centre word. With several centre words (``spec.centres``) their rows share
    one set, and a row's terms against another centre word's positive are masked:
    they add nothing to the loss or to any update (that word is no draw from q). So
    are, with ``spec.skip_positive`` (neg), a row's terms against a draw equal to its
    own positive: word2vec's rule, which for one centre word drops such a draw.

    Every block step is written once here (one inlined copy: Numba inlines these
    helpers, and each copy costs LLVM seconds of compilation).
    """
    hidden, candidates, group = scratch.hidden, scratch.candidates, scratch.group
    rows, logits, coefficients = scratch.rows, scratch.logits, scratch.coefficients
    group[members, 3] = rows_in
    loss = 0.0
    shared = spec.share or spec.output == TREE
    for lo in range(0, rows_in, rows_in if shared else 1):
        hi = rows_in if shared else lo + 1
        if spec.output == TREE:
            width = tree_candidates(sentence[group[0, 0]], tables, scratch)
        else:
            for c in range(members):
                positive(c, sentence[group[c, 0]], tables, scratch)
            # word2vec's rule: one centre word's draw equal to its positive is dropped
            skip = candidates[0] if members == 1 and spec.skip_positive else -1
            width = draw_noise(members, skip, spec, tables, syn1, scratch)
        gather_rows(syn1, candidates, width, rows, scratch.private)
        score_block(hidden, lo, hi, rows, width, scratch.offsets, logits)
        if spec.output == SAMPLED_SOFTMAX:
            loss += softmax_coefficients(logits, hi - lo, width, lr, coefficients)
        else:
            masked = members if members > 1 else 0
            loss += binary_block(lo, hi, width, lr, masked, spec.skip_positive, scratch)
        update_block(lo, hi, syn1, width, scratch)
    return loss


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_block(lo, hi, width, lr, masked, skip, scratch):
    """The logistic step of the (hi − lo) × width block of logits; returns its loss.

    Each term's label is its candidate's. With ``masked`` centre words (see
    :func:`output_step`; 0: no mask; ``skip``: a draw equal to a row's positive is
    masked too) the masked terms get the padding's logit and label 0, so they add
    exactly nothing to the loss, and then a coefficient of 0.
    """
    logits, block_labels, labels = scratch.logits, scratch.block_labels, scratch.labels
    terms = (hi - lo) * width
    whole = padded(terms)
    for j in range(hi - lo):
        for b in range(width):
            block_labels[j * width + b] = labels[b]
    group, candidates = scratch.group, scratch.candidates
    if masked:
        mask_terms(lo, hi, width, masked, skip, group, candidates, logits, PADDING_LOGIT)
        mask_terms(lo, hi, width, masked, skip, group, candidates, block_labels, ZERO)
    for e in range(terms, whole):  # terms that add nothing: padding to whole registers
        logits[e] = PADDING_LOGIT
        block_labels[e] = ZERO
    loss = logistic_coefficients(logits, block_labels, whole, lr, scratch.coefficients)
    if masked:
        mask_terms(lo, hi, width, masked, skip, group, candidates, scratch.coefficients, ZERO)
    return loss


@numba.njit(cache=True)
def mask_terms(lo, hi, width, members, skip, group, candidates, values, value):
    """values[term] = value for the masked terms of rows lo..hi-1 (see output_step): a
    row of centre c against the positive of another centre and, with ``skip``, against
    a draw equal to its own positive. The first ``members`` candidates are the
    positives. Not inlined: a separate function keeps the training loop's compile
    time down, and it runs once per block."""
    for c in range(members):
        target = candidates[c]
        for j in range(max(lo, group[c, 3]), min(hi, group[c + 1, 3])):
            base = (j - lo) * width
            for b in range(width):
                if b != c and (b < members or (skip and candidates[b] == target)):
                    values[base + b] = value


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def train_block(ids, weights, tables, spec, schedule, seed):
    """Train one block; returns (loss sum as float64, examples, words read).

    An example is a pair for skip-gram and a centre word for CBOW: the loss sum
    over the examples is what the progress bar averages.
    """
    sentence = np.empty(longest_sentence(ids), dtype=np.int32)
    rows_max = spec.centres * (1 if spec.model == CBOW else 2 * spec.window)
    width_max = max(spec.k + spec.centres, tables.points.shape[1])
    private = min(spec.private, weights.output.shape[0])
    dim = weights.input.shape[1]
    scratch = new_scratch(rows_max, width_max, dim, spec.k, private, spec.centres)
    # The arguments and this call own every array until _train_block returns: the
    # loop borrows them, untracked (see vecops.untracked).
    return _train_block(
        untracked(ids), untracked(weights.input), untracked(weights.output),
        untracked_tables(tables), spec, schedule, seed, untracked(sentence),
        untracked_scratch(scratch),
    )  # fmt: skip


@numba.njit(inline="always", cache=True)
def untracked_tables(tables):
    return Tables(
        untracked(tables.keep), untracked(tables.noise_threshold), untracked(tables.noise_alias),
        untracked(tables.offsets), untracked(tables.points), untracked(tables.codes),
        untracked(tables.lengths),
    )  # fmt: skip


@numba.njit(inline="always", cache=True)
def untracked_scratch(scratch):
    return Scratch(
        untracked(scratch.candidates), untracked(scratch.labels), untracked(scratch.offsets),
        untracked(scratch.hidden), untracked(scratch.rows), untracked(scratch.logits),
        untracked(scratch.block_labels), untracked(scratch.coefficients),
        untracked(scratch.deltas), untracked(scratch.queue),
        untracked(scratch.cursor), untracked(scratch.private), untracked(scratch.dirty),
        untracked(scratch.group),
    )  # fmt: skip


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def _train_block(ids, syn0, syn1, tables, spec, schedule, seed, sentence, scratch):
    wide_vectors()
    if spec.k > 0:
        start_noise(
            tables.noise_threshold, tables.noise_alias, syn1, spec.k, noise_seed(seed),
            scratch.queue, scratch.cursor,
        )  # fmt: skip
    keep, hidden, group = tables.keep, scratch.hidden, scratch.group
    state = np.uint64(seed)
    loss = 0.0
    examples = 0
    words = 0
    pos = 0
    steps = 0
    while pos < ids.shape[0]:
        pos, length, read, state = read_sentence(ids, pos, keep, sentence, state)
        words += read
        lr = learning_rate(schedule, words)
        members = 0  # centre words gathered for the next step, their hidden rows so far
        rows_in = 0
        for i in range(length + 1):  # i == length: the sentence's last, smaller, group
            if i < length:
                lo, hi, state = window_bounds(i, length, spec.window, state)
                if hi - lo < 2:
                    continue
                if i + 1 < length and spec.output != TREE:  # the next centre's new rows
                    prefetch_row(syn1, sentence[i + 1])
                if i + 1 + spec.window < length:
                    prefetch_row(syn0, sentence[i + 1 + spec.window])
                group[members, 0], group[members, 1], group[members, 2] = i, lo, hi
                group[members, 3] = rows_in
                m = gather_hidden(syn0, sentence, lo, hi, i, spec.model, hidden, rows_in)
                rows_in += m
                members += 1
                examples += m
                if members < spec.centres:
                    continue
            elif members == 0:
                continue
            loss += centre_step(members, rows_in, sentence, syn0, syn1, tables, spec, lr, scratch)
            members = rows_in = 0
            steps += 1
            if steps % PRIVATE_FLUSH == 0:
                flush_private(syn1, scratch.private, scratch.dirty)
    flush_private(syn1, scratch.private, scratch.dirty)
    return loss, examples, words


@numba.njit(inline="always", fastmath=True, cache=True)
def centre_step(members, rows_in, sentence, syn0, syn1, tables, spec, lr, scratch):
    """The output step of the centre words in ``scratch.group`` (all their hidden rows
    gathered before any update), then their gradients added to their input rows;
    returns the loss."""
    group = scratch.group
    loss = output_step(members, rows_in, sentence, syn1, tables, spec, lr, scratch)
    for c in range(members):
        centre, lo, hi, first = group[c, 0], group[c, 1], group[c, 2], group[c, 3]
        scatter_deltas(syn0, sentence, lo, hi, centre, spec.model, scratch.deltas, first)
    return loss
