"""The per-block training loop: a model builds hidden vectors, a loss scores them.

fastText's shape (``Model::update`` + ``Loss``), for every model and every loss
trained example by example:

1. **The model** builds the hidden vectors of one centre word from the input rows
   of its window (:func:`gather_cbow`, :func:`gather_skipgram`): skip-gram one per context word (the
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
   (:func:`scatter_window_deltas`): skip-gram to the context's row, CBOW
   (unscaled, as word2vec.c and gensim do) to every context row.

With ``spec.share_negatives`` the hidden vectors of one centre word share one
candidate set (negative sharing, Ji et al. 2016; the Huffman path is shared by
construction); otherwise every hidden vector draws its own and is scored on its
own, one pair at a time as word2vec does. With ``spec.noise_group`` > 1
(``--noise-group``) that many consecutive centre words of a sentence, a noise
group, are gathered first and share one set: one block of all their hidden rows
against their positives and the k draws, with the terms of a row against another
centre's positive masked (:func:`output_step`).

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

from w2v_nce.kernels.alias import draw
from w2v_nce.kernels.binary import logistic_coefficients
from w2v_nce.kernels.contrastive import (
    DOT,
    Terms,
    add_hidden_self,
    add_row_self,
    drlim_step,
    infonce_step,
    squared_norms,
    triplet_step,
)
from w2v_nce.kernels.internal import kernel_only, read_only
from w2v_nce.kernels.pairs import learning_rate, read_sentence, window_bounds
from w2v_nce.kernels.rng import noise_seed
from w2v_nce.kernels.rowsoftmax import softmax_coefficients
from w2v_nce.kernels.simd import WIDTH, wide_vectors
from w2v_nce.kernels.steps import CBOW, DRLIM, NOISE, SAMPLED_SOFTMAX, TREE, TRIPLET
from w2v_nce.kernels.vecops import (
    Inputs,
    accumulate,
    accumulate_pair,
    add_row,
    copy_row,
    dots,
    dots_pair,
    is_set,
    padded,
    prefetch_row,
    scale_row,
    squared_norm,
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
# The most a block's update of one noise word may move its logits (see bound_steps).
STEP_BOUND = np.float32(32.0)
PRIVATE_FLUSH = 128  # centre words between two flush_private


class Scratch(NamedTuple):
    """One block's work space, allocated once per call of :func:`train_block`."""

    candidates: np.ndarray  # int64 width_max: output rows of the current candidate set
    labels: np.ndarray  # float32 width_max
    logit_offsets: np.ndarray  # float32 width_max: the candidates' (Tables.logit_offsets)
    hidden: np.ndarray  # float32 rows_max × padded(dim): H, zeros beyond dim
    rows: np.ndarray  # float32 width_max × padded(dim): the candidates' output rows V
    # The flat buffers hold an m × width block row after row (no gaps), so a step over
    # all its terms is one loop; WIDTH more for padding to whole registers.
    logits: np.ndarray  # float32 rows_max·width_max + WIDTH: X = H Vᵀ − logit offsets
    block_labels: np.ndarray  # float32 as logits: each term's label
    coefficients: np.ndarray  # float32 as logits: C
    deltas: np.ndarray  # float32 rows_max × padded(dim): D = C V
    queue: np.ndarray  # int64: noise words drawn ahead, used in the stream's order
    cursor: np.ndarray  # uint64 2: the noise stream's state, the queue's next position
    private: np.ndarray  # float32 spec.private × padded(dim): updates of the top output
    dirty: np.ndarray  # uint8 spec.private: ... rows not yet added, and which rows have some
    group: np.ndarray  # int64 (spec.noise_group + 1) × 4: the noise group's centre words:
    # position, lo and hi of the window, first hidden row (and one more first row: the end)
    # The contrastive steps' Terms besides the coefficients (kernels.contrastive):
    hidden_norms: np.ndarray  # float32 rows_max: |h_j|²
    row_norms: np.ndarray  # float32 width_max: |v_b|²
    hidden_self: np.ndarray  # float32 rows_max: lr·(−c_j)
    row_self: np.ndarray  # float32 width_max: lr·(−e_b)
    word_steps: np.ndarray  # float32 V (noise losses) or 0: a block's summed |C| per word
    stop: np.ndarray  # uint8 1: set (by another thread) to end the block at a sentence end
    read: np.ndarray  # int64 1: the block's words read so far (another thread's progress bar)
    masked: np.ndarray  # uint8 as logits: 1 for a term masked out of a noise group's block


class CandidateBlock(NamedTuple):
    """The hidden rows lo..hi-1 of the scratch against its first ``width`` candidates."""

    lo: int
    hi: int
    width: int


SCRATCH_GAP = 256  # bytes between two arrays of the scratch (see new_scratch)


def new_scratch(
    rows_max, width_max, dim, k, private=0, noise_group=1, words=0, stop=None, read=None
):
    """Zeroed scratch (the padding columns of hidden, rows and deltas stay zero).

    Allocated by NumPy, once per block (Numba compiling an allocator of the 19
    arrays cost about a second of a first run's compile), as views of one buffer:
    each array on a 64-byte boundary, :data:`SCRATCH_GAP` bytes after the one
    before it. Where the arrays lie relative to each other changed the results:
    with NumPy's separate arrays (small ones lie where the heap puts them), CBOW
    neg's ``--threads 1 --seed 1`` vectors differed between runs (8 of 10), with
    the fixed layout not in 40 runs, nor when every array was moved by 16, 32 or
    48 bytes. No read or write outside the arrays was found (guard bytes around
    each stayed intact, and huge values in them changed nothing); the likely
    cause, not confirmed, is LLVM's run-time overlap checks, which run a scalar
    copy of a vectorised loop (another order of float additions) when two
    arrays may overlap.
    """
    wide = padded(dim)
    batch = NOISE_BATCH
    while batch < 4 * k:
        batch *= 2
    flat = rows_max * width_max + WIDTH  # an m × width block, row after row
    f32, i64 = np.float32, np.int64
    shapes = {
        "candidates": (width_max, i64),
        "labels": (width_max, f32),
        "logit_offsets": (width_max, f32),
        "hidden": ((rows_max, wide), f32),
        "rows": ((width_max, wide), f32),
        "logits": (flat, f32),
        "block_labels": (flat, f32),
        "coefficients": (flat, f32),
        "deltas": ((rows_max, wide), f32),
        "queue": (batch, i64),
        "cursor": (2, np.uint64),
        "private": ((private, wide), f32),
        "dirty": (private, np.uint8),
        "group": ((noise_group + 1, 4), i64),
        "hidden_norms": (rows_max, f32),
        "row_norms": (width_max, f32),
        "hidden_self": (rows_max, f32),
        "row_self": (width_max, f32),
        "word_steps": (words, f32),
        "stop": (1, np.uint8),  # these three last: the arrays before lie as they did before
        "read": (1, i64),
        "masked": (flat if noise_group > 1 else 0, np.uint8),
    }
    places, end = {}, SCRATCH_GAP  # each array's (offset, bytes) in the buffer
    for name, (shape, dtype) in shapes.items():
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        places[name] = (end, size)
        end += -(-size // 64) * 64 + SCRATCH_GAP
    buffer = np.zeros(end + 64, dtype=np.uint8)
    base = -buffer.ctypes.data % 64
    arrays = {}
    for name, (offset, size) in places.items():
        shape, dtype = shapes[name]
        arrays[name] = buffer[base + offset : base + offset + size].view(dtype).reshape(shape)
    if stop is not None:  # the caller's flag, shared with the thread that may set it
        arrays["stop"] = stop
    if read is not None:  # the caller's counter, which another thread reads
        arrays["read"] = read
    return Scratch(**arrays)


@kernel_only()
def refill_noise(tables, output, ahead, scratch):
    """Draw a batch of noise words into the queue; prefetch the output rows of the
    first ``ahead``.

    One tight loop of independent draws: the alias table's cache misses overlap.
    Not inlined: it runs once per batch, and one compiled copy serves the kernel's
    start and the output step's draws.
    """
    threshold, alias = tables.noise_threshold, tables.noise_alias
    queue, cursor = scratch.queue, scratch.cursor
    state = cursor[0]
    for slot in range(queue.shape[0]):
        state, queue[slot] = draw(state, threshold, alias)
    for slot in range(ahead):
        prefetch_row(output, queue[slot])
    cursor[0], cursor[1] = state, 0


@numba.njit(inline="always", cache=True)
def start_noise(tables, output, k, seed, scratch):
    """Seed the noise stream and draw its first batch."""
    scratch.cursor[0] = np.uint64(seed)
    refill_noise(tables, output, noise_ahead(k, scratch.queue), scratch)


@numba.njit(inline="always", cache=True)
def noise_ahead(k, queue):
    """How many draws ahead of use a row is prefetched: two candidate sets."""
    ahead = 2 * k
    half = queue.shape[0] // 2
    return half if half < ahead else ahead  # min(), see pairs.window_bounds


@numba.njit(inline="always", fastmath=True, cache=True)
def add_word(weights, tables, word, hidden, row, first, subwords):
    """Add word ``word``'s input rows to ``hidden[row]`` (copy them if ``first``): its
    own row and, with ``subwords`` (the kernel's constant), its n-gram rows; returns
    how many rows that was."""
    dim = weights.input.shape[1]
    if first:
        copy_row(weights.input, word, hidden, row, dim)
    else:
        add_row(ONE, weights.input, word, hidden, row, dim)
    if not subwords:
        return 1
    ngram_rows = tables.ngram_rows
    for r in range(tables.ngram_starts[word], tables.ngram_starts[word + 1]):
        add_row(ONE, weights.buckets, ngram_rows[r], hidden, row, dim)
    return 1 + tables.ngram_starts[word + 1] - tables.ngram_starts[word]


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_cbow(weights, tables, sentence, window, subwords, hidden, first):
    """The hidden vector of CBOW for the window (lo, hi, centre): the mean of the input
    rows of the words lo..hi-1 but the centre (and, with subwords, of their n-gram
    rows: fastText's, every row counts once) into ``hidden[first]``; returns 1.

    One function per model (:func:`gather_skipgram`), chosen in the kernel's loop on
    its constant: Numba prunes the other's call before it inlines anything, where a
    branch on the model inside one inlined function would be inlined whole (both
    models' row copies) and pruned only after."""
    lo, hi, centre = window
    count = 0
    for j in range(lo, hi):
        if j != centre:
            count += add_word(weights, tables, sentence[j], hidden, first, count == 0, subwords)
    scale_row(ONE / np.float32(count), hidden, first, weights.input.shape[1])
    return 1


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_skipgram(weights, tables, sentence, window, subwords, hidden, first):
    """The hidden vectors of skip-gram for the window (lo, hi, centre): one per word
    lo..hi-1 but the centre, its input row (with subwords the mean of its row and its
    n-gram rows), into the rows of ``hidden`` from ``first`` on; returns their number."""
    lo, hi, centre = window
    rows = first
    for j in range(lo, hi):
        if j != centre:
            count = add_word(weights, tables, sentence[j], hidden, rows, True, subwords)
            if count > 1:
                scale_row(ONE / np.float32(count), hidden, rows, weights.input.shape[1])
            rows += 1
    return rows - first


@numba.njit(inline="always", fastmath=True, cache=True)
def scatter_window_deltas(weights, tables, sentence, window, model, subwords, deltas, first):
    """Add the gradients of the window's hidden vectors (the rows of ``deltas`` from
    ``first`` on) to the input rows they came from, unscaled (word2vec.c's CBOW,
    fastText's subwords): each of a hidden vector's rows gets its whole gradient."""
    lo, hi, centre = window
    dim = weights.input.shape[1]
    starts, ngram_rows = tables.ngram_starts, tables.ngram_rows
    a = first
    for j in range(lo, hi):
        if j != centre:
            row = first if model == CBOW else a
            add_row(ONE, deltas, row, weights.input, sentence[j], dim)
            if subwords:
                for r in range(starts[sentence[j]], starts[sentence[j] + 1]):
                    add_row(ONE, deltas, row, weights.buckets, ngram_rows[r], dim)
            a += 1


@numba.njit(inline="always", cache=True)
def positive(b, target, tables, scratch):
    """Candidate b is ``target``, label 1."""
    scratch.candidates[b] = target
    scratch.labels[b] = ONE
    scratch.logit_offsets[b] = tables.logit_offsets[target]


@numba.njit(inline="always", cache=True)
def draw_noise(width, skip, spec, tables, output, scratch):
    """Append k draws from q (label 0) to the first ``width`` candidates, leaving out a
    draw equal to ``skip`` (−1: none); returns the new width."""
    candidates, labels, logit_offsets = scratch.candidates, scratch.labels, scratch.logit_offsets
    queue, cursor = scratch.queue, scratch.cursor
    ahead = noise_ahead(spec.k, queue)
    position = np.int64(cursor[1])
    for _ in range(spec.k):
        if position == queue.shape[0]:
            refill_noise(tables, output, ahead, scratch)
            position = 0
        noise = queue[position]
        if position + ahead < queue.shape[0]:
            prefetch_row(output, queue[position + ahead])
        position += 1
        if noise == skip:
            continue
        candidates[width] = noise
        labels[width] = ZERO
        logit_offsets[width] = tables.logit_offsets[noise]
        width += 1
    cursor[1] = np.uint64(position)
    return width


@numba.njit(inline="always", cache=True)
def tree_candidates(target, tables, scratch):
    """The inner nodes on the target's Huffman path, label 1 − code; returns the width."""
    points, codes, lengths = tables.points, tables.codes, tables.lengths
    candidates, labels, logit_offsets = scratch.candidates, scratch.labels, scratch.logit_offsets
    width = lengths[target]
    for d in range(width):
        candidates[d] = points[target, d]
        labels[d] = ONE - codes[target, d]
        logit_offsets[d] = ZERO
    return width


@numba.njit(inline="always", fastmath=True, cache=True)
def gather_rows(output, width, private_rows, scratch):
    """rows[b, :dim] = output[candidates[b]]: the candidate block's starting point, with
    this thread's private updates of the top rows (see :func:`flush_private`)."""
    candidates, rows, private = scratch.candidates, scratch.rows, scratch.private
    first = output.shape[0] - private.shape[0]
    for b in range(width):
        copy_row(output, candidates[b], rows, b, output.shape[1])
        if private_rows and candidates[b] >= first:
            add_row(ONE, private, candidates[b] - first, rows, b, output.shape[1])


@kernel_only(fastmath=True)
def flush_private(output, scratch):
    """Add this thread's private updates of the top output rows to the output matrix;
    zero them.

    With hs and several threads, the top ``private`` rows of the output matrix --
    the inner nodes nearest the root, on every word's path -- are updated by every
    centre word of every thread. Written straight to the matrix, each update would
    take the rows' cache lines from the other core. So a thread adds its updates of
    them to ``scratch.private`` (reading the row plus its private update, so it sees
    its own updates at once), and adds them to the matrix every
    :data:`PRIVATE_FLUSH` centre words and at the end of the block: the other
    threads see them that much later, a bounded staleness of the kind Hogwild
    already has. Not inlined: it runs every :data:`PRIVATE_FLUSH` centre words.
    """
    wide_vectors()
    private, dirty = scratch.private, scratch.dirty
    first = output.shape[0] - private.shape[0]
    for j in range(private.shape[0]):
        if dirty[j]:
            add_row(ONE, private, j, output, first + j, output.shape[1])
            scale_row(ZERO, private, j, private.shape[1])
            dirty[j] = 0


@numba.njit(inline="always", fastmath=True, cache=True)
def score_block(block, scratch):
    """logits[(a − lo)·width + b] = h_a · v_b − logit_offsets[b] for the block's rows
    lo..hi-1, two at a time."""
    hidden, rows, logits = scratch.hidden, scratch.rows, scratch.logits
    lo, hi, width = block
    a = lo
    while a + 2 <= hi:
        dots_pair(hidden, a, rows, width, scratch.logit_offsets, logits, (a - lo) * width)
        a += 2
    if a < hi:
        dots(hidden, a, rows, width, scratch.logit_offsets, logits, (a - lo) * width)


@numba.njit(inline="always", fastmath=True, cache=True)
def update_block(block, output, private_rows, scratch):
    """deltas[a] = Σ_b C_ab v_b, then v_b += Σ_a C_ab h_a: both at the starting point.

    ``coefficients`` holds the (hi − lo) × width block row after row: a hidden
    row's coefficients are a row of it, a candidate's a column (every width-th).
    The deltas use the gathered copy of the candidate rows; each live output row
    gets its sum over the hidden rows added in one pass, two rows per pass.
    """
    lo, hi, width = block
    candidates, deltas = scratch.candidates, scratch.deltas
    wide, dim, m = deltas.shape[1], output.shape[1], hi - lo
    for j in range(lo, hi):
        scale_row(ZERO, deltas, j, wide)
    # a hidden row's coefficients: a row of the block, against the candidate rows
    by_row = Inputs(scratch.rows, 0, width, scratch.coefficients, 1)
    j = 0
    while j + 2 <= m:
        accumulate_pair(by_row, j * width, (j + 1) * width, deltas, lo + j, lo + j + 1, wide)
        j += 2
    if j < m:
        accumulate(by_row, j * width, deltas, lo + j, wide)
    # a candidate's coefficients: a column of the block, against the hidden rows
    by_column = Inputs(scratch.hidden, lo, m, scratch.coefficients, width)
    # The private top rows of a Huffman path come first: a parent's index is above its
    # children's (word2vec.c numbers the inner nodes as it merges them), so the rows
    # at or above `first` are the root's end of the path.
    private, dirty = scratch.private, scratch.dirty
    first = output.shape[0] - private.shape[0]
    b = np.int64(0)  # not the literal 0: Numba would compile accumulate for it too
    while private_rows and b < width and candidates[b] >= first:
        accumulate(by_column, b, private, candidates[b] - first, dim)
        dirty[candidates[b] - first] = 1
        b += 1
    while b + 2 <= width:
        accumulate_pair(by_column, b, b + 1, output, candidates[b], candidates[b + 1], dim)
        b += 2
    if b < width:
        accumulate(by_column, b, output, candidates[b], dim)


@numba.njit(inline="always", cache=True)
def output_step(gathered, sentence, output, tables, spec, lr, scratch, step):
    """Score the hidden rows of the ``gathered`` centre words in ``scratch.group``
    (rows 0..group[gathered, 3]-1 of ``scratch.hidden``); fills ``scratch.deltas``,
    updates the output matrix. Returns the loss.

    ``step`` is the kernel's constant (:func:`kernel_for`): this is that kind of
    step's function (:func:`step_for`), the others' calls pruned before typing, so
    they are never compiled. (The noise step with noise groups, NOISE_GROUP_STEP, is
    the kernel's to call.)
    """
    if step == NOISE:
        return NOISE_STEP(gathered, sentence, output, tables, spec, lr, scratch)
    if step == TREE:
        return TREE_STEP(gathered, sentence, output, tables, spec, lr, scratch)
    if step == SAMPLED_SOFTMAX:
        return SAMPLED_SOFTMAX_STEP(gathered, sentence, output, tables, spec, lr, scratch)
    if step == TRIPLET:
        return TRIPLET_STEP(gathered, sentence, output, tables, spec, lr, scratch)
    return DRLIM_STEP(gathered, sentence, output, tables, spec, lr, scratch)


def jit_named(function, name, jit=numba.njit, **options):
    """``function`` compiled (and cached) by ``jit`` under ``name``: a closure made once
    per constant gets a cache of its own (see the end of :func:`_kernel`)."""
    function.__qualname__ = name
    return jit(cache=True, **options)(function)


def step_for(step, grouped=False):
    """The output step of one kind of step (:mod:`.steps`), ``step`` a constant of it:
    Numba prunes the other kinds' branches before it inlines or types anything. So it
    does the masking of noise groups unless ``grouped`` (a noise group of several
    centre words can only be gathered then), and the private rows unless the step is
    hs's, the only one with private rows.

    Compiled on its own (its own cache entry), then inlined into the kernel by LLVM
    (``forceinline``: the ``alwaysinline`` attribute). A call of a compiled function
    passes every array of the scratch and the tables field by field, some 300 words,
    once per centre word: measured 1.96 s → 1.20 s for one epoch of bench-dev on one
    thread (sg neg, outputs bit for bit the same). Numba's own inlining
    (``inline="always"``) gave the same speed at 7× the compile time (84 s: it copies
    and retypes the step's IR inside the kernel's); LLVM's adds nothing measurable.
    """

    private_rows = step == TREE

    def output_step_of(gathered, sentence, output, tables, spec, lr, scratch):
        """:func:`output_step` for one kind of step.

        The candidates are the centre words' positives and k draws from q (one set
        for all the rows with ``spec.share_negatives``, else one per row), or the
        Huffman path of the (one) centre word. With a noise group of several centre
        words (``spec.noise_group``) their rows share one set, and a row's terms
        against another centre word's positive are masked: they add nothing to the
        loss or to any update (that word is no draw from q). So are, with
        ``spec.skip_positive`` (neg), a row's terms against a draw equal to its own
        positive: word2vec's rule, which for one centre word drops such a draw.
        """
        wide_vectors()  # as the kernel: LLVM's vectorised loops here are 512 bits wide too
        candidates, group = scratch.candidates, scratch.group
        hidden_rows = group[gathered, 3]
        loss = 0.0
        shared = spec.share_negatives or step == TREE
        for lo in range(0, hidden_rows, hidden_rows if shared else 1):
            hi = hidden_rows if shared else lo + 1
            if step == TREE:
                width = tree_candidates(sentence[group[0, 0]], tables, scratch)
            else:
                for c in range(gathered):
                    positive(c, sentence[group[c, 0]], tables, scratch)
                # word2vec's rule: one centre word's draw equal to its positive is dropped
                skip = candidates[0] if gathered == 1 and spec.skip_positive else -1
                width = draw_noise(gathered, skip, spec, tables, output, scratch)
            block = CandidateBlock(lo, hi, width)
            gather_rows(output, width, private_rows, scratch)
            score_block(block, scratch)
            if step == NOISE or step == TREE:
                loss += binary_block(block, lr, gathered, spec.skip_positive, grouped, scratch)
            elif step == SAMPLED_SOFTMAX and plain(spec.contrast):
                loss += softmax_coefficients(
                    scratch.logits, hi - lo, width, lr, scratch.coefficients
                )
            else:
                loss += contrast_block(block, spec, lr, scratch)
            update_block(block, output, private_rows, scratch)
            if step != NOISE and step != TREE and spec.contrast.similarity != DOT:
                # a similarity that moves a vector along itself (the contrastive steps)
                terms = terms_of(scratch)
                add_hidden_self(scratch.hidden, lo, hi, terms, scratch.deltas)
                add_row_self(scratch.rows, candidates, width, terms, output)
        return loss

    return jit_named(
        output_step_of,
        f"output_step_of_step{step}" + ("_grouped" if grouped else ""),
        jit=kernel_only,
        fastmath=True,
        error_model="numpy",
        forceinline=True,
    )


@numba.njit(inline="always", cache=True)
def plain(contrast):
    """InfoNCE at the dot product and τ = 1: the row-softmax step as it is."""
    return contrast.similarity == DOT and contrast.temperature == ONE


@numba.njit(inline="always", cache=True)
def terms_of(scratch):
    """The contrastive steps' :class:`.contrastive.Terms` in the scratch."""
    return Terms(
        scratch.coefficients,
        scratch.hidden_norms,
        scratch.row_norms,
        scratch.hidden_self,
        scratch.row_self,
    )


@kernel_only(fastmath=True, error_model="numpy", forceinline=True)
def contrast_block(block, spec, lr, scratch):
    """The contrastive family's step of the block (triplet, DrLIM, or InfoNCE with a
    similarity or a temperature), as kernels.contrastive's docstring calls it: the
    squared norms if the similarity needs them, then the step, which fills the
    coefficients and the self coefficients; returns the block's loss. Compiled on its
    own, which keeps the loop's compile time down, and inlined by LLVM as the output
    step is (see :func:`step_for`)."""
    lo, hi, width = block
    terms = terms_of(scratch)
    if spec.contrast.similarity != DOT:
        squared_norms(scratch.hidden, lo, hi, scratch.rows, width, terms)
    arguments = (scratch.logits, scratch.logit_offsets, scratch.candidates, hi - lo, width, lr)
    if spec.step == TRIPLET:
        return triplet_step(*arguments, spec.contrast, terms)
    if spec.step == SAMPLED_SOFTMAX:
        return infonce_step(*arguments, spec.contrast, terms)
    return drlim_step(*arguments, spec.contrast, terms)


@numba.njit(inline="always", fastmath=True, cache=True)
def binary_block(block, lr, gathered, skip, grouped, scratch):
    """The logistic step of the block's (hi − lo) × width logits; returns its loss.

    Each term's label is its candidate's. With a noise group of ``gathered`` > 1
    centre words (see :func:`output_step`; ``skip``: a draw equal to a row's
    positive is masked too) the masked terms get the padding's logit and label 0,
    so they add exactly nothing to the loss, and then a coefficient of 0.
    """
    logits, block_labels, labels = scratch.logits, scratch.block_labels, scratch.labels
    lo, hi, width = block
    terms = (hi - lo) * width
    whole = padded(terms)
    for j in range(hi - lo):
        for b in range(width):
            block_labels[j * width + b] = labels[b]
    group, candidates = scratch.group, scratch.candidates
    masked = scratch.masked
    if grouped and gathered > 1:  # found once, applied three times (one copy of its loops)
        for e in range(terms):
            masked[e] = 0
        mask_terms(block, gathered, skip, group, candidates, masked)
        for e in range(terms):
            if masked[e]:
                logits[e] = PADDING_LOGIT
                block_labels[e] = ZERO
    for e in range(terms, whole):  # terms that add nothing: padding to whole registers
        logits[e] = PADDING_LOGIT
        block_labels[e] = ZERO
    loss = logistic_coefficients(logits, block_labels, whole, lr, scratch.coefficients)
    if scratch.word_steps.shape[0]:
        bound_steps(
            block, scratch.hidden, scratch.coefficients, scratch.candidates, scratch.word_steps
        )
    if grouped and gathered > 1:
        for e in range(terms):
            if masked[e]:
                scratch.coefficients[e] = ZERO
    return loss


@kernel_only(forceinline=True)
def bound_steps(block, hidden, coefficients, candidates, word_steps):
    """Scale down the coefficients of a noise word whose update in this block would
    move one of the block's logits by more than :data:`STEP_BOUND`.

    Every term of a block is taken at its starting point. A word drawn m times into
    a set that r hidden rows share gets m·r updates summed at once, where word2vec,
    drawing for one pair at a time, applies them one after the other and each sees
    the logit the previous one lowered (σ saturates). With a large k the frequent
    words come m ≈ k·q(w) times (k = 1000: "the" some 50 times, × 10 rows): the
    summed step overshoots, the hidden rows follow, and training diverged at the
    default learning rate. |h_a·Δv_w| ≤ max_a |h_a|² · Σ|C| over the word's terms,
    so capping that bound caps the move. The cap is loose on purpose: a safety bound,
    not a schedule. At k = 5 it never bound in 5 epochs of 0.5M tokens for neg and nce,
    skip-gram and CBOW (a cap of 8 did, for nce CBOW, whose vectors grow long); at
    k = 1000 it binds for the frequent words. Compiled on its own and inlined by LLVM
    (see :func:`step_for`); it returns at once when even all the block's coefficients
    together stay under the bound (the common case at k = 5), since a word's share is
    never more than the whole."""
    lo, hi, width = block
    largest = ZERO
    for a in range(lo, hi):
        norm = squared_norm(hidden, a)
        if norm > largest:  # max(), see pairs.window_bounds
            largest = norm
    m = hi - lo
    whole = ZERO
    for e in range(m * width):
        whole += abs(coefficients[e])
    if whole * largest <= STEP_BOUND:
        return
    for b in range(width):
        column = ZERO
        for j in range(m):
            column += abs(coefficients[j * width + b])
        word_steps[candidates[b]] += column
    for b in range(width):
        moved = word_steps[candidates[b]] * largest
        if moved > STEP_BOUND:
            scale = STEP_BOUND / moved
            for j in range(m):
                coefficients[j * width + b] *= scale
    for b in range(width):
        word_steps[candidates[b]] = ZERO


@kernel_only(forceinline=True)
def mask_terms(block, gathered, skip, group, candidates, masked):
    """masked[term] = 1 for the masked terms of the block's rows lo..hi-1 (see
    output_step): a row of centre c against the positive of another centre and, with
    ``skip``, against a draw equal to its own positive. The first ``gathered``
    candidates are the positives. Compiled on its own, which keeps the training loop's
    compile time down, and inlined by LLVM (see :func:`step_for`)."""
    lo, hi, width = block
    for c in range(gathered):
        target = candidates[c]
        first, last = group[c, 3], group[c + 1, 3]  # of c's rows, within lo..hi-1:
        first = first if first > lo else lo  # max() and min(), see pairs.window_bounds
        last = last if last < hi else hi
        for j in range(first, last):
            base = (j - lo) * width
            for b in range(width):
                if b != c and (b < gathered or (skip and candidates[b] == target)):
                    masked[base + b] = 1


# Each kind of step's output step, compiled on its first call (from its kernel's).
NOISE_STEP = step_for(NOISE)
NOISE_GROUP_STEP = step_for(NOISE, grouped=True)
TREE_STEP = step_for(TREE)
SAMPLED_SOFTMAX_STEP = step_for(SAMPLED_SOFTMAX)
TRIPLET_STEP = step_for(TRIPLET)
DRLIM_STEP = step_for(DRLIM)


def train_block(ids, weights, tables, spec, schedule, seed, stop=None, read=None):
    """Train one block; returns (loss sum as float64, examples, words read).

    ``stop``: a uint8 array of one, shared with another thread; once that thread sets
    it, the block ends at the end of the sentence it is in (the words read so far are
    what it returns). ``read``: an int64 array of one where the block keeps its words
    read so far, sentence by sentence, for a progress bar in another thread.

    An example is a pair for skip-gram and a centre word for CBOW: the loss sum
    over the examples is what the progress bar averages. The block's work space is
    allocated here, and the arrays it and the arguments hold stay alive until the
    kernel of ``spec``'s model × kind of output step (:func:`kernel_for`) returns:
    the kernel loops over untracked views of them (see vecops.untracked).
    """
    sentence, scratch = workspace(ids, weights, tables, spec, stop, read)
    kernel = kernel_for(spec.model, spec.step, spec.noise_group > 1, tables.ngram_starts.size > 0)
    return kernel(read_only(ids), weights, tables, spec, schedule, seed, sentence, scratch)


def workspace(ids, weights, tables, spec, stop=None, read=None):
    """A block's sentence buffer and its zeroed :class:`Scratch`."""
    # pairs.longest_sentence's count, in NumPy: called from Python, the jitted one would
    # be compiled on its own in a first run
    ends = np.flatnonzero(ids < 0)
    longest = (np.diff(ends, prepend=-1, append=len(ids)) - 1).max()
    sentence = np.empty(longest, dtype=np.int32)
    rows_max = spec.noise_group * (1 if spec.model == CBOW else 2 * spec.window)
    width_max = max(spec.k + spec.noise_group, tables.points.shape[1])
    private = min(spec.private, weights.output.shape[0])
    dim = weights.input.shape[1]
    words = weights.output.shape[0] if spec.step == NOISE else 0
    scratch = new_scratch(
        rows_max, width_max, dim, spec.k, private, spec.noise_group, words, stop, read
    )
    return sentence, scratch


_KERNELS = {}  # (model, step, grouped, subwords): its block kernel


def kernel_for(model, step, grouped=False, subwords=False):
    """The block kernel of one model × kind of output step, made on first use;
    ``grouped``: with noise groups of several centre words (``spec.noise_group`` > 1),
    ``subwords``: with n-gram rows (``tables.ngram_starts`` not empty).

    Every kernel runs the same loop; these four are constants of it, so Numba
    prunes the branches of the other models, steps and options before typing them:
    a first run compiles the one path it runs, not every model × step (tens of
    seconds). The options' code is most of a kernel's when compiled in: the masking
    of noise groups and the n-gram rows each cost about 0.7 s of a first run's
    compile. Numba caches each kernel under its constants (a closure's cache key
    holds its cells), so a later process loads it.
    """
    key = (int(model), int(step), bool(grouped), bool(subwords))
    if key not in _KERNELS:
        _KERNELS[key] = _kernel(*key)
    return _KERNELS[key]


def _kernel(model, step, grouped, subwords):
    """:func:`kernel_for`'s kernel: the loop over the block's sentences and their centre
    words, gathering each noise group's hidden rows before its step, with the
    arguments as constants (this closure's cells)."""

    def train_block_of(ids, weights, tables, spec, schedule, seed, sentence, scratch):
        # The caller owns every array until this returns: the loop borrows them untracked.
        ids, weights, tables = untracked(ids), untracked(weights), untracked(tables)
        sentence, scratch = untracked(sentence), untracked(scratch)
        wide_vectors()
        output, hidden, group, deltas = (
            weights.output,
            scratch.hidden,
            scratch.group,
            scratch.deltas,
        )
        if spec.k > 0:
            start_noise(tables, output, spec.k, noise_seed(seed), scratch)
        state = np.uint64(seed)
        loss = 0.0
        examples = words = pos = steps = 0
        while pos < ids.shape[0] and not is_set(scratch.stop):
            pos, length, read, state = read_sentence(ids, pos, tables.keep, sentence, state)
            words += read
            scratch.read[0] = words
            lr = learning_rate(schedule, words)
            gathered = 0  # centre words of the next noise group gathered so far
            rows = 0  # and their hidden rows
            for i in range(length + 1):  # i == length: the sentence's last, smaller, group
                if i < length:
                    lo, hi, state = window_bounds(i, length, spec.window, state)
                    if hi - lo < 2:
                        continue
                    if i + 1 < length and step != TREE:  # the next centre's new rows
                        prefetch_row(output, sentence[i + 1])
                    if i + 1 + spec.window < length:
                        prefetch_row(weights.input, sentence[i + 1 + spec.window])
                    group[gathered, 0], group[gathered, 1], group[gathered, 2] = i, lo, hi
                    group[gathered, 3] = rows
                    window = (lo, hi, i)
                    if model == CBOW:  # pruned before inlining: see gather_cbow
                        m = gather_cbow(weights, tables, sentence, window, subwords, hidden, rows)
                    else:
                        m = gather_skipgram(
                            weights, tables, sentence, window, subwords, hidden, rows
                        )
                    rows += m
                    gathered += 1
                    examples += m
                    if gathered < spec.noise_group:
                        continue
                elif gathered == 0:
                    continue
                group[gathered, 3] = rows
                if step == NOISE and grouped:
                    loss += NOISE_GROUP_STEP(gathered, sentence, output, tables, spec, lr, scratch)
                else:
                    loss += output_step(gathered, sentence, output, tables, spec, lr, scratch, step)
                for c in range(gathered):  # the gradients back to the input rows
                    centre, lo, hi, first = group[c, 0], group[c, 1], group[c, 2], group[c, 3]
                    scatter_window_deltas(
                        weights, tables, sentence, (lo, hi, centre), model, subwords, deltas, first
                    )
                gathered = rows = 0
                steps += 1
                if step == TREE and steps % PRIVATE_FLUSH == 0:
                    flush_private(output, scratch)
        if step == TREE:  # only hs has private rows (pruned, never compiled, for the others)
            flush_private(output, scratch)
        return loss, examples, words

    # Each kernel caches in files of its own name. Under one name every kernel shares
    # one cache index, where Numba numbers a new entry's data file by the entries it
    # sees, so two processes compiling two kernels at once can both take file 1. And
    # seen (not explained): with the package's own cache, a triplet kernel loaded into a
    # process that had run nce's trained wrongly (a planted margin held on 44% of
    # triples, not over 80%); compiled fresh, or under names of their own, it did not.
    options = ("_grouped" if grouped else "") + ("_subwords" if subwords else "")
    name = f"train_block_of_model{model}_step{step}{options}"
    return jit_named(train_block_of, name, nogil=True, fastmath=True, error_model="numpy")
