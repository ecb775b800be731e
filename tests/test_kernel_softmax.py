"""Full softmax and InfoNCE: the shared row-softmax step against numpy and finite differences."""

import numpy as np
import pytest

from tests.reference import SplitMix64, learning_rate, row_softmax_pair_reference, sentence_pairs
from w2v_nce.kernels.pairs import block_pairs
from w2v_nce.kernels.rowsoftmax import softmax_residual
from w2v_nce.kernels.softmax import shuffled_order, softmax_step, train_block_softmax
from w2v_nce.train import keep_thresholds


def numeric_gradient(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        out[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return out


def softmax_loss(u, rows, offsets, target=0):
    z = rows @ u - offsets
    return -z[target] + np.log(np.exp(z - z.max()).sum()) + z.max()


def test_softmax_residual_is_onehot_minus_softmax():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=5, size=(7, 50)).astype(np.float32)
    targets = rng.integers(0, 50, size=7)
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = -p
    expected[np.arange(7), targets] += 1
    loss = softmax_residual(logits, targets)
    np.testing.assert_allclose(logits, expected, atol=1e-6)
    assert loss == pytest.approx(-np.log(p[np.arange(7), targets]).sum(), rel=1e-5)


def test_softmax_residual_survives_huge_logits():
    logits = np.array([[1000.0, -1000.0, 999.0]], dtype=np.float32)
    loss = softmax_residual(logits, np.array([2]))
    assert np.isfinite(logits).all() and loss == pytest.approx(1 + np.log1p(np.exp(-1)), rel=1e-5)


@pytest.mark.parametrize("offsets", ["zero", "log_q"])
def test_row_softmax_reference_is_minus_lr_times_the_gradient(offsets):
    """The reference update (full softmax and InfoNCE) agrees with finite differences."""
    rng = np.random.default_rng(1)
    V, d = 9, 5
    syn0 = rng.normal(scale=0.5, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.5, size=(V, d)).astype(np.float32)
    off = np.zeros(V) if offsets == "zero" else np.log(rng.dirichlet(np.ones(V)))
    candidates = np.array([3, 0, 5, 7, 8])  # target first, distinct rows
    u, rows = syn0[2].astype(np.float64), syn1[candidates].astype(np.float64)
    grad_u = numeric_gradient(lambda x: softmax_loss(x, rows, off[candidates]), u)
    grad_rows = numeric_gradient(lambda x: softmax_loss(u, x, off[candidates]), rows)
    lr = 1e-3
    new0, new1 = syn0.copy(), syn1.copy()
    loss = row_softmax_pair_reference(new0, new1, 2, candidates, off, lr)
    assert loss == pytest.approx(softmax_loss(u, rows, off[candidates]), rel=1e-9)
    np.testing.assert_allclose(new0[2] - syn0[2], -lr * grad_u, atol=1e-7)
    np.testing.assert_allclose(new1[candidates] - syn1[candidates], -lr * grad_rows, atol=1e-7)


def test_batched_softmax_step_equals_the_minibatch_formula():
    rng = np.random.default_rng(2)
    V, d, B = 40, 12, 16
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    inputs = rng.integers(0, V, size=B).astype(np.int32)
    inputs[3] = inputs[5]  # a repeated input row accumulates both updates
    outputs = rng.integers(0, V, size=B).astype(np.int32)
    lr = rng.uniform(0.01, 0.05, size=B).astype(np.float32)  # each pair its own rate

    u = syn0[inputs].astype(np.float64)
    w = syn1.astype(np.float64)
    bias = rng.normal(size=V).astype(np.float32)  # a fixed base measure b_c
    s = u @ w.T + bias
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = -p
    g[np.arange(B), outputs] += 1
    g *= lr[:, None].astype(np.float64)
    want0 = syn0.astype(np.float64)
    np.add.at(want0, inputs, g @ w)
    want1 = w + g.T @ u
    want_loss = -np.log(p[np.arange(B), outputs]).sum()

    loss = softmax_step(syn0, syn1, bias, inputs, outputs, lr)
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, want0, atol=1e-5)
    np.testing.assert_allclose(syn1, want1, atol=1e-5)
    assert syn0.dtype == np.float32 and syn1.dtype == np.float32


def test_one_pair_softmax_step_equals_the_single_pair_reference():
    rng = np.random.default_rng(3)
    V, d = 30, 8
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    ref0, ref1 = syn0.copy(), syn1.copy()
    candidates = np.array([4] + [c for c in range(V) if c != 4])  # target first, then the rest
    bias = rng.normal(size=V).astype(np.float32)
    # The reference's offsets are subtracted: a base b_c is an offset of −b_c.
    want = row_softmax_pair_reference(ref0, ref1, 7, candidates, -bias.astype(np.float64), 0.1)
    got = softmax_step(
        syn0, syn1, bias, np.array([7], np.int32), np.array([4], np.int32), np.float32(0.1)
    )
    assert got == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(syn0, ref0, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, atol=1e-6)


def _block(seed=4):
    rng = np.random.default_rng(seed)
    V = 15
    sentences = [rng.integers(0, V, size=n) for n in (9, 2, 14, 6)]
    ids = np.concatenate([np.append(s, -1) for s in sentences]).astype(np.int32)
    counts = np.bincount(ids[ids >= 0], minlength=V) + 1
    return V, ids, keep_thresholds(counts, 0.05)


def test_block_pairs_are_the_reference_pairs_with_their_learning_rates():
    V, ids, keep = _block()
    alpha, min_alpha = np.float32(0.025), np.float32(0.0001)
    inputs, outputs, rates, words, _ = block_pairs(ids, keep, 3, alpha, min_alpha, 5, 100, 99)
    want_pairs, want_rates, done = [], [], 5
    for read, pairs in sentence_pairs(SplitMix64(99), ids, keep, 3):
        done += read
        want_pairs += pairs
        want_rates += [learning_rate(alpha, min_alpha, done, 100)] * len(pairs)
    assert list(zip(inputs.tolist(), outputs.tolist(), strict=True)) == want_pairs
    np.testing.assert_array_equal(rates, np.array(want_rates, dtype=np.float32))
    assert words == np.count_nonzero(ids >= 0) and len(want_pairs) > 30


def test_softmax_block_trains_pairs_in_batches():
    V, ids, keep = _block()
    rng = np.random.default_rng(5)
    syn0 = rng.normal(scale=0.1, size=(V, 6)).astype(np.float32)
    syn1 = np.zeros((V, 6), dtype=np.float32)
    ref0, ref1 = syn0.copy(), syn1.copy()
    bias = rng.normal(size=V).astype(np.float32)
    zero = np.zeros(V, dtype=np.float32)
    args = (keep, 3, np.float32(0.025), np.float32(0.0001), 0, 100, 7)
    loss, pairs, words = train_block_softmax(ids, syn0, syn1, bias, *args, batch=8)
    inputs, outputs, rates, _, _ = block_pairs(ids, *args)
    order = shuffled_order(inputs.size, 7)  # the block's seed
    inputs, outputs, rates = inputs[order], outputs[order], rates[order]
    want = 0.0
    for start in range(0, inputs.size, 8):
        stop = start + 8
        want += softmax_step(
            ref0, ref1, bias, inputs[start:stop], outputs[start:stop], rates[start:stop]
        )
    assert pairs == inputs.size and words == np.count_nonzero(ids >= 0)
    assert loss == pytest.approx(want, rel=1e-6)
    np.testing.assert_array_equal(syn0, ref0)
    # The first batch starts from zero output rows: its loss is exactly 8 log V.
    first = softmax_step(
        np.zeros_like(syn0), np.zeros_like(syn1), zero, inputs[:8], outputs[:8], 0.1
    )
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
    logits = np.full((2, 5), np.nan, dtype=np.float32)
    loss = softmax_residual(logits, np.array([1, 3], dtype=np.int32))
    assert not np.isfinite(loss)
