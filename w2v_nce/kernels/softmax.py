"""Exact full softmax, batched so the arithmetic is three sgemms per batch.

For B examples with hidden vectors H (B×d: the context's input row for
skip-gram, the mean of the context rows for CBOW) and all output rows W (V×d):
S = H Wᵀ − offsets (B×V); S ← Y − P row by row (:func:`.rowsoftmax.softmax_residual`,
which also sums the loss); each row of S is scaled by its example's learning rate;
then the hidden gradients S W go to the input rows they came from (for CBOW,
unscaled, to every context row) and W += Sᵀ H, both from the batch's starting
point (mini-batch SGD). Cost 6·B·V·d flops per batch, almost all in BLAS.

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

This is plain Python around numpy; the trainer runs softmax blocks one at a time
and lets the threaded BLAS use the cores (``losses.Loss.pool_size``).
"""

import numpy as np

from .pairs import block_examples
from .rowsoftmax import softmax_residual

BATCH = 64


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


def softmax_step(weights, offsets, examples: Examples) -> float:
    """One batched update of the examples; returns the loss sum.

    ``offsets`` are subtracted from every logit (minus the base measure b_c).
    """
    syn0, syn1 = weights
    h = examples.hidden(syn0)
    scores = h @ syn1.T
    scores -= offsets
    loss = softmax_residual(scores, examples.targets)
    scores *= np.asarray(examples.rates, dtype=np.float32).reshape(-1, 1)
    delta = scores @ syn1
    syn1 += scores.T @ h
    np.add.at(syn0, examples.contexts, delta if examples.single else delta[examples.owner])
    return loss


def train_block_softmax(ids, weights, tables, spec, schedule, seed, batch=BATCH):
    """Train one block with the full softmax; returns (loss sum, examples, words read).

    The block's examples are shuffled (see the module docstring) by a permutation
    seeded from the block's seed, then trained in batches of ``batch``.
    """
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
        )  # fmt: skip
    return loss, int(targets.size), int(words)


def shuffled_order(n, seed):
    """A permutation of range(n), the same for the same block seed."""
    return np.random.default_rng(np.uint64(seed) ^ np.uint64(0x5EED_50F7_3A4C_0DE5)).permutation(n)
