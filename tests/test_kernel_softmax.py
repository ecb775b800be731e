"""The full softmax (batched through BLAS) and the row-softmax step against numpy (the
step's gradient itself is checked by finite differences in test_kernel_block)."""

import numpy as np
import pytest

from tests.reference import (
    SplitMix64,
    learning_rate,
    sentence_windows,
    softmax_terms,
)
from w2v_nce.kernels.bundles import Schedule, Weights
from w2v_nce.kernels.pairs import block_examples
from w2v_nce.kernels.softmax import (
    Examples,
    shuffled_order,
    softmax_step,
    train_block_softmax,
    vocabulary_tiles,
)
from w2v_nce.losses import CBOW, SKIPGRAM
from w2v_nce.model import Model
from w2v_nce.noise import keep_thresholds
from w2v_nce.params import TrainConfig
from w2v_nce.subwords import Subwords
from w2v_nce.training.trainer import spec_for, tables_for


@pytest.mark.parametrize("tiles", [1, 3])
def test_huge_logits_give_the_exact_loss_in_any_tile(tiles):
    """Each tile exponentiates against its own maximum; combined, the loss is exact."""
    syn0 = np.ones((3, 1), dtype=np.float32)
    syn1 = np.array([[1000.0], [-1000.0], [999.0]], dtype=np.float32)
    examples = _singles(np.array([0], np.int32), np.array([2], np.int32), np.zeros(1, np.float32))
    loss = softmax_step(
        Weights(syn0, syn1), np.zeros(3, np.float32), examples, vocabulary_tiles(3, tiles, 1, 1)
    )
    assert loss == pytest.approx(1 + np.log1p(np.exp(-1)), rel=1e-5)
    assert np.isfinite(syn0).all() and np.isfinite(syn1).all()


def test_tiles_cover_the_rows_once():
    tiles = vocabulary_tiles(10, 3, 4, 2)
    bounds = tiles.bounds
    covered = np.concatenate([np.arange(bounds[t], bounds[t + 1]) for t in range(bounds.size - 1)])
    np.testing.assert_array_equal(covered, np.arange(10))
    assert vocabulary_tiles(2, 8, 4, 2).bounds.size == 3  # never an empty tile


def _singles(inputs, outputs, rates):
    return Examples(inputs, np.arange(inputs.size + 1), outputs, rates)


@pytest.mark.parametrize("tiles", [1, 2, 7])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_batched_softmax_step_equals_the_minibatch_formula(model, tiles):
    rng = np.random.default_rng(2)
    V, d, B = 40, 12, 16
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    sizes = np.ones(B, dtype=np.int64) if model == "skipgram" else rng.integers(1, 5, size=B)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    contexts = rng.integers(0, V, size=starts[-1]).astype(np.int32)
    contexts[3] = contexts[5]  # a repeated input row accumulates both updates
    outputs = rng.integers(0, V, size=B).astype(np.int32)
    lr = rng.uniform(0.01, 0.05, size=B).astype(np.float32)  # each example its own rate

    u = np.stack([syn0[contexts[a:b]].astype(np.float64).mean(axis=0) for a, b in
                  zip(starts[:-1], starts[1:], strict=True)])  # fmt: skip
    w = syn1.astype(np.float64)
    offsets = rng.normal(size=V).astype(np.float32)  # minus a fixed base measure b_c
    s = u @ w.T - offsets
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = -p
    g[np.arange(B), outputs] += 1
    g *= lr[:, None].astype(np.float64)
    want0 = syn0.astype(np.float64)
    owner = np.repeat(np.arange(B), sizes)
    np.add.at(want0, contexts, (g @ w)[owner])  # CBOW: unscaled, to every context row
    want1 = w + g.T @ u
    want_loss = -np.log(p[np.arange(B), outputs]).sum()

    examples = Examples(contexts, starts, outputs, lr)
    pool = vocabulary_tiles(V, tiles, B, d)  # the vocabulary cut into tiles, a thread each
    loss = softmax_step(Weights(syn0, syn1), offsets, examples, pool)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, want0, atol=1e-5)
    np.testing.assert_allclose(syn1, want1, atol=1e-5)
    assert syn0.dtype == np.float32 and syn1.dtype == np.float32


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_batched_softmax_step_with_subwords_equals_the_formula(model):
    """--subwords: h is the mean of the example's words' rows and their n-gram rows (7
    buckets shared by 20 words), and every one of those rows gets the whole gradient."""
    rng = np.random.default_rng(4)
    V, d, B, n_buckets = 20, 6, 10, 7
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    buckets = rng.normal(scale=0.3, size=(n_buckets, d)).astype(np.float32)
    table = Subwords(1, 3, n_buckets).table([f"w{i}" for i in range(V)])
    sizes = np.ones(B, dtype=np.int64) if model == "skipgram" else rng.integers(1, 4, size=B)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    contexts = rng.integers(0, V, size=starts[-1]).astype(np.int32)
    outputs = rng.integers(0, V, size=B).astype(np.int32)
    lr = rng.uniform(0.01, 0.05, size=B).astype(np.float32)

    def rows_of(word):
        return [("input", word)] + [("buckets", g) for g in table.of(word)]

    want = {"input": syn0.astype(np.float64), "buckets": buckets.astype(np.float64)}
    example_rows = [[r for w in contexts[a:b] for r in rows_of(w)]
                    for a, b in zip(starts[:-1], starts[1:], strict=True)]  # fmt: skip
    u = np.stack([np.mean([want[m][i] for m, i in rows], axis=0) for rows in example_rows])
    w = syn1.astype(np.float64)
    s = u @ w.T
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = -p
    g[np.arange(B), outputs] += 1
    g *= lr[:, None].astype(np.float64)
    deltas = g @ w
    for b, rows in enumerate(example_rows):
        for m, i in rows:
            want[m][i] += deltas[b]
    want1 = w + g.T @ u

    examples = Examples(contexts, starts, outputs, lr)
    loss = softmax_step(Weights(syn0, syn1, buckets), np.zeros(V, np.float32), examples,
                        ngram_table=(table.starts, table.rows))  # fmt: skip
    assert loss == pytest.approx(-np.log(p[np.arange(B), outputs]).sum(), rel=1e-5)
    np.testing.assert_allclose(syn0, want["input"], atol=1e-5)
    np.testing.assert_allclose(buckets, want["buckets"], atol=1e-5)
    np.testing.assert_allclose(syn1, want1, atol=1e-5)


def test_one_example_softmax_step_is_minus_lr_times_the_gradient():
    """The full softmax is the row softmax over every word (target first)."""
    rng = np.random.default_rng(3)
    V, d = 30, 8
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    offsets = rng.normal(size=V).astype(np.float32)
    order = np.array([4] + [c for c in range(V) if c != 4])  # target first, then the rest
    u, rows = syn0[7].astype(np.float64), syn1[order].astype(np.float64)
    want_loss, dz = softmax_terms((rows @ u - offsets[order])[None, :])
    before0, before1 = syn0.copy(), syn1.copy()
    got = softmax_step(
        Weights(syn0, syn1), offsets, _singles(np.array([7], np.int32), np.array([4], np.int32),
                                               np.array([0.1], np.float32))
    )  # fmt: skip
    assert got == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(syn0[7] - before0[7], -0.1 * (dz @ rows)[0], atol=1e-6)
    np.testing.assert_allclose(
        (syn1 - before1)[order], -0.1 * dz[0][:, None] * u[None, :], atol=1e-6
    )


def _block(seed=4):
    rng = np.random.default_rng(seed)
    V = 15
    sentences = [rng.integers(0, V, size=n) for n in (9, 2, 14, 6)]
    ids = np.concatenate([np.append(s, -1) for s in sentences]).astype(np.int32)
    counts = np.bincount(ids[ids >= 0], minlength=V) + 1
    return V, ids, counts


@pytest.mark.parametrize("model", [SKIPGRAM, CBOW])
def test_block_examples_are_the_reference_windows_with_their_learning_rates(model):
    V, ids, counts = _block()
    keep = keep_thresholds(counts, 0.05)
    schedule = Schedule(np.float32(0.025), np.float32(0.0001), np.int64(5), np.int64(100))
    contexts, starts, targets, rates, words = block_examples(ids, keep, model, 3, schedule, 99)
    want, want_rates, done = [], [], 5
    for read, sentence, windows in sentence_windows(SplitMix64(99), ids, keep, 3):
        done += read
        lr = learning_rate(np.float32(0.025), np.float32(0.0001), done, 100)
        for i, positions in windows:
            if model == CBOW:
                want.append((sentence[i], [sentence[j] for j in positions]))
                want_rates.append(lr)
            else:
                want += [(sentence[i], [sentence[j]]) for j in positions]
                want_rates += [lr] * len(positions)
    got = [
        (int(t), contexts[a:b].tolist())
        for t, a, b in zip(targets, starts[:-1], starts[1:], strict=True)
    ]
    assert got == want and len(want) > 10
    np.testing.assert_array_equal(rates, np.array(want_rates, dtype=np.float32))
    assert words == np.count_nonzero(ids >= 0)


@pytest.mark.parametrize("tiles", [1, 3])
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_softmax_block_trains_shuffled_examples_in_batches(model, tiles):
    V, ids, counts = _block()
    rng = np.random.default_rng(5)
    config = TrainConfig(model=model, loss="softmax", dim=6, window=3, sample=0.05).validate()
    syn0 = rng.normal(scale=0.1, size=(V, 6)).astype(np.float32)
    syn1 = np.zeros((V, 6), dtype=np.float32)
    holder = Model([str(i) for i in range(V)], np.sort(counts)[::-1], syn0, syn1, {})
    tables, spec = tables_for(holder, config), spec_for(config)
    ref0, ref1 = syn0.copy(), syn1.copy()
    schedule = Schedule(np.float32(0.025), np.float32(0.0001), np.int64(0), np.int64(100))
    loss, examples, words = train_block_softmax(
        ids, Weights(syn0, syn1), tables, spec, schedule, 7, batch=8,
        tiles=vocabulary_tiles(V, tiles, 8, 6),
    )  # fmt: skip
    reference_tiles = vocabulary_tiles(V, tiles, 8, 6)
    contexts, starts, targets, rates, _ = block_examples(
        ids, tables.keep, spec.model, 3, schedule, 7
    )
    order = shuffled_order(targets.size, 7)  # the block's seed
    want = 0.0
    for lo in range(0, order.size, 8):
        chosen = order[lo : lo + 8]
        pieces = [contexts[starts[e] : starts[e + 1]] for e in chosen]
        batch = Examples(
            np.concatenate(pieces), np.concatenate(([0], np.cumsum([len(p) for p in pieces]))),
            targets[chosen], rates[chosen],
        )  # fmt: skip
        want += softmax_step(Weights(ref0, ref1), tables.logit_offsets, batch, reference_tiles)
    assert examples == targets.size and words == np.count_nonzero(ids >= 0)
    assert loss == pytest.approx(want, rel=1e-6)
    np.testing.assert_array_equal(syn0, ref0)
    np.testing.assert_array_equal(syn1, ref1)
    # The first batch starts from zero output rows: its loss is exactly 8 log V.
    zero = Weights(np.zeros_like(syn0), np.zeros_like(syn1))
    first = softmax_step(zero, np.zeros(V, np.float32), _singles(contexts[:8], targets[:8],
                                                                 rates[:8]))  # fmt: skip
    assert first == pytest.approx(8 * np.log(V), rel=1e-6)


def test_pairs_are_shuffled_reproducibly_per_block():
    """A permutation, the same for the same block seed, another for another seed, and
    it breaks up runs of pairs: consecutive pairs of a block share their centre word."""
    first = shuffled_order(1000, 7)
    assert sorted(first.tolist()) == list(range(1000))
    np.testing.assert_array_equal(first, shuffled_order(1000, 7))
    assert not np.array_equal(first, shuffled_order(1000, 8))
    assert np.count_nonzero(np.abs(np.diff(first)) == 1) < 20  # ~2 expected by chance


def test_nan_logits_give_a_nan_loss_not_an_exception():
    """A diverged model must reach the trainer's divergence check, not crash in the kernel."""
    syn0 = np.ones((5, 2), dtype=np.float32)
    syn1 = np.full((5, 2), np.nan, dtype=np.float32)
    examples = _singles(np.array([0, 1], np.int32), np.array([1, 3], np.int32),
                        np.full(2, 0.1, np.float32))  # fmt: skip
    loss = softmax_step(Weights(syn0, syn1), np.zeros(5, np.float32), examples)
    assert not np.isfinite(loss)
