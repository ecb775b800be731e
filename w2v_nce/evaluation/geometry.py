"""Alignment and uniformity of the input vectors on the unit sphere (Wang & Isola 2020).

On the unit-normalised input vectors f (a zero row stays zero):

* **alignment** = E ‖f(w) − f(c)‖² over the co-occurring pairs: every (context,
  centre) pair at distance d ≤ window in the same sentence, counted once each.
  The pairs are formed as training forms them -- tokens not in the model's
  vocabulary dropped before windowing, no pair across a sentence (the shared
  :func:`~w2v_nce.kernels.counts.window_pairs`) -- but with the *plain* window:
  training's dynamic window would weight distance d by (window − d + 1)/window,
  and subsampling would thin frequent words; neither is applied, so the number
  is a property of the corpus and the vectors, not of those sampling options.
  The window is symmetric, so each co-occurrence is counted in both directions,
  and ‖f(w) − f(c)‖² is too.
* **uniformity** = log E exp(−2‖f(x) − f(y)‖²) over x, y two *different tokens*
  of the corpus (so drawn as its token counts, the second without the first); two
  tokens of the same word are such a pair and contribute exp(0) = 1.

Lower is better for both. Alignment is 0 when co-occurring words share a vector
(its minimum); uniformity is 0 when all vectors coincide (its maximum) and near −4
(log exp(−2·2)) for vectors spread uniformly over a high-dimensional sphere.

**Sampling.** Both are means over pairs, estimated on at most ``sample`` pairs
(100,000 by default) drawn with a fixed seed: the window pairs by a reservoir
(every pair gets a uniform random key as the corpus streams past, the ``sample``
largest keys are kept, so the sample is uniform without replacement and memory
does not grow with the corpus); the token pairs by drawing two distinct token
positions. When the corpus has at most ``sample`` pairs of a kind, all of them are
used and the value is exact.

**Interval**: the 95% percentile bootstrap over the pairs used, with
:mod:`~w2v_nce.evaluation.bootstrap`'s resamples and seed (for uniformity the log
is taken on each resample). It measures how well the pairs pin the mean down, not
how the corpus itself might vary. With 100,000 pairs it is a few thousandths wide;
the resamples are drawn in batches, so memory stays at a few MB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from w2v_nce.evaluation import bootstrap
from w2v_nce.evaluation.bootstrap import RESAMPLES, SEED
from w2v_nce.kernels.counts import window_pairs

SAMPLE_PAIRS = 100_000
UNIFORMITY_T = 2.0  # the t of exp(−t‖f(x) − f(y)‖²)
_BATCH_ENTRIES = 1 << 20  # resample indices drawn at once (4 MB of int32)
_SLICE = 4096  # pairs whose distances are computed at once


@dataclass
class Geometry:
    alignment: float | None  # None without any window pair
    alignment_ci: list[float] | None
    uniformity: float | None  # None with fewer than two tokens
    uniformity_ci: list[float] | None
    alignment_pairs: int  # window pairs used
    window_pairs: int  # window pairs in the corpus
    uniformity_pairs: int  # token pairs used
    tokens: int  # in-vocabulary tokens in the corpus

    def as_json(self) -> dict:
        # The report's keys spelled out, as pmi.PmiScore.as_json does: deliberate, so that a
        # field added to the record does not join the JSON report unasked.
        return {
            "alignment": self.alignment,
            "alignment_ci": self.alignment_ci,
            "uniformity": self.uniformity,
            "uniformity_ci": self.uniformity_ci,
        }


def unit_rows(vectors: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """f(ids): the rows of ``vectors`` in float64 divided by their norms (a zero row stays 0)."""
    rows = np.asarray(vectors[ids], dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def squared_distances(vectors: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖f(x_i) − f(y_i)‖² for each pair of rows.

    Each distinct row is normalised once, and the pairs go through in slices that
    stay in cache.
    """
    ids, inverse = np.unique(np.concatenate([x, y]), return_inverse=True)
    f = unit_rows(vectors, ids)
    x, y = inverse[: x.size], inverse[x.size :]
    out = np.empty(x.size)
    for start in range(0, x.size, _SLICE):
        diff = f[x[start : start + _SLICE]] - f[y[start : start + _SLICE]]
        out[start : start + _SLICE] = np.einsum("ij,ij->i", diff, diff)
    return out


class PairReservoir:
    """A uniform sample without replacement of at most ``size`` pairs from a stream of them."""

    def __init__(self, size: int, rng: np.random.Generator):
        if size < 1:
            raise ValueError(f"the sample needs at least one pair, got {size}")
        self.size = size
        self.rng = rng
        self.seen = 0
        self.keys = np.zeros(0)
        self.x = np.zeros(0, dtype=np.int32)
        self.y = np.zeros(0, dtype=np.int32)

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        self.seen += x.size
        keys = self.rng.random(x.size)
        if self.keys.size == self.size:  # full: only keys above the smallest kept can enter
            keep = keys > self.keys.min()
            keys, x, y = keys[keep], x[keep], y[keep]
        keys = np.concatenate([self.keys, keys])
        x, y = np.concatenate([self.x, x]), np.concatenate([self.y, y])
        if keys.size > self.size:
            best = np.argpartition(-keys, self.size - 1)[: self.size]
            best.sort()  # stream order: the same sample whatever argpartition's order
            keys, x, y = keys[best], x[best], y[best]
        self.keys, self.x, self.y = keys, x, y


def token_pairs(
    counts: np.ndarray, sample: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Word ids of pairs of two different tokens, as the corpus's ``counts`` of each word.

    Every ordered pair of token positions when there are at most ``sample`` of
    them (exact), else ``sample`` pairs of distinct positions drawn uniformly.
    """
    counts = np.asarray(counts, dtype=np.int64)
    tokens = int(counts.sum())
    if tokens < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if tokens * (tokens - 1) <= sample:
        words = np.repeat(np.arange(counts.size), counts)
        first, second = np.nonzero(~np.eye(tokens, dtype=bool))
        return words[first], words[second]
    first = rng.integers(0, tokens, size=sample)
    second = rng.integers(0, tokens - 1, size=sample)
    second += second >= first  # a different position, uniform over the other tokens - 1
    ends = np.cumsum(counts)
    return (
        np.searchsorted(ends, first, side="right"),
        np.searchsorted(ends, second, side="right"),
    )


def resampled_means(values: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED):
    """The mean of ``values`` on each of ``resamples`` bootstrap resamples.

    The resample indices are :func:`bootstrap.resample_indices`' (the same generator
    and seed), drawn a batch of rows at a time so that 1000 × 100,000 indices never
    sit in memory at once; with up to 1,048 values there is one batch, identical to
    ``resample_indices(values.size, resamples, seed)``.
    """
    n = values.size
    rng = np.random.default_rng(seed)
    rows = max(1, _BATCH_ENTRIES // n)
    means = []
    for start in range(0, resamples, rows):
        index = rng.integers(0, n, size=(min(rows, resamples - start), n), dtype=np.int32)
        means.append(values[index].mean(axis=1))
    return np.concatenate(means)


def alignment_uniformity(
    vectors: np.ndarray,
    aligned: tuple[np.ndarray, np.ndarray],
    spread: tuple[np.ndarray, np.ndarray],
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float | None, list | None, float | None, list | None]:
    """(alignment, its interval, uniformity, its interval) over the given pairs of rows.

    ``aligned`` are the positive pairs (x, y), ``spread`` the data pairs; a kind
    with no pair gives None and None.
    """
    alignment = alignment_ci = uniformity = uniformity_ci = None
    if aligned[0].size:
        distances = squared_distances(vectors, *aligned)
        alignment = float(distances.mean())
        alignment_ci = bootstrap.percentile_interval(resampled_means(distances, resamples, seed))
    if spread[0].size:
        kernel = np.exp(-UNIFORMITY_T * squared_distances(vectors, *spread))
        uniformity = float(np.log(kernel.mean()))
        logs = np.log(resampled_means(kernel, resamples, seed))
        uniformity_ci = bootstrap.percentile_interval(logs)
    return alignment, alignment_ci, uniformity, uniformity_ci


class GeometryCounter:
    """Collects, in one pass over the corpus, the pairs that alignment and uniformity need.

    Feed it the chunks of ids (in the model's vocabulary order, -1 after each
    sentence) with :meth:`add` or by iterating :meth:`watch`, then call
    :meth:`result` with the vectors.
    """

    def __init__(self, window: int, vocab_size: int, sample: int = SAMPLE_PAIRS, seed: int = SEED):
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.window = int(window)
        self.sample = sample
        self.seed = seed
        self.counts = np.zeros(vocab_size, dtype=np.int64)
        self.reservoir = PairReservoir(sample, np.random.default_rng([seed, 1]))

    def add(self, chunk: np.ndarray) -> None:
        chunk = np.ascontiguousarray(chunk, dtype=np.int32)
        inputs, outputs, _ = window_pairs(chunk, self.window)  # every pair once: plain window
        self.reservoir.add(inputs, outputs)
        self.counts += np.bincount(chunk[chunk >= 0], minlength=self.counts.size)

    def watch(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Pass ``chunks`` through unchanged, counting each one on its way."""
        for chunk in chunks:
            self.add(chunk)
            yield chunk

    def result(self, vectors: np.ndarray, resamples: int = RESAMPLES) -> Geometry:
        aligned = (self.reservoir.x, self.reservoir.y)
        spread = token_pairs(self.counts, self.sample, np.random.default_rng([self.seed, 2]))
        values = alignment_uniformity(vectors, aligned, spread, resamples, self.seed)
        return Geometry(
            *values,
            alignment_pairs=int(aligned[0].size),
            window_pairs=int(self.reservoir.seen),
            uniformity_pairs=int(spread[0].size),
            tokens=int(self.counts.sum()),
        )


def geometry(
    vectors: np.ndarray,
    chunks: Iterable[np.ndarray],
    window: int,
    sample: int = SAMPLE_PAIRS,
    seed: int = SEED,
    resamples: int = RESAMPLES,
) -> Geometry:
    """Alignment and uniformity of ``vectors`` (one row per word) on the corpus ``chunks``."""
    counter = GeometryCounter(window, len(vectors), sample, seed)
    for chunk in chunks:
        counter.add(chunk)
    return counter.result(vectors, resamples)
