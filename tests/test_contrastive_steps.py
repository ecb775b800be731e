"""The contrastive family's coefficient steps against float64 numpy references.

For every loss × similarity × mining: the step's coefficients (a, c, e) give the
finite-difference gradient of the reference loss with respect to every hidden and
candidate row; the step equals the reference block; InfoNCE with the dot product
at τ = 1 is exactly the row-softmax step; hand-built triplets are mined as FaceNet
mines them; and the self coefficients, added as block.py will add them, complete
the update to −lr × the gradient.
"""

import numpy as np
import pytest

from tests.reference import numeric_gradient
from tests.reference_contrastive import contrast_block, gradients, similarity_terms
from w2v_nce.kernels.contrastive import (
    add_hidden_self,
    add_row_self,
    contrast,
    drlim_step,
    infonce_step,
    new_terms,
    squared_norms,
    triplet_step,
)
from w2v_nce.kernels.rowsoftmax import softmax_coefficients
from w2v_nce.kernels.vecops import padded

DIM = 21  # not a whole number of SIMD lanes: the padding columns are exercised
STEPS = {"triplet": triplet_step, "contrastive": drlim_step, "infonce": infonce_step}
# (positive, a draw equal to it: left out of triplet and contrastive, kept by infonce)
CANDIDATES = np.array([5, 2, 5, 7, 1, 3, 8], dtype=np.int64)
CASES = (
    [("triplet", s, 1.0, mining) for s in ("dot", "cosine", "euclidean")
     for mining in ("all", "semi-hard", "hard")]
    + [("contrastive", "euclidean", 1.0, "all")]
    + [("infonce", s, t, "all") for s in ("dot", "cosine", "euclidean") for t in (1.0, 0.2)]
)  # fmt: skip


def _block(m, width, seed, scale=0.4):
    """float32 hidden and candidate rows (as float64 too) and offsets (log q-like)."""
    rng = np.random.default_rng(seed)
    h = rng.normal(scale=scale, size=(m, DIM)).astype(np.float32)
    v = rng.normal(scale=scale, size=(width, DIM)).astype(np.float32)
    offsets = rng.normal(scale=2.0, size=width).astype(np.float32)
    return h, v, offsets


def _margin(h, v, loss, similarity):
    """A margin that some terms violate and some do not, none within 1e-3 of the kink."""
    if loss == "contrastive":
        d = np.sqrt(-similarity_terms(h, v, "euclidean")[:, 1:])
    else:
        s = similarity_terms(h, v, similarity)
        d = (s[:, :1] - s[:, 1:]).ravel()
    cuts = np.sort(d.ravel())
    middle = len(cuts) // 2
    margin = (cuts[middle - 1] + cuts[middle]) / 2
    assert np.min(np.abs(cuts - margin)) > 1e-3
    return margin


def _run(loss, options, h, v, offsets, candidates, lr, lo=0):
    """The kernel's step on the block (rows lo.. of a padded hidden matrix): (loss, C,
    hidden self, row self, the logits buffer after the step)."""
    m, width = len(h), len(v)
    hidden = np.zeros((lo + m, padded(DIM)), dtype=np.float32)
    rows = np.zeros((width, padded(DIM)), dtype=np.float32)
    hidden[lo:, :DIM], rows[:, :DIM] = h, v
    logits = np.zeros(m * width + 8, dtype=np.float32)
    logits[: m * width] = (h @ v.T - offsets[None, :]).ravel()
    terms = new_terms(np.zeros_like(logits), m, width)
    squared_norms(hidden, lo, lo + m, rows, width, terms)
    value = STEPS[loss](logits, offsets, candidates, m, width, np.float32(lr), options, terms)
    coefficients = terms.coefficients[: m * width].reshape(m, width)
    return value, coefficients, terms.hidden_self[:m], terms.row_self[:width], hidden, rows, terms


def _options(similarity, temperature, margin, mining):
    names = ("similarity", "temperature", "margin", "mining")
    return contrast(similarity, temperature, margin, mining), dict(
        zip(names, (similarity, np.float32(temperature), np.float32(margin), mining), strict=True)
    )


@pytest.mark.parametrize("loss, similarity, temperature, mining", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_steps_coefficients_are_the_finite_difference_gradient(
    loss, similarity, temperature, mining, seed
):
    h32, v32, offsets = _block(3, len(CANDIDATES), seed)
    h, v = h32.astype(np.float64), v32.astype(np.float64)
    margin = _margin(h, v, loss, similarity)
    options, named = _options(similarity, temperature, margin, mining)
    lr = 0.25
    value, C, hidden_self, row_self, *_ = _run(loss, options, h32, v32, offsets, CANDIDATES, lr)

    def reference(h_, v_):
        return contrast_block(h_, v_, CANDIDATES, offsets.astype(np.float64), loss, named)[0]

    dh, dv = gradients(-C / lr, -hidden_self / lr, -row_self / lr, h, v)
    want_h = numeric_gradient(lambda x: reference(x, v), h)
    want_v = numeric_gradient(lambda x: reference(h, x), v)
    scale = max(1.0, np.abs(want_h).max(), np.abs(want_v).max())
    np.testing.assert_allclose(dh, want_h, atol=2e-5 * scale)
    np.testing.assert_allclose(dv, want_v, atol=2e-5 * scale)
    assert value == pytest.approx(reference(h, v), rel=1e-5, abs=1e-6)
    assert np.abs(want_v).max() > 0.05  # the block is not trivially flat
    if loss == "triplet" and mining == "all":  # some triplets violate, some do not
        noise = C[:, 1:][:, CANDIDATES[1:] != CANDIDATES[0]]
        assert (noise == 0).any() and (noise != 0).any()
    if loss != "infonce":  # the draw equal to the positive is left out
        assert np.all(C[:, 2] == 0)


@pytest.mark.parametrize("loss, similarity, temperature, mining", CASES)
def test_the_step_equals_the_numpy_reference_block(loss, similarity, temperature, mining):
    """Loss, coefficients and self coefficients, to float32 rounding; the rows start at
    lo = 2 of the hidden matrix (the block's rows are indexed from lo)."""
    h32, v32, offsets = _block(4, len(CANDIDATES), seed=7, scale=0.3)
    h, v = h32.astype(np.float64), v32.astype(np.float64)
    options, named = _options(similarity, temperature, _margin(h, v, loss, similarity), mining)
    lr = np.float32(0.05)
    value, C, hidden_self, row_self, *_ = _run(loss, options, h32, v32, offsets, CANDIDATES, lr, 2)
    want, a, c, e = contrast_block(h, v, CANDIDATES, offsets.astype(np.float64), loss, named)
    assert value == pytest.approx(want, rel=1e-5, abs=1e-6)
    tolerance = 1e-5 * max(1.0, np.abs(a).max(), np.abs(c).max(), np.abs(e).max())
    np.testing.assert_allclose(C, -lr * a, atol=lr * tolerance)
    np.testing.assert_allclose(hidden_self, -lr * c, atol=lr * tolerance)
    np.testing.assert_allclose(row_self, -lr * e, atol=lr * tolerance)
    if similarity == "dot" and loss != "contrastive":
        assert not hidden_self.any() and not row_self.any()


@pytest.mark.parametrize("seed", [0, 3])
def test_infonce_with_the_dot_product_at_temperature_one_is_the_row_softmax(seed):
    h, v, offsets = _block(3, len(CANDIDATES), seed, scale=1.0)
    options, _ = _options("dot", 1.0, 1.0, "all")
    lr = np.float32(0.025)
    value, C, hidden_self, row_self, *_ = _run("infonce", options, h, v, offsets, CANDIDATES, lr)
    logits = (h @ v.T - offsets[None, :]).ravel()
    coefficients = np.zeros_like(logits)
    want = softmax_coefficients(logits, 3, len(CANDIDATES), lr, coefficients)
    assert value == want
    assert np.array_equal(C.ravel(), coefficients)
    assert not hidden_self.any() and not row_self.any()


def _mine(similarities, mining, candidates=None, margin=0.5):
    """The triplet step on one hidden row h = [1] against one-dimensional candidates
    v_b = [s_b] (dot: s = v_b): (loss, coefficients / lr)."""
    s = np.asarray(similarities, dtype=np.float32)
    candidates = np.arange(len(s)) if candidates is None else np.asarray(candidates)
    options = contrast("dot", 1.0, margin, mining)
    hidden = np.zeros((1, padded(1)), dtype=np.float32)
    rows = np.zeros((len(s), padded(1)), dtype=np.float32)
    hidden[0, 0], rows[:, 0] = 1.0, s
    logits = np.concatenate([s, np.zeros(8, np.float32)])
    terms = new_terms(np.zeros_like(logits), 1, len(s))
    squared_norms(hidden, 0, 1, rows, len(s), terms)
    lr = np.float32(0.5)
    value = triplet_step(logits, np.zeros_like(s), candidates.astype(np.int64), 1, len(s), lr,
                         options, terms)  # fmt: skip
    return value, terms.coefficients[: len(s)] / lr


# s_p = 1, margin 0.5: 0.2 is easy (1 ≥ 0.2 + 0.5), 0.7 and 0.6 semi-hard (s_n < s_p < s_n + M),
# 1.3 and 1.1 hard (s_n ≥ s_p)
@pytest.mark.parametrize(
    "similarities, mining, chosen",
    [
        ([1.0, 0.2, 0.7, 1.3, 0.6], "all", [2, 3, 4]),
        ([1.0, 0.2, 0.7, 1.3, 0.6], "semi-hard", [2, 4]),
        ([1.0, 0.2, 0.7, 1.3, 0.6], "hard", [3]),
        ([1.0, 0.2, 1.3, 1.1], "all", [2, 3]),
        ([1.0, 0.2, 1.3, 1.1], "semi-hard", [2]),  # none semi-hard: the hardest
        ([1.0, 0.2, 1.3, 1.1], "hard", [2]),
        ([1.0, 0.2, 0.1], "all", []),  # easy triplets contribute nothing
        ([1.0, 0.2, 0.1], "semi-hard", []),  # (the hardest is easy too)
        ([1.0, 0.2, 0.1], "hard", []),
    ],
)
def test_triplets_are_mined_as_facenet_mines_them(similarities, mining, chosen):
    value, coefficients = _mine(similarities, mining)
    s = np.float32(similarities)
    want = sum(0.5 - s[0] + s[b] for b in chosen)
    assert value == pytest.approx(want, abs=1e-6)
    expected = np.zeros(len(s), dtype=np.float32)
    expected[chosen] = -1.0
    expected[0] = len(chosen)
    np.testing.assert_array_equal(coefficients, expected)
    reference = contrast_block(
        np.ones((1, 1)), s[:, None].astype(np.float64), np.arange(len(s)), np.zeros(len(s)),
        "triplet", {"similarity": "dot", "margin": 0.5, "mining": mining},
    )  # fmt: skip
    np.testing.assert_allclose(-reference[1][0], expected)


def test_a_triplet_draw_equal_to_the_positive_is_left_out():
    """The draw with s = 1.3 is the positive word itself (word2vec's rule): hard mining
    takes the next hardest, semi-hard falls back to nothing else."""
    _, coefficients = _mine([1.0, 1.3, 1.1, 0.2], "hard", candidates=[4, 4, 1, 2])
    np.testing.assert_array_equal(coefficients, [1, 0, -1, 0])
    _, coefficients = _mine([1.0, 1.3, 0.7], "all", candidates=[4, 4, 1])
    np.testing.assert_array_equal(coefficients, [1, 0, -1])


def test_contrastive_pulls_the_positive_and_pushes_noise_inside_the_margin_only():
    """h = 0, v = [1 | 3, 0.5], M = 2: ½·1² for the positive, nothing for the draw at
    distance 3, ½·1.5² for the draw at 0.5 (pushed away: its coefficient moves v from h)."""
    options = contrast(margin=2.0)
    hidden = np.zeros((1, padded(1)), dtype=np.float32)
    rows = np.zeros((3, padded(1)), dtype=np.float32)
    rows[:, 0] = [1.0, 3.0, 0.5]
    logits = np.zeros(3 + 8, dtype=np.float32)
    terms = new_terms(np.zeros_like(logits), 1, 3)
    squared_norms(hidden, 0, 1, rows, 3, terms)
    value = drlim_step(logits, np.zeros(3, np.float32), np.arange(3), 1, 3, np.float32(1.0),
                       options, terms)  # fmt: skip
    assert value == pytest.approx(0.5 + 0.5 * 1.5**2)
    # v_b moves by row_self_b·v_b (h = 0): the positive towards h, the near draw away
    assert terms.row_self[0] < 0 and terms.row_self[1] == 0 and terms.row_self[2] > 0


@pytest.mark.parametrize("loss, similarity, temperature, mining", CASES[::3])
def test_the_self_coefficients_complete_the_update(loss, similarity, temperature, mining):
    """deltas = C V (block.py's update) + the hidden self terms; output rows += Cᵀ H + the
    candidates' self terms: −lr × the reference gradient."""
    h32, v32, offsets = _block(3, len(CANDIDATES), seed=11, scale=0.3)
    h, v = h32.astype(np.float64), v32.astype(np.float64)
    options, named = _options(similarity, temperature, _margin(h, v, loss, similarity), mining)
    lr = np.float32(0.01)
    lo = 1
    *_, hidden, rows, terms = _run(loss, options, h32, v32, offsets, CANDIDATES, lr, lo)
    C = terms.coefficients[: len(h) * len(v)].reshape(len(h), len(v))
    deltas = np.zeros_like(hidden)
    deltas[lo:] = C @ rows
    add_hidden_self(hidden, lo, lo + len(h), terms, deltas)
    output = np.zeros((10, DIM), dtype=np.float32)
    unique = np.unique(CANDIDATES)
    output[unique] = np.random.default_rng(2).normal(size=(len(unique), DIM))
    before = output.copy()
    np.add.at(output, CANDIDATES, (C.T @ hidden[lo:, :DIM]))
    add_row_self(rows, CANDIDATES, len(v), terms, output)
    _, a, c, e = contrast_block(h, v, CANDIDATES, offsets.astype(np.float64), loss, named)
    dh, dv = gradients(a, c, e, h, v)
    np.testing.assert_allclose(deltas[lo:, :DIM], -lr * dh, atol=1e-6)
    assert not deltas[:lo].any() and not deltas[:, DIM:].any()
    change = np.zeros_like(before, dtype=np.float64)
    np.add.at(change, CANDIDATES, -lr * dv)
    np.testing.assert_allclose(output - before, change, atol=1e-6)


@pytest.mark.parametrize("loss, similarity", [("triplet", "cosine"), ("infonce", "cosine"),
                                              ("contrastive", "euclidean")])  # fmt: skip
def test_a_zero_vector_or_a_zero_distance_gives_finite_coefficients(loss, similarity):
    """A zero hidden row (cosine) and a noise row equal to the hidden one (DrLIM's d = 0):
    the guarded norms and distance keep every coefficient finite, as the reference's."""
    h, v, offsets = _block(2, 4, seed=5)
    h[0] = 0.0
    v[3] = h[1]
    candidates = np.arange(4)
    options, named = _options(similarity, 0.5, 1.5, "all")
    value, C, hidden_self, row_self, *_ = _run(loss, options, h, v, offsets, candidates, 0.1)
    assert np.isfinite(value) and np.isfinite(C).all()
    assert np.isfinite(hidden_self).all() and np.isfinite(row_self).all()
    want, a, c, e = contrast_block(h.astype(np.float64), v.astype(np.float64), candidates,
                                   offsets.astype(np.float64), loss, named)  # fmt: skip
    assert value == pytest.approx(want, rel=1e-5)
    np.testing.assert_allclose(C, -0.1 * a, rtol=1e-3, atol=1e-4 * max(1.0, np.abs(a).max()))
