"""Bootstrap intervals: equal to a direct resampling loop; ~95% coverage where the truth is known.

The coverage tests draw many data sets from a distribution whose score is known
(a bivariate normal's Spearman is 6/π·asin(ρ/2); a Bernoulli's mean is p), build
the interval on each and count how often it covers the truth. With T trials the
count of a method that covers 95% of the time has standard deviation
sqrt(0.95·0.05/T); the tests allow 3 of them (a correct method fails about once
in 400 seeds; the seeds are fixed, so the tests are deterministic).
"""

import warnings
from functools import partial

import numpy as np
import pytest
from scipy import stats

from w2v_nce.evaluation import bootstrap
from w2v_nce.evaluation.bootstrap import (
    interval,
    mean_resampled,
    paired_interval,
    percentile_interval,
    resample_indices,
    spearman_resampled,
)


def loop_spearman(gold, scores, known, index):
    """scipy's Spearman on each resample's known items, one resample at a time."""
    out = []
    for row in index:
        row = row[known[row]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a constant resample: scipy warns and gives NaN
            out.append(
                stats.spearmanr(gold[row], scores[row]).statistic if row.size > 1 else np.nan
            )
    return np.array(out)


def loop_mean(hits, known, index):
    return np.array([hits[row[known[row]]].mean() if known[row].any() else np.nan for row in index])


def items_with_ties_and_oov(n, seed):
    """Integer human scores (many ties), noisy model scores, 20% of the items unknown."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 10, n).astype(float)
    scores = gold + rng.normal(scale=3, size=n)
    scores[::7] = scores[0]  # ties on the model side too
    return gold, scores, rng.random(n) > 0.2


def test_resample_indices_are_seeded_and_cover_the_items():
    index = resample_indices(50, resamples=300, seed=4)
    assert index.shape == (300, 50)
    np.testing.assert_array_equal(index, resample_indices(50, resamples=300, seed=4))
    assert not np.array_equal(index, resample_indices(50, resamples=300, seed=5))
    assert index.min() == 0 and index.max() == 49
    assert resample_indices(50).shape == (bootstrap.RESAMPLES, 50)
    with pytest.raises(ValueError):
        resample_indices(0)


def test_spearman_equals_a_direct_resampling_loop():
    gold, scores, known = items_with_ties_and_oov(80, seed=1)
    index = resample_indices(80, resamples=300, seed=2)
    expected = loop_spearman(gold, scores, known, index)
    np.testing.assert_allclose(spearman_resampled(gold, scores, known, index), expected, atol=1e-12)
    ours = interval(lambda i: spearman_resampled(gold, scores, known, i), 80, 300, seed=2)
    np.testing.assert_allclose(ours, np.percentile(expected, [2.5, 97.5]), atol=1e-12)
    # the values of the unknown items play no part
    moved = np.where(known, gold, -1e9), np.where(known, scores, 1e9)
    np.testing.assert_allclose(spearman_resampled(*moved, known, index), expected, atol=1e-12)


def test_undefined_resamples_are_left_out():
    """Four pairs: some resamples draw one pair four times (constant sides)."""
    gold, scores, known = np.array([1.0, 2, 3, 4]), np.array([0.1, 0.4, 0.2, 0.3]), np.ones(4, bool)
    index = resample_indices(4, resamples=500, seed=0)
    expected = loop_spearman(gold, scores, known, index)
    ours = spearman_resampled(gold, scores, known, index)
    assert np.isnan(expected).sum() > 5
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    np.testing.assert_allclose(ours[~np.isnan(ours)], expected[~np.isnan(expected)], atol=1e-12)
    ci = percentile_interval(ours)
    np.testing.assert_allclose(ci, np.percentile(expected[~np.isnan(expected)], [2.5, 97.5]))
    assert percentile_interval(np.full(10, np.nan)) is None


def test_accuracy_and_paired_difference_equal_a_direct_loop():
    rng = np.random.default_rng(3)
    n = 500
    hits_a, hits_b = rng.random(n) < 0.4, rng.random(n) < 0.3
    known_a, known_b = rng.random(n) < 0.9, rng.random(n) < 0.6  # different OOV sets
    index = resample_indices(n, resamples=200, seed=8)
    a, b = loop_mean(hits_a, known_a, index), loop_mean(hits_b, known_b, index)
    np.testing.assert_allclose(mean_resampled(hits_a, known_a, index), a, atol=1e-12)
    np.testing.assert_allclose(
        paired_interval(
            lambda i: mean_resampled(hits_a, known_a, i),
            lambda i: mean_resampled(hits_b, known_b, i),
            n,
            resamples=200,
            seed=8,
        ),
        np.percentile(a - b, [2.5, 97.5]),
        atol=1e-12,
    )


def within_three_sd(covered, trials, level=0.95):
    return abs(covered / trials - level) <= 3 * np.sqrt(level * (1 - level) / trials)


def test_spearman_interval_covers_the_bivariate_normal_value():
    rho, n, trials = 0.5, 100, 500
    truth = 6 / np.pi * np.arcsin(rho / 2)
    rng = np.random.default_rng(20)
    covered = 0
    for trial in range(trials):
        x = rng.normal(size=n)
        y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
        known = np.ones(n, bool)
        low, high = interval(partial(spearman_resampled, x, y, known), n, 500, seed=trial)
        covered += low <= truth <= high
    assert within_three_sd(covered, trials), covered / trials


def test_accuracy_interval_covers_p_with_unknown_items():
    p, n, trials = 0.3, 300, 1000
    rng = np.random.default_rng(21)
    covered = 0
    for trial in range(trials):
        hits, known = rng.random(n) < p, rng.random(n) < 0.7  # accuracy over the known: p
        low, high = interval(partial(mean_resampled, hits, known), n, 500, seed=trial)
        covered += low <= p <= high
    assert within_three_sd(covered, trials), covered / trials


def test_paired_interval_covers_the_difference_and_is_narrower_than_unpaired():
    """Two models that share most of their errors, one missing 30% of the items.

    a = x + common + noise (σ 0.6), b = x + common + noise (σ 1.0): their resampled
    scores move together, and pairing cancels that shared variation.
    """
    n, trials, compared = 100, 300, 40
    sa, sb, shared = 0.6, 1.0, 1.2
    # the Pearson of each with the gold x, then the Spearman of a bivariate normal
    ra, rb = (1 / np.sqrt(1 + shared**2 + s**2) for s in (sa, sb))
    truth = 6 / np.pi * (np.arcsin(ra / 2) - np.arcsin(rb / 2))
    rng = np.random.default_rng(22)
    covered, ratios = 0, []
    for trial in range(trials):
        x, common = rng.normal(size=n), shared * rng.normal(size=n)
        a = x + common + sa * rng.normal(size=n)
        b = x + common + sb * rng.normal(size=n)
        ours = partial(spearman_resampled, x, a, np.ones(n, bool))
        theirs = partial(spearman_resampled, x, b, rng.random(n) < 0.7)
        low, high = paired_interval(ours, theirs, n, 500, seed=trial)
        covered += low <= truth <= high
        if trial < compared:  # the same differences on independent resamples
            unpaired = ours(resample_indices(n, 500, trial)) - theirs(
                resample_indices(n, 500, trials + trial)
            )
            ratios.append((high - low) / np.subtract(*percentile_interval(unpaired)[::-1]))
    assert within_three_sd(covered, trials), covered / trials
    # unpaired-like resampling would give about 1; the shared variation makes it ~0.7
    assert np.mean(ratios) < 0.85
