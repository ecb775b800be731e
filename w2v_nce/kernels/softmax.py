"""Exact full softmax, batched so the arithmetic is three sgemms per batch, threaded
over tiles of the vocabulary.

For B examples with hidden vectors H (B×d: the context's input row for
skip-gram, the mean of the context rows for CBOW) and all output rows W (V×d):
S = H Wᵀ − offsets (B×V); S ← Y − P row by row; each row of S is scaled by its
example's learning rate; then the hidden gradients S W go to the input rows they
came from (for CBOW, unscaled, to every context row) and W += Sᵀ H, both from the
batch's starting point (mini-batch SGD). Cost 6·B·V·d flops per batch, almost all
in BLAS.

**Why the examples are shuffled and the batch is small.** The pairs of a block
come centre by centre, so consecutive pairs share their centre word (the output
row that gets the positive update) and, within the window, their context words.
Summed in one stale step, the m updates of a row act like one step of m·lr:
measured on the demo corpus (5,000 words, no subsampling), batches of 512
consecutive pairs diverged at lr 0.025, where word2vec's per-pair SGD does not.
Shuffling the block's examples (with the block's seed, so runs stay reproducible)
and batches of 64 leave a row a handful of times in a batch at most -- only the
most frequent words, about as often as their frequency says -- and sgemm on
64 × V is still most of the machine's rate.

**Why tiles of the vocabulary, not threaded BLAS.** On a 64 × V product a
threaded sgemm spends much of its time handing work out and waiting (on a busy
machine it collapsed to a tenth of its rate), and the softmax's own pass over S
(max, exp, sum, scale) ran in one thread between the products. So W is cut into
one row range per thread (:class:`VocabularyTiles`), and each thread does
everything for its rows with one-thread BLAS: S_t = H W_tᵀ, exp and the row
sums of its tile, then -- once the row maxima and sums of all tiles are combined
into the softmax's normaliser, a B-element exchange -- the residual of its tile,
its share of the hidden gradients D_t = S_t W_t and its rows' update
W_t += S_tᵀ H. The tiles never write the same rows, and D = Σ_t D_t is summed in
tile order, so a run is deterministic for a given thread count (and bit for bit
reproducible with one). The trainer caps BLAS at one thread for the run.

The rest is plain Python around numpy; the trainer runs softmax blocks one at a
time (``losses.Loss.pool_size``): the tiles are its threads.
"""

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from scipy.linalg.blas import sgemm  # imported before the trainer caps BLAS's threads

from .pairs import block_examples
from .vecops import exp_nonpositive

BATCH = 64
ONE = np.float32(1.0)


class VocabularyTiles:
    """The output matrix's rows cut into ``tiles`` ranges, a thread each, and the
    scratch of a batch: the tiles' scores, row maxima and sums, hidden gradients."""

    def __init__(self, rows: int, tiles: int, batch: int, dim: int):
        tiles = max(1, min(tiles, rows))
        self.bounds = np.linspace(0, rows, tiles + 1).astype(np.int64)
        self.scores = [
            np.empty((batch, hi - lo), dtype=np.float32)
            for lo, hi in zip(self.bounds[:-1], self.bounds[1:], strict=True)
        ]
        self.maxes = np.empty((tiles, batch), dtype=np.float32)
        self.sums = np.empty((tiles, batch), dtype=np.float32)
        self.target_scores = np.empty(batch, dtype=np.float32)
        self.deltas = np.empty((tiles, batch, dim), dtype=np.float32)
        self.pool = ThreadPoolExecutor(tiles - 1, "w2v-nce-tile") if tiles > 1 else None

    @property
    def count(self) -> int:
        return len(self.scores)

    def rows(self, t: int) -> slice:
        return slice(int(self.bounds[t]), int(self.bounds[t + 1]))

    def each(self, work) -> None:
        """work(t) for every tile: tile 0 in this thread, the others in the pool."""
        if self.pool is None:
            work(0)
            return
        futures = [self.pool.submit(work, t) for t in range(1, self.count)]
        try:
            work(0)
        finally:
            for future in futures:
                future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


class Examples:
    """A batch of examples: targets, rates and contexts (CSR: ``starts`` into ``contexts``)."""

    def __init__(self, contexts, starts, targets, rates):
        self.contexts, self.starts, self.targets, self.rates = contexts, starts, targets, rates
        sizes = np.diff(starts)
        self.single = bool(np.all(sizes == 1))  # skip-gram: H is the context rows themselves
        self.owner = np.repeat(np.arange(targets.size), sizes)  # example of each context
        self.sizes = sizes.astype(np.float32)

    def hidden(self, syn0) -> np.ndarray:
        if self.single:
            return syn0[self.contexts]
        h = np.zeros((self.targets.size, syn0.shape[1]), dtype=np.float32)
        np.add.at(h, self.owner, syn0[self.contexts])
        h /= self.sizes[:, None]
        return h


def softmax_step(weights, offsets, examples: Examples, tiles: VocabularyTiles = None) -> float:
    """One batched update of the examples; returns the loss sum (float64).

    ``offsets`` are subtracted from every logit (minus the base measure b_c).
    Without ``tiles``, the whole vocabulary is one tile in this thread.
    """
    syn0, syn1 = weights
    n = examples.targets.size
    if tiles is None:
        tiles = VocabularyTiles(syn1.shape[0], 1, n, syn1.shape[1])
    h = examples.hidden(syn0)
    targets, rates = examples.targets, np.asarray(examples.rates, dtype=np.float32)

    def exponentiate(t):
        rows, scores = tiles.rows(t), tiles.scores[t][:n]
        np.matmul(h, syn1[rows].T, out=scores)
        tile_exponentials(
            scores, offsets[rows], rows.start, targets, tiles.maxes[t], tiles.sums[t],
            tiles.target_scores,
        )  # fmt: skip

    tiles.each(exponentiate)
    maxes, sums = tiles.maxes[:, :n], tiles.sums[:, :n]
    top = maxes.max(axis=0)
    with np.errstate(invalid="ignore"):  # NaN scores (diverged) give a NaN loss
        weight = np.exp(maxes - top)  # each tile's sums, rescaled to the row's maximum
    total = (sums * weight).sum(axis=0)
    # −log p_t = log Σ_j exp(z_j − top) − (z_t − top), in float64
    loss = float(
        np.sum(
            np.log(total.astype(np.float64)) + (top - tiles.target_scores[:n]).astype(np.float64)
        )
    )
    scale = weight * (rates / total)  # lr_b / Z_b, per tile

    def update(t):
        rows, scores = tiles.rows(t), tiles.scores[t][:n]
        tile_residual(scores, rows.start, targets, scale[t], rates)
        np.matmul(scores, syn1[rows], out=tiles.deltas[t, :n])
        # W_t += S_tᵀ H in place: BLAS's beta = 1, which numpy's matmul does not offer
        # (its temporary and second pass cost a quarter of this product). In Fortran
        # order W_tᵀ += Hᵀ S_t: all three operands are views, nothing is copied.
        sgemm(ONE, h.T, scores.T, beta=ONE, c=syn1[rows].T, trans_b=1, overwrite_c=1)

    tiles.each(update)
    delta = tiles.deltas[0, :n] if tiles.count == 1 else tiles.deltas[:, :n].sum(axis=0)
    np.add.at(syn0, examples.contexts, delta if examples.single else delta[examples.owner])
    return loss


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def tile_exponentials(scores, offsets, first, targets, maxes, sums, target_scores):
    """In place, each row b of a tile's scores (columns = words first, first + 1, ...):
    subtract the offsets, exponentiate relative to the row's maximum (maxes[b]) and
    sum (sums[b]); the target's logit goes to target_scores[b] when it is in the tile.

    NaN scores (a diverged model) give NaN sums, never an exception.
    """
    width = scores.shape[1]
    for b in range(scores.shape[0]):
        row = scores[b]
        top = np.float32(-np.inf)
        for j in range(width):
            row[j] -= offsets[j]
            top = max(top, row[j])
        target = targets[b] - first
        if 0 <= target < width:
            target_scores[b] = row[target]
        total = np.float32(0.0)
        for j in range(width):
            e = exp_nonpositive(row[j] - top)
            row[j] = e
            total += e
        maxes[b] = top
        sums[b] = total


@numba.njit(nogil=True, fastmath=True, cache=True, error_model="numpy")
def tile_residual(exponentials, first, targets, scale, rates):
    """In place: row b ← rates[b]·(onehot(target) − p), p = exponentials · scale[b]/rates[b]
    (scale[b] = rates[b] · exp(tile max − row max) / Z_b)."""
    width = exponentials.shape[1]
    for b in range(exponentials.shape[0]):
        row = exponentials[b]
        c = -scale[b]
        for j in range(width):
            row[j] *= c
        target = targets[b] - first
        if 0 <= target < width:
            row[target] += rates[b]


def train_block_softmax(ids, weights, tables, spec, schedule, seed, batch=BATCH, tiles=None):
    """Train one block with the full softmax; returns (loss sum, examples, words read).

    The block's examples are shuffled (see the module docstring) by a permutation
    seeded from the block's seed, then trained in batches of ``batch``, over
    ``tiles`` (:class:`VocabularyTiles` of at least ``batch`` rows; default one
    tile, in this thread).
    """
    syn1 = weights.output
    if tiles is None:
        tiles = VocabularyTiles(syn1.shape[0], 1, batch, syn1.shape[1])
    contexts, starts, targets, rates, words = block_examples(
        ids, tables.keep, spec.model, spec.window, schedule, seed
    )
    order = shuffled_order(targets.size, seed)
    loss = 0.0
    for lo in range(0, order.size, batch):
        chosen = order[lo : lo + batch]
        first, last = starts[chosen], starts[chosen + 1]
        sizes = last - first
        index = np.repeat(first - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        loss += softmax_step(
            weights,
            tables.offsets,
            Examples(
                contexts[index], np.concatenate(([0], np.cumsum(sizes))), targets[chosen],
                rates[chosen],
            ),
            tiles,
        )  # fmt: skip
    return loss, int(targets.size), int(words)


def shuffled_order(n, seed):
    """A permutation of range(n), the same for the same block seed."""
    return np.random.default_rng(np.uint64(seed) ^ np.uint64(0x5EED_50F7_3A4C_0DE5)).permutation(n)
