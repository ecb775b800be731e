"""Rank and linear correlations in float64 (ours rather than scipy.stats', whose import
alone takes a second per command)."""

from __future__ import annotations

import numpy as np


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (``scipy.stats.rankdata``'s default)."""
    x = np.asarray(x)
    order = np.argsort(x, kind="mergesort")
    inverse = np.empty(x.size, dtype=np.intp)
    inverse[order] = np.arange(x.size)
    ordered = x[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = first.cumsum()[inverse]
    bounds = np.r_[np.flatnonzero(first), x.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def pearson(x, y) -> float | None:
    """Pearson's r in float64, or None when undefined (under 2 points, NaN, a constant side).

    Ours rather than scipy.stats', whose import alone takes a second per command.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    dx, dy = x - x.mean(), y - y.mean()
    denominator = np.sqrt((dx @ dx) * (dy @ dy))
    if denominator == 0:
        return None
    return float(np.clip((dx @ dy) / denominator, -1.0, 1.0))


def spearman(x, y) -> float | None:
    """Spearman's rho: Pearson's r of the (average-tie) ranks, as scipy.stats.spearmanr."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    return pearson(ranks(x), ranks(y))
