"""The negative-sampling / NCE kernel against a plain-numpy reference."""

import numpy as np
import pytest

from tests.reference import (
    binary_loss_and_grads,
    train_block_reference,
    train_block_shared_reference,
)
from w2v_nce.kernels.binary import binary_logistic
from w2v_nce.kernels.block import BINARY, BINARY_SHARED, INFONCE, train_block
from w2v_nce.noise import AliasTable, noise_distribution
from w2v_nce.train import keep_thresholds, logit_offsets


@pytest.mark.parametrize("label", [1.0, 0.0])
@pytest.mark.parametrize("offset", [0.0, -2.5, 3.0])
def test_one_logistic_step_matches_the_formula(label, offset):
    rng = np.random.default_rng(0)
    u = rng.normal(size=50).astype(np.float32)
    v = rng.normal(size=50).astype(np.float32) * np.float32(0.3)
    grad = np.zeros(50, dtype=np.float32)
    u0, v0 = u.copy(), v.copy()
    lr = np.float32(0.05)
    loss, _ = binary_logistic(u, v, np.float32(label), np.float32(offset), lr, grad)

    x = float(u0.astype(np.float64) @ v0) - offset
    p = 1 / (1 + np.exp(-x))
    g = lr * (label - p)
    np.testing.assert_allclose(grad, g * v0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v, v0 + g * u0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(u, u0)  # the input row waits for the caller
    assert loss == pytest.approx(np.logaddexp(0, -x if label else x), rel=1e-5)


def test_reference_gradient_agrees_with_finite_differences():
    rng = np.random.default_rng(1)
    d, k = 8, 4
    u, v_pos = rng.normal(size=d), rng.normal(size=d)
    v_noise = rng.normal(size=(k, d))
    o_pos, o_noise = 0.7, rng.normal(size=k)
    _, grad_u, grad_v_pos, grad_v_noise = binary_loss_and_grads(u, v_pos, v_noise, o_pos, o_noise)

    def numeric(f, x, eps=1e-6):
        out = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[idx] = eps
            out[idx] = (f(x + step) - f(x - step)) / (2 * eps)
        return out

    def loss(u_, vp, vn):
        return binary_loss_and_grads(u_, vp, vn, o_pos, o_noise)[0]

    np.testing.assert_allclose(numeric(lambda x: loss(x, v_pos, v_noise), u), grad_u, atol=1e-6)
    np.testing.assert_allclose(numeric(lambda x: loss(u, x, v_noise), v_pos), grad_v_pos, atol=1e-6)
    np.testing.assert_allclose(
        numeric(lambda x: loss(u, v_pos, x), v_noise), grad_v_noise, atol=1e-6
    )


def test_a_kernel_step_is_a_gradient_step():
    """One pair, k noise words: the kernel's update equals -lr × the reference gradient.

    word2vec updates the output rows one term at a time, so the k+1 terms see each
    other's updates only through shared rows; with distinct rows and lr small the
    kernel's step and lr × gradient agree to first order.
    """
    rng = np.random.default_rng(2)
    V, d, _k = 6, 10, 3
    syn0 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.3, size=(V, d)).astype(np.float32)
    ctx, centre, noise = 0, 1, np.array([2, 3, 4])
    lr = np.float32(1e-3)
    offsets = rng.normal(size=V).astype(np.float32)
    loss_ref, gu, gv, gn = binary_loss_and_grads(
        syn0[ctx].astype(np.float64),
        syn1[centre].astype(np.float64),
        syn1[noise].astype(np.float64),
        float(offsets[centre]),
        offsets[noise].astype(np.float64),
    )
    u, grad = syn0[ctx].copy(), np.zeros(d, dtype=np.float32)
    before = syn1.copy()
    total = binary_logistic(u, syn1[centre], np.float32(1), offsets[centre], lr, grad)[0]
    for n in noise:
        total += binary_logistic(u, syn1[n], np.float32(0), offsets[n], lr, grad)[0]
    np.testing.assert_allclose(grad, -lr * gu, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(syn1[centre] - before[centre], -lr * gv, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(syn1[noise] - before[noise], -lr * gn, rtol=1e-4, atol=1e-7)
    assert total == pytest.approx(loss_ref, rel=1e-5)


def _tiny_problem(loss, sample):
    rng = np.random.default_rng(3)
    V, d, k = 12, 16, 4
    sentences = [rng.integers(0, V, size=n) for n in (7, 1, 12, 5)]
    ids = np.concatenate([np.append(s, -1) for s in sentences]).astype(np.int32)
    counts = np.bincount(ids[ids >= 0], minlength=V) + 1
    q = noise_distribution(counts, 0.75)
    table = AliasTable(q)
    syn0 = rng.normal(scale=0.1, size=(V, d)).astype(np.float32)
    syn1 = rng.normal(scale=0.1, size=(V, d)).astype(np.float32)
    args = dict(
        ids=ids,
        keep_threshold=keep_thresholds(counts, sample),
        threshold=table.threshold,
        alias=table.alias,
        offsets=logit_offsets(loss, k, q, np.log(counts / counts.sum())),
        skip_positive=loss == "neg",
        k=k,
        window=3,
        alpha=np.float32(0.05),
        min_alpha=np.float32(0.0001),
        words_before=10,
        total_words=60,
        seed=12345,
    )
    return syn0, syn1, args


@pytest.mark.parametrize("loss", ["neg", "nce", "infonce"])
@pytest.mark.parametrize("sample", [0.0, 0.05])
def test_train_block_equals_numpy_reference(loss, sample):
    syn0, syn1, a = _tiny_problem(loss, sample)
    kind = INFONCE if loss == "infonce" else BINARY
    ref0, ref1 = syn0.copy(), syn1.copy()
    got = train_block(
        a["ids"],
        syn0,
        syn1,
        a["keep_threshold"],
        a["threshold"],
        a["alias"],
        a["offsets"],
        a["skip_positive"],
        kind,
        a["k"],
        a["window"],
        a["alpha"],
        a["min_alpha"],
        a["words_before"],
        a["total_words"],
        np.uint64(a["seed"]),
    )
    want = train_block_reference(
        a["ids"],
        ref0,
        ref1,
        a["keep_threshold"],
        a["threshold"],
        a["alias"],
        a["offsets"],
        a["skip_positive"],
        kind,
        a["k"],
        a["window"],
        a["alpha"],
        a["min_alpha"],
        a["words_before"],
        a["total_words"],
        a["seed"],
    )
    assert got[1] == want[1] and got[2] == want[2]  # pairs, words
    assert got[1] > 20
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    np.testing.assert_allclose(syn0, ref0, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, atol=1e-6)
    assert syn0.dtype == np.float32 and syn1.dtype == np.float32


def test_subsampling_drops_frequent_words_at_word2vecs_rate():
    counts = np.array([10_000, 100, 10])
    thresholds = keep_thresholds(counts, 1e-3)
    keep = thresholds.astype(np.float64) / 2**32
    ratio = 1e-3 * counts.sum() / counts
    np.testing.assert_allclose(keep, np.minimum(np.sqrt(ratio) + ratio, 1), atol=1e-9)
    assert keep[0] < 0.2 and keep[2] == 1.0
    assert np.all(keep_thresholds(counts, 0) == 2**32)


@pytest.mark.parametrize("loss", ["neg", "nce"])
def test_shared_negatives_block_equals_numpy_reference(loss):
    syn0, syn1, a = _tiny_problem(loss, 0.05)
    ref0, ref1 = syn0.copy(), syn1.copy()
    order = ["keep_threshold", "threshold", "alias", "offsets", "skip_positive"]
    tail = ["k", "window", "alpha", "min_alpha", "words_before", "total_words"]
    got = train_block(
        a["ids"],
        syn0,
        syn1,
        *[a[n] for n in order],
        BINARY_SHARED,
        *[a[n] for n in tail],
        np.uint64(a["seed"]),
    )
    want = train_block_shared_reference(
        a["ids"], ref0, ref1, *[a[n] for n in order], *[a[n] for n in tail], a["seed"]
    )
    assert got[1] == want[1] and got[2] == want[2] and got[1] > 20
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    np.testing.assert_allclose(syn0, ref0, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, atol=1e-6)
