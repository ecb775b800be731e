"""Alignment and uniformity (evaluation/geometry.py) against plain numpy loops, the
theory's limits, and through ``w2v-nce evaluate --corpus --json`` and the API."""

import json
import math

import numpy as np
import pytest

import w2v_nce
from tests.conftest import DEMO_CORPUS, run_cli
from w2v_nce.cli.evaluate import report_lines
from w2v_nce.evaluation import bootstrap
from w2v_nce.evaluation.geometry import (
    PairReservoir,
    alignment_uniformity,
    geometry,
    resampled_means,
    token_pairs,
)
from w2v_nce.kernels.counts import window_pairs

GEOMETRY_KEYS = ("alignment", "alignment_ci", "uniformity", "uniformity_ci")

SENTENCES = [[0, 1, 2, 3, 1], [2, 0], [4], [1, 1, 3, 0, 2, 4, 4], [3, 2, 2]]


def chunks_of(sentences, per_chunk=2):
    """Ids with -1 after every sentence, ``per_chunk`` sentences to a chunk."""
    chunks = []
    for start in range(0, len(sentences), per_chunk):
        ids = [i for sentence in sentences[start : start + per_chunk] for i in (*sentence, -1)]
        chunks.append(np.array(ids, dtype=np.int32))
    return chunks


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / math.sqrt(sum(x * x for x in v))


def sq(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def window_pairs_by_loop(sentences, window):
    return [
        (s[j], s[i])
        for s in sentences
        for i in range(len(s))
        for j in range(len(s))
        if i != j and abs(i - j) <= window
    ]


def token_pairs_by_loop(sentences):
    tokens = [w for s in sentences for w in s]
    return [(a, b) for i, a in enumerate(tokens) for j, b in enumerate(tokens) if i != j]


def expected(vectors, aligned, spread):
    f = [unit(v) for v in vectors]
    alignment = sum(sq(f[w], f[c]) for w, c in aligned) / len(aligned)
    kernel = sum(math.exp(-2 * sq(f[x], f[y])) for x, y in spread) / len(spread)
    return alignment, math.log(kernel)


@pytest.fixture
def vectors():
    return np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)


@pytest.mark.parametrize("window", [1, 2, 5])
def test_exact_values_equal_numpy_loops_over_every_pair(vectors, window):
    result = geometry(vectors, chunks_of(SENTENCES), window)
    aligned = window_pairs_by_loop(SENTENCES, window)
    spread = token_pairs_by_loop(SENTENCES)  # 18 tokens: 306 ordered pairs, all used
    alignment, uniformity = expected(vectors, aligned, spread)
    assert result.window_pairs == result.alignment_pairs == len(aligned)
    assert result.uniformity_pairs == len(spread) and result.tokens == 18
    assert result.alignment == pytest.approx(alignment, rel=1e-12)
    assert result.uniformity == pytest.approx(uniformity, rel=1e-12)
    assert result.alignment_ci[0] < result.alignment < result.alignment_ci[1]
    assert result.uniformity_ci[0] < result.uniformity < result.uniformity_ci[1]


def test_sampled_pairs_are_pairs_of_the_corpus_and_the_values_are_theirs(vectors):
    """With fewer sample slots than pairs, the values are the loops' over the sampled pairs."""
    sentences = [list(np.random.default_rng(s).integers(0, 5, size=30)) for s in range(20)]
    result = geometry(vectors, chunks_of(sentences, 3), 2, sample=500)
    every = window_pairs_by_loop(sentences, 2)
    assert result.window_pairs == len(every) > 500 and result.alignment_pairs == 500
    reservoir = PairReservoir(500, np.random.default_rng([0, 1]))  # geometry's seeding
    for chunk in chunks_of(sentences, 3):
        reservoir.add(*window_pairs(chunk, 2)[:2])
    aligned = list(zip(reservoir.x.tolist(), reservoir.y.tolist(), strict=True))
    assert set(aligned) <= set(every)
    x, y = token_pairs(np.bincount(np.concatenate(sentences)), 500, np.random.default_rng([0, 2]))
    spread = list(zip(x.tolist(), y.tolist(), strict=True))
    alignment, uniformity = expected(vectors, aligned, spread)
    assert result.alignment == pytest.approx(alignment, rel=1e-12)
    assert result.uniformity == pytest.approx(uniformity, rel=1e-12)
    # and close to the exact values over every pair
    exact = geometry(vectors, chunks_of(sentences, 3), 2, sample=10**6)
    assert exact.alignment_pairs == len(every)
    assert result.alignment == pytest.approx(exact.alignment, abs=0.1)
    assert result.uniformity == pytest.approx(exact.uniformity, abs=0.1)


def test_intervals_are_the_bootstrap_modules_percentiles(vectors):
    """Up to 1,048 pairs the resamples are bootstrap.resample_indices' own."""
    aligned = window_pairs_by_loop(SENTENCES, 2)
    spread = token_pairs_by_loop(SENTENCES)
    x, y = (np.array(side) for side in zip(*aligned, strict=True))
    sx, sy = (np.array(side) for side in zip(*spread, strict=True))
    _, alignment_ci, _, uniformity_ci = alignment_uniformity(vectors, (x, y), (sx, sy))
    f = [unit(v) for v in vectors]
    distances = np.array([sq(f[w], f[c]) for w, c in aligned])
    kernel = np.array([math.exp(-2 * sq(f[a], f[b])) for a, b in spread])
    index = bootstrap.resample_indices(len(aligned))
    want = np.percentile(distances[index].mean(axis=1), [2.5, 97.5])
    np.testing.assert_allclose(alignment_ci, want, rtol=1e-12)
    index = bootstrap.resample_indices(len(spread))
    want = np.percentile(np.log(kernel[index].mean(axis=1)), [2.5, 97.5])
    np.testing.assert_allclose(uniformity_ci, want, rtol=1e-12)


def test_resampled_means_in_batches_are_a_bootstrap_of_the_mean():
    values = np.random.default_rng(0).exponential(size=50_000)
    means = resampled_means(values)
    assert means.shape == (1000,)
    assert means.mean() == pytest.approx(values.mean(), abs=0.002)
    assert means.std() == pytest.approx(values.std() / math.sqrt(values.size), rel=0.1)


def test_the_reservoir_keeps_every_pair_with_the_same_probability():
    kept = np.zeros(10_000)
    for seed in range(200):
        reservoir = PairReservoir(1000, np.random.default_rng(seed))
        for lo, hi in ((0, 300), (300, 2500), (2500, 2600), (2600, 10_000)):
            pairs = np.arange(lo, hi, dtype=np.int32)
            reservoir.add(pairs, pairs + 1)
        assert reservoir.seen == 10_000 and np.unique(reservoir.x).size == 1000
        assert np.array_equal(reservoir.y, reservoir.x + 1)
        kept[reservoir.x] += 1
    inclusion = kept / 200
    for part in np.split(inclusion, 10):  # early and late pairs alike: 0.1 each
        assert part.mean() == pytest.approx(0.1, abs=0.01)


def test_token_pairs_are_drawn_as_two_different_tokens():
    counts = np.array([500, 300, 200, 0])
    x, y = token_pairs(counts, 400_000, np.random.default_rng(0))
    observed = np.bincount(4 * x + y, minlength=16).reshape(4, 4) / x.size
    want = np.outer(counts, counts) - np.diag(counts)  # n_a n_b, n_a (n_a − 1) on the diagonal
    np.testing.assert_allclose(observed, want / (1000 * 999), atol=0.003)
    x, y = token_pairs(np.ones(1000, dtype=np.int64), 20_000, np.random.default_rng(0))
    assert (x != y).all()  # one token per word: a pair is never the same token twice
    assert token_pairs(np.array([1, 0]), 100, np.random.default_rng(0))[0].size == 0


def test_coinciding_neighbours_give_alignment_zero():
    """Words 0-2 only co-occur among themselves and 3-5 likewise; each group one vector."""
    rng = np.random.default_rng(1)
    sentences = [list(rng.integers(0, 3, 8)) for _ in range(20)]
    sentences += [list(rng.integers(3, 6, 8)) for _ in range(20)]
    vectors = np.repeat(rng.normal(size=(2, 16)), 3, axis=0)
    vectors[:3] *= np.array([[1.0], [2.0], [0.5]])  # the length does not matter
    result = geometry(vectors, chunks_of(sentences, 7), 3)
    assert result.alignment == pytest.approx(0, abs=1e-12)
    assert result.alignment_ci == pytest.approx([0, 0], abs=1e-12)
    # two tokens of the same group (probability 2·160·159 / (320·319)) are at distance 0
    same = 2 * 160 * 159 / (320 * 319)
    apart = math.exp(-2 * sq(unit(vectors[0]), unit(vectors[3])))
    assert result.uniformity == pytest.approx(math.log(same + (1 - same) * apart), abs=0.01)


def test_equal_vectors_give_uniformity_zero_its_maximum():
    sentences = [list(np.random.default_rng(s).integers(0, 50, 40)) for s in range(30)]
    result = geometry(np.ones((50, 8)), chunks_of(sentences, 4), 5)
    assert result.uniformity == pytest.approx(0, abs=1e-12)
    assert result.alignment == pytest.approx(0, abs=1e-12)


def test_vectors_uniform_on_a_high_dimensional_sphere_give_uniformity_near_minus_four():
    """E exp(−2‖x − y‖²) → exp(−4) for independent uniform unit vectors as the dim grows."""
    rng = np.random.default_rng(2)
    words, dim = 5000, 1000
    vectors = rng.normal(size=(words, dim))
    sentences = [list(rng.permutation(words)[:100]) for _ in range(200)]
    result = geometry(vectors, chunks_of(sentences, 20), 5)
    assert result.uniformity == pytest.approx(-4, abs=0.05)
    assert result.alignment == pytest.approx(2, abs=0.01)  # unrelated neighbours: ‖x − y‖² ≈ 2
    low, high = result.uniformity_ci
    assert low < result.uniformity < high and high - low < 0.1


def test_report_lines_print_both_with_their_intervals():
    benchmarks = ("ws353", "simlex999", "analogy")
    scores = {f"{key}{part}": None for key in benchmarks for part in ("", "_ci", "_oov")}
    scores.update(pmi=None, alignment=0.98523, alignment_ci=[0.9826, 0.9879])
    scores.update(uniformity=-1.74861, uniformity_ci=[-1.7552, -1.7419])
    lines = report_lines(scores)
    assert any(
        line.startswith("alignment") and "0.9852   95% CI [0.983, 0.988]" in line for line in lines
    )
    assert any(
        line.startswith("uniformity") and "-1.7486   95% CI [-1.755, -1.742]" in line
        for line in lines
    )
    del scores["alignment"]
    assert not any(line.startswith(("alignment", "uniformity")) for line in report_lines(scores))


def test_evaluate_json_through_the_cli_and_the_api(demo_model):
    result = run_cli(
        "evaluate", demo_model / "model.npz", "--corpus", DEMO_CORPUS, "--json", check=True
    )
    scores = json.loads(result.stdout)
    for key in ("alignment", "uniformity"):
        assert math.isfinite(scores[key])
        low, high = scores[f"{key}_ci"]
        assert low < scores[key] < high
    assert 0 < scores["alignment"] < 2 and -4 < scores["uniformity"] < 0
    from w2v_nce import load

    with pytest.warns(Warning):  # the demo model subsamples: the PMI note
        api = w2v_nce.evaluate(load(demo_model / "model.npz"), str(DEMO_CORPUS))
    assert {key: api[key] for key in GEOMETRY_KEYS} == {key: scores[key] for key in GEOMETRY_KEYS}
    text = run_cli("evaluate", demo_model / "model.npz", check=True).stdout
    assert "alignment" not in text and "uniformity" not in text  # only with --corpus
