"""Bootstrap confidence intervals for the benchmark scores, every resample at once.

WordSim-353 has 353 pairs: a Spearman of 0.60 on it is only known to about ±0.05,
so the scores of ``evaluate`` and ``compare`` come with an interval.

* **What is resampled**: the items of the data set -- every valid line of a pair
  file, every analogy question -- drawn with replacement, as many as there are,
  including the items a model cannot answer (out of vocabulary). On each resample a
  model's score is computed over the resampled items it can answer, exactly as the
  point estimate is computed over all the items it can answer. So two models with
  different OOV sets are still scored on the same resampled lines.
* **Which interval**: the percentile interval, the 2.5th and 97.5th percentiles of
  the resampled scores (``np.percentile``'s linear interpolation); not BCa.
* **Reproducible**: 1000 resamples from ``np.random.default_rng(0)`` by default, so
  the same model gives the same interval every time.
* **Paired**: the difference between two models uses the *same* resample index
  matrix for both, so the variation they share (a resample full of easy pairs
  raises both scores) cancels; an interval that excludes 0 is a difference the
  data set resolves, one that includes 0 is not.

Spearman re-ranks the resampled values of each resample (a pair drawn twice is a
tie, with the average rank, as ``scipy.stats.spearmanr``), for all resamples at
once from a (resamples × items) index matrix -- no Python loop over resamples. A
resample on which the score is undefined (fewer than two scored pairs, a constant
side: possible only with a few pairs) is left out of the percentiles; the
interval is ``None`` when no resample is defined, and also when the set is too
small for one (fewer than ``MIN_ITEMS`` items) or every resample gives the same
value (0 correct of 137 questions: the percentiles would be [0, 0], as if the
score were known exactly).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95
# Fewer items than this give no interval: resamples of 2 pairs are mostly ties or
# copies of one pair, and their percentiles say nothing about the data set.
MIN_ITEMS = 10

# index matrix (resamples × items) -> one score per resample, NaN where undefined
Statistic = Callable[[np.ndarray], np.ndarray]


def resample_indices(items: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples × items) item indices drawn uniformly with replacement.

    A function of (items, resamples, seed) alone, so two models scored on the same
    data set get the same matrix. int32 halves the memory of the analogy matrix
    (1000 × 19,544).
    """
    if items < 1 or resamples < 1:
        raise ValueError("a bootstrap needs at least one item and one resample")
    return np.random.default_rng(seed).integers(0, items, size=(resamples, items), dtype=np.int32)


def spearman_resampled(
    gold: np.ndarray, scores: np.ndarray, known: np.ndarray, index: np.ndarray
) -> np.ndarray:
    """Spearman's rho on each resample (row of ``index``) over its ``known`` items.

    ``gold``, ``scores`` and ``known`` are per item (the values of unknown items
    are ignored); each row is re-ranked, an item drawn twice tying with itself.
    """
    weight = known[index]
    return masked_pearson(
        _resampled_ranks(gold, index, weight), _resampled_ranks(scores, index, weight), weight
    )


def _resampled_ranks(values: np.ndarray, index: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Average-tie ranks of ``values[index]`` within each row, among its ``weight`` entries.

    A resample's values are drawn from the items' values, so an entry's rank is the
    number of the row's counted entries with a smaller value plus (1 + the number
    with an equal value) / 2: one bincount over (row, distinct value) replaces a
    sort of every row. Entries that are not counted get meaningless ranks.
    """
    _, code = np.unique(values, return_inverse=True)
    distinct = int(code.max()) + 1
    codes = code[index]
    rows = index.shape[0]
    cells = codes + distinct * np.arange(rows)[:, None]
    counts = np.bincount(cells[weight], minlength=rows * distinct).reshape(rows, distinct)
    below = np.cumsum(counts, axis=1) - counts
    return np.take_along_axis(below + (counts + 1) / 2, codes, axis=1)


def masked_pearson(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pearson's r of each row over its ``mask`` entries; NaN where undefined."""
    count = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(mask, x - (np.where(mask, x, 0).sum(axis=1) / count)[:, None], 0)
        dy = np.where(mask, y - (np.where(mask, y, 0).sum(axis=1) / count)[:, None], 0)
        r = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    r[count < 2] = np.nan
    return np.clip(r, -1.0, 1.0)


def mean_resampled(hits: np.ndarray, known: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The fraction of each resample's known items that are hits; NaN for a row with none.

    One gather of a per-item code (0 unknown, 1 miss, 2 hit) instead of two of
    boolean flags: the analogy matrix has 19.5 million entries.
    """
    drawn = (known.astype(np.int8) + (hits & known))[index]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.count_nonzero(drawn == 2, axis=1) / np.count_nonzero(drawn, axis=1)


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> list[float] | None:
    """[low, high]: the percentiles of the defined values around the central ``level``."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return [float(low), float(high)]


def interval(
    statistic: Statistic,
    items: int,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> list[float] | None:
    """Percentile interval of ``statistic`` over ``resamples`` resamples of ``items`` items;
    None for a set too small or too uniform for one (see the module docstring)."""
    if items < MIN_ITEMS:
        return None
    return _spread(percentile_interval(statistic(resample_indices(items, resamples, seed)), level))


def _spread(ci: list[float] | None) -> list[float] | None:
    """``ci``, or None when it is a single point (every resample scored the same)."""
    return None if ci is None or ci[0] == ci[1] else ci


# The keywords of interval, spelled out again on purpose: a caller passes either the same way.
def paired_interval(
    ours: Statistic,
    theirs: Statistic,
    items: int,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> list[float] | None:
    """Percentile interval of ``ours − theirs``, both computed on the same resamples;
    None as for :func:`interval`."""
    return interval(lambda index: ours(index) - theirs(index), items, resamples, seed, level)
