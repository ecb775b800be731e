"""The training kernel (every model × every example-by-example loss) against numpy.

Three layers of evidence: the reference formulas' gradients agree with finite
differences; one kernel step is −lr × that gradient; a whole block of the kernel
equals the plain-numpy reference consuming the same random stream.
"""

import numba
import numpy as np
import pytest

from tests.jitted import call
from tests.reference import (
    SplitMix64,
    add_input_delta,
    block_step,
    candidate_set,
    input_rows,
    logistic_terms,
    numeric_gradient,
    softmax_terms,
    train_block_reference,
)
from w2v_nce import losses
from w2v_nce.kernels.binary import logistic_coefficients
from w2v_nce.kernels.block import (
    STEP_BOUND,
    CandidateBlock,
    bound_steps,
    kernel_for,
    new_scratch,
    start_noise,
    step_for,
    train_block,
)
from w2v_nce.kernels.bundles import Schedule, Weights
from w2v_nce.kernels.vecops import exp_nonpositive
from w2v_nce.model import Model, huffman_tree
from w2v_nce.noise import keep_thresholds
from w2v_nce.params import TrainConfig
from w2v_nce.training.trainer import spec_for, tables_for


def _logistic_row(x, label, lr=1.0):
    """The kernel's logistic step on one row of logits x (offsets 0, one label)."""
    logits = np.asarray(x, dtype=np.float32)
    coefficients = np.zeros_like(logits)
    labels = np.full(logits.size, label, dtype=np.float32)
    loss = logistic_coefficients(logits, labels, logits.size, np.float32(lr), coefficients)
    return loss, coefficients


@pytest.mark.parametrize("label", [1.0, 0.0])
@pytest.mark.parametrize("x", [-200.0, -30.0, -2.5, 0.0, 0.7, 3.0, 40.0, 200.0])
def test_the_logistic_step_is_the_formula(label, x):
    """(abs: log1p(e) is taken as the log of 1 + e in float64, exact to 1e-16 absolute.)"""
    loss, g = _logistic_row([x], label)
    p = 1 / (1 + np.exp(-x))
    assert g[0] == pytest.approx(label - p, abs=1e-7)
    assert loss == pytest.approx(np.logaddexp(0, -x if label else x), rel=1e-6, abs=1e-15)


def test_a_rows_loss_is_the_sum_of_its_terms_however_wide():
    """The log1p terms of a row are summed as the log of a product, in runs that
    cannot overflow: 1,300 terms of x = 0 are 1,300 log 2 (a single product would be 2^1300)."""
    x = np.random.default_rng(0).normal(scale=8, size=1300).astype(np.float32)
    for label in (0.0, 1.0):
        loss, g = _logistic_row(x, label, lr=0.5)
        z = x.astype(np.float64)
        want = np.logaddexp(0, -z if label else z).sum()
        assert loss == pytest.approx(want, rel=1e-9)
        np.testing.assert_allclose(g, 0.5 * (label - 1 / (1 + np.exp(-z))), atol=1e-7)
    assert _logistic_row(np.zeros(1300), 1.0)[0] == pytest.approx(1300 * np.log(2), rel=1e-12)


@numba.njit
def exp_all(y):
    out = np.empty_like(y)
    for i in range(y.size):
        out[i] = exp_nonpositive(y[i])
    return out


def test_the_vectorised_exp_is_within_two_ulp():
    y = -np.linspace(0, 87, 1_000_001).astype(np.float32)
    got = exp_all(y).astype(np.float64)
    want = np.exp(y.astype(np.float64))
    assert np.max(np.abs(got / want - 1)) < 2 * 2.0**-24
    assert 0 < exp_all(np.array([-88.0, -1000.0], np.float32)).max() < 2e-38


def test_logistic_block_gradient_agrees_with_finite_differences():
    """Σ_ab −log p(label_b | h_a·v_b − o_b): the block of neg, nce and hs."""
    rng = np.random.default_rng(1)
    h, v = rng.normal(size=(3, 6)), rng.normal(size=(4, 6))
    labels, offsets = np.array([1.0, 0.0, 0.0, 1.0]), rng.normal(size=4)

    def loss(h_, v_):
        return logistic_terms(h_ @ v_.T - offsets, labels[None, :])[0]

    _, dz = logistic_terms(h @ v.T - offsets, labels[None, :])
    np.testing.assert_allclose(numeric_gradient(lambda x: loss(x, v), h), dz @ v, atol=1e-6)
    np.testing.assert_allclose(numeric_gradient(lambda x: loss(h, x), v), dz.T @ h, atol=1e-6)


def test_softmax_block_gradient_agrees_with_finite_differences():
    """The row softmax with the target in column 0: the block of InfoNCE."""
    rng = np.random.default_rng(2)
    h, v, offsets = rng.normal(size=(2, 5)), rng.normal(size=(6, 5)), rng.normal(size=6)

    def loss(h_, v_):
        return softmax_terms(h_ @ v_.T - offsets)[0]

    _, dz = softmax_terms(h @ v.T - offsets)
    np.testing.assert_allclose(numeric_gradient(lambda x: loss(x, v), h), dz @ v, atol=1e-6)
    np.testing.assert_allclose(numeric_gradient(lambda x: loss(h, x), v), dz.T @ h, atol=1e-6)


def test_cbow_gradient_goes_unscaled_to_every_context_row():
    """h = mean(u_1..u_m): dL/du_j = dL/dh / m, and word2vec.c adds −lr·dL/dh to each u_j."""
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    labels, offsets = np.array([1.0, 0.0, 0.0]), np.zeros(3)

    def loss(u_):
        return logistic_terms(u_.mean(axis=0, keepdims=True) @ v.T, labels[None, :])[0]

    output = v.astype(np.float32)
    _, delta = block_step(u.mean(axis=0, keepdims=True), output, np.arange(3), labels, offsets,
                          1e-3, "noise")  # fmt: skip
    gradient = numeric_gradient(loss, u)
    np.testing.assert_allclose(np.repeat(delta, 4, axis=0), -1e-3 * 4 * gradient, atol=1e-8)


DIM = 21  # not a whole number of SIMD lanes: the kernel's padded scratch rows are exercised


def _problem(model, loss, sample=0.05, share=True, V=12, seed=3, noise_group=None, **contrast):
    rng = np.random.default_rng(seed)
    sentences = [rng.integers(0, V, size=n) for n in (7, 1, 12, 5, 9)]
    ids = np.concatenate([np.append(s, -1) for s in sentences]).astype(np.int32)
    counts = np.sort(np.bincount(ids[ids >= 0], minlength=V) + 1)[::-1].astype(np.int64)
    config = TrainConfig(
        model=model, loss=loss, k=4, dim=DIM, window=3, sample=sample, share_negatives=share,
        alpha=0.05, threads=1, noise_group=noise_group, **contrast,
    ).validate()  # fmt: skip
    tree = huffman_tree(counts) if loss == "hs" else None
    outputs = V - 1 if tree is not None else V
    syn0 = rng.normal(scale=0.1, size=(V, DIM)).astype(np.float32)
    syn1 = rng.normal(scale=0.1, size=(outputs, DIM)).astype(np.float32)
    holder = Model([f"w{i}" for i in range(V)], counts, syn0, syn1, {}, tree)
    return ids, syn0, syn1, tables_for(holder, config), spec_for(config), config


STEP = {"neg": "noise", "nce": "noise", "infonce": "sampled", "hs": "tree"}


def _against_reference(problem, seed, rel, atol, buckets=None):
    """Train the problem's block with the kernel and the float64 reference from the same
    start (with ``buckets``, the bucket rows of its subwords); assert equal counts, loss
    and matrices. Returns the kernel's result, its trained output rows and their start."""
    ids, syn0, syn1, tables, spec = problem[:5]
    start = syn1.copy()
    ref0, ref1 = syn0.copy(), syn1.copy()
    extra = () if buckets is None else (buckets,)
    ref_buckets = None if buckets is None else buckets.copy()
    schedule = Schedule(np.float32(0.05), np.float32(0.0001), np.int64(10), np.int64(80))
    got = train_block(ids, Weights(syn0, syn1, *extra), tables, spec, schedule, np.uint64(seed))
    want = train_block_reference(ids, ref0, ref1, tables, spec, schedule, seed, ref_buckets)
    assert got[1:] == want[1:]  # examples, words
    assert got[0] == pytest.approx(want[0], rel=rel)
    np.testing.assert_allclose(syn0, ref0, atol=atol)
    np.testing.assert_allclose(syn1, ref1, atol=atol)
    if buckets is not None:
        np.testing.assert_allclose(buckets, ref_buckets, atol=atol)
    return got, syn1, start


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("loss", ["neg", "nce", "infonce", "hs"])
@pytest.mark.parametrize("share", [True, False])
@pytest.mark.parametrize("sample", [0.0, 0.05])
def test_train_block_equals_numpy_reference(model, loss, share, sample):
    problem = _problem(model, loss, sample, share)
    got, syn1, start = _against_reference(problem, 12345, rel=1e-5, atol=1e-6)
    assert got[1] > (10 if model == "cbow" else 20)
    assert problem[1].dtype == np.float32 and syn1.dtype == np.float32
    assert not np.array_equal(syn1, start)  # it trained


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize(
    ("loss", "options"),
    [("neg", {}), ("nce", {}), ("infonce", {}), ("hs", {}), ("triplet", {"similarity": "cosine"})],
)
def test_subword_block_equals_numpy_reference(model, loss, options):
    """--subwords: a context's hidden vector is the mean of its row and its n-gram rows
    (CBOW: of all the context words' rows) and each of them gets the whole gradient;
    7 buckets for 12 words' n-grams of 1-3 characters, so the words share rows."""
    problem = _problem(model, loss, subwords="1-3", buckets=7, **options)
    tables = problem[3]
    assert tables.ngram_starts.size == 13 and tables.ngram_rows.size > 12 * 3
    buckets = np.random.default_rng(5).normal(scale=0.1, size=(7, DIM)).astype(np.float32)
    start = buckets.copy()
    got, _, _ = _against_reference(problem, 4321, rel=1e-5, atol=1e-6, buckets=buckets)
    assert got[1] > (10 if model == "cbow" else 20)
    assert (np.abs(buckets - start).max(axis=1) > 0).all()  # every bucket row trained


def test_subword_gradient_goes_whole_to_every_row():
    """h = mean(u_w, b_g1, ..., b_gn): dL/db = dL/dh / (n + 1), and the reference (so the
    kernel, which equals it) adds −lr·dL/dh to every one of those rows (fastText's
    Model::update does not divide by the number of rows for skip-gram and CBOW)."""
    from w2v_nce.kernels.bundles import Tables

    rng = np.random.default_rng(4)
    u, b, v = rng.normal(size=(2, 5)), rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    labels, offsets = np.array([1.0, 0.0, 0.0]), np.zeros(3)
    empty = np.zeros(0, np.int32)
    tables = Tables(*(empty,) * 7, np.array([0, 2, 2]), np.array([0, 2], np.int32))

    def loss(rows):
        hidden = rows.mean(axis=0, keepdims=True)
        return logistic_terms(hidden @ v.T, labels[None, :])[0]

    rows = input_rows(0, u, b, tables)
    np.testing.assert_array_equal(rows, np.stack([u[0], b[0], b[2]]))
    _, delta = block_step(rows.mean(axis=0, keepdims=True), v.astype(np.float32), np.arange(3),
                          labels, offsets, 1e-3, "noise")  # fmt: skip
    u32, b32 = u.astype(np.float32), b.astype(np.float32)
    add_input_delta(0, delta[0].astype(np.float32), u32, b32, tables)
    gradient = numeric_gradient(loss, rows)
    moved = np.stack([u32[0] - u[0], b32[0] - b[0], b32[2] - b[2]])
    np.testing.assert_allclose(moved, -1e-3 * 3 * gradient, atol=1e-6)
    np.testing.assert_array_equal(b32[1], b[1].astype(np.float32))  # not its n-gram


CONTRASTIVE = [
    ("triplet", {"similarity": similarity, "mining": mining, "margin": 0.3})
    for similarity in ("dot", "cosine", "euclidean")
    for mining in ("all", "semi-hard", "hard")
] + [
    ("contrastive", {"margin": 0.5}),
    ("infonce", {"similarity": "cosine", "temperature": 0.1}),
    ("infonce", {"similarity": "euclidean"}),
    ("infonce", {"temperature": 0.5}),
]


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize(("loss", "contrast"), CONTRASTIVE)
@pytest.mark.parametrize("share", [True, False])
def test_contrastive_block_equals_numpy_reference(model, loss, contrast, share):
    """The contrastive family's steps in the block kernel (the self terms of cosine and
    euclidean included) against the float64 reference of design.md section 9."""
    problem = _problem(model, loss, 0.0, share, **contrast)
    _, syn1, start = _against_reference(problem, 2024, rel=1e-4, atol=2e-5)
    assert not np.array_equal(syn1, start)


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("loss", ["neg", "nce"])
@pytest.mark.parametrize("noise_group", [2, 3, 16])
@pytest.mark.parametrize("sample", [0.0, 0.05])
def test_noise_groups_equal_numpy_reference(model, loss, noise_group, sample):
    """Groups of centre words scored as one masked block, as the reference does (which
    leaves the masked terms out of the loss and the gradient). With 16 centres every
    step of these short sentences is a sentence's last, smaller, group; V = 12 makes
    draws equal to a positive and repeated positives common."""
    problem = _problem(model, loss, sample, noise_group=noise_group)
    assert problem[4].noise_group == noise_group
    _, syn1, _ = _against_reference(problem, 4321, rel=1e-5, atol=1e-6)
    schedule = Schedule(np.float32(0.05), np.float32(0.0001), np.int64(10), np.int64(80))
    alone = _problem(model, loss, sample, noise_group=1)
    train_block(alone[0], Weights(alone[1], alone[2]), alone[3], alone[4], schedule,
                np.uint64(4321))  # fmt: skip
    assert not np.allclose(syn1, alone[2], atol=1e-4)  # sharing draws is another step


def test_noise_groups_by_default_for_nce_only():
    def noise_group(loss, **options):
        return spec_for(TrainConfig(loss=loss, **options).validate()).noise_group

    assert noise_group("nce") == 4 and noise_group("neg") == 1 and noise_group("infonce") == 1
    assert noise_group("neg", noise_group=3) == 3 and noise_group("hs", noise_group=3) == 1
    assert noise_group("nce", share_negatives=False) == 1


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("private", [3, 11])
def test_private_top_rows_give_the_block_of_updates_in_place(model, private):
    """hs with several threads keeps each thread's updates of the top rows private and
    adds them every so often: in one thread the block is the same, up to rounding."""
    ids, syn0, syn1, tables, spec, _ = _problem(model, "hs", sample=0.0)
    assert spec.private == 0  # one thread
    ref0, ref1 = syn0.copy(), syn1.copy()
    schedule = Schedule(np.float32(0.05), np.float32(0.0001), np.int64(10), np.int64(80))
    kept = spec._replace(private=private)
    got = train_block(ids, Weights(syn0, syn1), tables, kept, schedule, np.uint64(7))
    want = train_block(ids, Weights(ref0, ref1), tables, spec, schedule, np.uint64(7))
    assert got[1:] == want[1:] and got[0] == pytest.approx(want[0], rel=1e-6)
    np.testing.assert_allclose(syn0, ref0, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, atol=1e-6)  # the private updates all reached syn1
    assert not np.array_equal(syn1[-private:], _problem(model, "hs", sample=0.0)[2][-private:])


def test_private_rows_only_for_hs_with_several_threads():
    def private(loss, threads):
        return spec_for(TrainConfig(loss=loss, threads=threads).validate()).private

    assert private("hs", 2) > 0 and private("hs", 1) == 0 and private("neg", 2) == 0


@pytest.mark.parametrize("loss", ["neg", "nce", "infonce", "hs"])
def test_one_output_step_is_minus_lr_times_the_gradient(loss):
    """The kernel's step on 3 hidden vectors against one target, to first order in lr."""
    ids, syn0, syn1, tables, spec, _ = _problem("skipgram", loss, V=40)
    spec = spec._replace(share_negatives=True)
    hidden = np.random.default_rng(5).normal(scale=0.3, size=(3, DIM)).astype(np.float32)
    scratch = new_scratch(3, max(spec.k + 1, tables.points.shape[1]), DIM, spec.k)
    scratch.hidden[:, :DIM] = hidden
    # one centre word at position 0 of the sentence [7], its hidden rows 0..2
    scratch.group[0, 0], scratch.group[0, 3], scratch.group[1, 3] = 0, 0, 3
    if spec.k:
        start_noise(tables, syn1, spec.k, np.uint64(99), scratch)
    before = syn1.copy()
    lr = np.float32(1e-4)
    sentence = np.array([7], dtype=np.int32)
    loss_value = call(step_for(spec.step), 1, sentence, syn1, tables, spec, lr, scratch)
    rows, labels, offsets = candidate_set(
        SplitMix64(99), tables, 7, STEP[loss], spec.k, spec.skip_positive
    )
    z = hidden.astype(np.float64) @ before[rows].T.astype(np.float64) - offsets
    if loss == "infonce":
        want_loss, dz = softmax_terms(z)
    else:
        want_loss, dz = logistic_terms(z, labels[None, :])
    assert loss_value == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_allclose(
        scratch.deltas[:, :DIM], -lr * dz @ before[rows], rtol=1e-3, atol=1e-9
    )
    change = np.zeros_like(before, dtype=np.float64)
    np.add.at(change, rows, -lr * dz.T @ hidden)
    # (atol: the float32 rounding of rows of size 0.1 is ~1e-8; the changes are ~1e-5)
    np.testing.assert_allclose(syn1 - before, change, rtol=1e-3, atol=5e-8)


def test_subsampling_drops_frequent_words_at_word2vecs_rate():
    counts = np.array([10_000, 100, 10])
    thresholds = keep_thresholds(counts, 1e-3)
    keep = thresholds.astype(np.float64) / 2**32
    ratio = 1e-3 * counts.sum() / counts
    np.testing.assert_allclose(keep, np.minimum(np.sqrt(ratio) + ratio, 1), atol=1e-9)
    assert keep[0] < 0.2 and keep[2] == 1.0
    assert np.all(keep_thresholds(counts, 0) == 2**32)


def test_the_loss_records_offsets():
    q = np.array([0.5, 0.25, 0.25])
    prior = np.log([0.6, 0.3, 0.1])
    record = losses.LOSSES
    np.testing.assert_allclose(record["neg"].offsets(5, q, None), 0)
    np.testing.assert_allclose(record["neg"].offsets(5, q, prior), -prior, rtol=1e-6)
    np.testing.assert_allclose(record["nce"].offsets(5, q, prior), np.log(5 * q) - prior, 1e-6)
    np.testing.assert_allclose(record["infonce"].offsets(5, q, None), np.log(q), rtol=1e-6)
    np.testing.assert_allclose(record["softmax"].offsets(5, q, prior), -prior, rtol=1e-6)
    assert record["hs"].offsets(5, q, None).dtype == np.float32


def test_no_kernel_takes_more_than_eight_arguments():
    """Arguments that travel together travel as one bundle (Weights, Tables, the
    scratch, a CandidateBlock, vecops.Inputs); only the wrapper of Fortran's sgemm
    keeps its 13."""
    import importlib
    import inspect
    import pkgutil

    import w2v_nce.kernels

    arguments = {}
    for info in pkgutil.iter_modules(w2v_nce.kernels.__path__):
        module = importlib.import_module(f"w2v_nce.kernels.{info.name}")
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            if isinstance(value, numba.core.dispatcher.Dispatcher) and defined_here:
                parameters = inspect.signature(value.py_func).parameters
                arguments[f"{info.name}.{name}"] = len(parameters)
    assert "block.NOISE_STEP" in arguments and len(arguments) > 40
    assert {name for name, n in arguments.items() if n > 8} == {"blas.sgemm"}


def test_bound_steps_caps_a_noise_words_summed_move():
    """bound_steps: a word whose coefficients, summed over its duplicate columns and the
    block's rows, could move a logit by more than STEP_BOUND (the largest |h|² times that
    sum) has its columns scaled to exactly the bound; other words keep theirs; the
    per-word sums are zero again afterwards. Then no row's logit moves by more."""
    rng = np.random.default_rng(7)
    rows, width, dim, words = 6, 40, DIM, 50
    scratch = new_scratch(rows, width, dim, width, 0, 1, words)
    hidden = rng.normal(scale=2.0, size=(rows, dim)).astype(np.float32)
    scratch.hidden[:, :dim] = hidden
    candidates = np.concatenate([[3], np.full(30, 7), rng.integers(10, words, size=9)])
    scratch.candidates[:width] = candidates
    coefficients = rng.uniform(-0.05, 0.05, size=(rows, width)).astype(np.float32)
    scratch.coefficients[: rows * width] = coefficients.ravel()
    block = CandidateBlock(0, rows, width)
    arrays = scratch.hidden, scratch.coefficients, scratch.candidates, scratch.word_steps
    call(bound_steps, block, *arrays)
    got = scratch.coefficients[: rows * width].reshape(rows, width)
    largest = (hidden.astype(np.float64) ** 2).sum(axis=1).max()
    for word in np.unique(candidates):
        columns = candidates == word
        moved = np.abs(coefficients[:, columns]).sum() * largest
        want = coefficients[:, columns] * (STEP_BOUND / moved if moved > STEP_BOUND else 1.0)
        np.testing.assert_allclose(got[:, columns], want, rtol=1e-5)
        change = hidden.T @ got[:, columns].sum(axis=1)  # Δv of the word (lr inside C)
        assert np.abs(hidden @ change).max() <= STEP_BOUND * (1 + 1e-5)
    assert not np.allclose(got[:, candidates == 7], coefficients[:, candidates == 7])
    assert not scratch.word_steps.any()
    # A block whose coefficients all together stay under the bound is left as it is.
    small = coefficients * np.float32(STEP_BOUND / (np.abs(coefficients).sum() * largest) / 2)
    scratch.coefficients[: rows * width] = small.ravel()
    call(bound_steps, block, *arrays)
    np.testing.assert_array_equal(scratch.coefficients[: rows * width], small.ravel())


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_the_block_keeps_its_words_read_and_ends_when_told_to(model):
    """``read``: the kernel keeps the block's words read so far in it (the progress bar
    reads it from another thread): at the end, all of the block's. ``stop`` set: the
    block ends at its next sentence end: set before it starts, it reads nothing and
    changes nothing; the same block with the flag clear trains as without the arrays."""
    ids, syn0, syn1, tables, spec, _ = _problem(model, "neg")
    schedule = Schedule(np.float32(0.05), np.float32(0.0001), np.int64(10), np.int64(80))
    before0, before1 = syn0.copy(), syn1.copy()
    stop, read = np.ones(1, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    weights = Weights(syn0, syn1)
    stopped = train_block(ids, weights, tables, spec, schedule, np.uint64(5), stop, read)
    assert stopped == (0.0, 0, 0) and read[0] == 0
    np.testing.assert_array_equal(syn0, before0)
    np.testing.assert_array_equal(syn1, before1)
    stop[0] = 0
    got = train_block(ids, weights, tables, spec, schedule, np.uint64(5), stop, read)
    assert got[2] == read[0] == np.count_nonzero(ids >= 0)
    plain0, plain1 = before0.copy(), before1.copy()
    want = train_block(ids, Weights(plain0, plain1), tables, spec, schedule, np.uint64(5))
    assert got == want
    np.testing.assert_array_equal(syn0, plain0)
    np.testing.assert_array_equal(syn1, plain1)


def test_a_kernel_only_function_refuses_a_python_call():
    """The kernels only other kernels call have no Python entry point (a Python call
    would crash the interpreter): a TypeError says so; a jitted caller reaches them."""
    from w2v_nce.kernels import block
    from w2v_nce.kernels.internal import KernelOnly

    assert isinstance(bound_steps, KernelOnly) and isinstance(block.NOISE_STEP, KernelOnly)
    scratch = new_scratch(2, 4, DIM, 4, 0, 1, 10)
    arrays = scratch.hidden, scratch.coefficients, scratch.candidates, scratch.word_steps
    with pytest.raises(TypeError, match="called only from compiled kernels"):
        bound_steps(CandidateBlock(0, 2, 4), *arrays)
    call(bound_steps, CandidateBlock(0, 2, 4), *arrays)  # all zero: nothing bound
    assert not scratch.coefficients.any()


def test_a_writable_block_and_a_read_only_one_run_one_compiled_kernel():
    """The encoded corpus is a read-only map; a Dask shard or a caller's array is
    writable, which Numba types apart: each kind of block compiled the whole kernel
    again (the test suite's cache held two signatures of 14 kernels). Both reach the
    kernel read-only, with the same result, and the caller's array stays writable."""
    ids, syn0, syn1, tables, spec, _ = _problem("skipgram", "neg")
    schedule = Schedule(np.float32(0.05), np.float32(0.0001), np.int64(10), np.int64(80))
    frozen = ids.copy()
    frozen.flags.writeable = False
    results = []
    for block in (ids, frozen):
        weights = Weights(syn0.copy(), syn1.copy())
        results.append((train_block(block, weights, tables, spec, schedule, np.uint64(9)), weights))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1].input, results[1][1].input)
    kernel = kernel_for(spec.model, spec.step, spec.noise_group > 1, False)
    assert len(kernel.signatures) == 1 and kernel.signatures[0][0].mutable is False
    assert ids.flags.writeable
