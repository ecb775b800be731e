"""The explicit SIMD vectors of kernels.simd against numpy, and the row loops built on
them (kernels.vecops) at every length a live row or a padded scratch row can have."""

from typing import NamedTuple

import numba
import numpy as np
import pytest

# Deliberately the list vecops imports: each vector operation its loops are built on, tested here.
from w2v_nce.kernels.simd import (
    WIDTH,
    vfma,
    vload,
    vload_part,
    vmul,
    vsplat,
    vstore,
    vstore_part,
    vsum,
    vsum4,
    vzero,
    wide_vectors,
)

# Deliberately the list block.py imports (prefetch_row aside, a hint with no result): each loop
# the training kernel calls, tested here.
from w2v_nce.kernels.vecops import (
    Inputs,
    accumulate,
    accumulate_pair,
    add_row,
    copy_row,
    dots,
    dots_pair,
    padded,
    scale_row,
    untracked,
)


@numba.njit
def lanes(matrix, row, column, alpha):
    """(load, alpha · load + load, the sum, a part of 5 lanes stored, zeros, alpha splat)."""
    wide_vectors()
    x = vload(matrix, row, column)
    out = np.zeros((6, WIDTH), dtype=np.float32)
    vstore(out, 0, 0, x)
    vstore(out, 1, 0, vfma(vsplat(alpha), x, x))
    vstore(out, 2, 0, vmul(x, x))
    vstore(out, 3, 0, vzero())
    out[4, :] = -1
    vstore_part(out, 4, 0, 5, vload_part(matrix, row, column, 5))
    vstore(out, 5, 0, vsplat(alpha))
    return out, vsum(x)


def test_lanewise_operations_are_numpys():
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((3, 40)).astype(np.float32)
    out, total = lanes(matrix, 1, 7, np.float32(0.5))
    x = matrix[1, 7 : 7 + WIDTH]
    assert np.array_equal(out[0], x)
    np.testing.assert_allclose(out[1], 0.5 * x + x, rtol=1e-6)
    np.testing.assert_allclose(out[2], x * x, rtol=1e-6)
    assert not out[3].any()
    assert np.array_equal(out[4], np.r_[x[:5], -np.ones(WIDTH - 5, np.float32)])
    assert (out[5] == 0.5).all()
    assert total == pytest.approx(float(x.astype(np.float64).sum()), rel=1e-5)


@numba.njit
def four_sums(matrix):
    return vsum4(vload(matrix, 0, 0), vload(matrix, 1, 0), vload(matrix, 2, 0), vload(matrix, 3, 0))


def test_four_sums_at_once_are_the_row_sums_in_order():
    matrix = np.random.default_rng(2).standard_normal((4, WIDTH)).astype(np.float32)
    np.testing.assert_allclose(four_sums(matrix), matrix.sum(axis=1), rtol=1e-5, atol=1e-6)


@numba.njit
def part_store(matrix, row, column, count, value):
    vstore_part(matrix, row, column, count, vsplat(value))


@pytest.mark.parametrize("count", [0, 1, 4, 15, 16])
def test_a_part_store_writes_its_lanes_and_nothing_past_them(count):
    """A live row of the output matrix ends in a part vector: what lies past it (the next row,
    or the end of the array) must not be written."""
    matrix = np.zeros((2, 20), dtype=np.float32)
    part_store(matrix, 0, 4, count, np.float32(3))
    expected = np.zeros((2, 20), dtype=np.float32)
    expected[0, 4 : 4 + count] = 3
    assert np.array_equal(matrix, expected)


@numba.njit
def row_loops(source, target, coefficients, hidden, rows, offsets, length, o, p):
    """Every vecops loop once, on rows of ``length`` columns (target's width)."""
    wide_vectors()
    copy_row(source, 0, target, 0, length)
    add_row(np.float32(0.5), source, 1, target, 1, length)
    scale_row(np.float32(-2.0), target, 2, length)
    n = rows.shape[0]
    accumulate(Inputs(rows, 0, n, coefficients, 1), 0, target, 3, length)
    accumulate_pair(Inputs(hidden, 0, 3, coefficients, 3), 1, 2, target, o, p, length)
    scores = np.zeros(3 * n, dtype=np.float32)
    dots(hidden, 0, rows, n, offsets, scores, 0)
    dots_pair(hidden, 1, rows, n, offsets, scores, n)
    return scores


@pytest.mark.parametrize("length", [1, 15, 16, 17, 64, 100, 127, 128, 300])
@pytest.mark.parametrize("same", [False, True])
def test_the_row_loops_are_their_numpy_formulas_at_every_length(length, same):
    rng = np.random.default_rng(length)
    wide = padded(length)
    source = rng.standard_normal((2, length)).astype(np.float32)
    target = rng.standard_normal((7, length)).astype(np.float32)
    before = target.copy()
    n = 7  # candidates: four, then the last three one at a time
    rows = np.zeros((n, wide), dtype=np.float32)
    rows[:, :length] = rng.standard_normal((n, length))
    hidden = np.zeros((3, wide), dtype=np.float32)
    hidden[:, :length] = rng.standard_normal((3, length))
    coefficients = rng.standard_normal(16).astype(np.float32)
    offsets = rng.standard_normal(n).astype(np.float32)
    o, p = 4, 4 if same else 5
    scores = row_loops(source, target, coefficients, hidden, rows, offsets, length, o, p)

    expected = before.astype(np.float64)
    expected[0] = source[0]
    expected[1] += 0.5 * source[1]
    expected[2] *= -2
    expected[3] += coefficients[:n] @ rows[:, :length]
    h = hidden[:, :length].astype(np.float64)
    expected[o] += coefficients[1:10:3] @ h
    expected[p] += coefficients[2:11:3] @ h
    tolerance = dict(rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(target, expected, **tolerance)
    want = h @ rows[:, :length].T.astype(np.float64) - offsets
    np.testing.assert_allclose(scores, want.ravel(), **tolerance)


class Trio(NamedTuple):
    first: np.ndarray
    second: np.ndarray
    third: np.ndarray


@numba.njit
def mark_through_untracked(bundle):
    copy = untracked(bundle)
    copy.first[0], copy.second[0], copy.third[0] = 1.0, 2.0, 3.0
    return copy.first.size + 10 * copy.second.size + 100 * copy.third.size


def test_an_untracked_bundle_keeps_every_field_in_its_place():
    """The untracked copy of a NamedTuple of arrays views the same arrays, field by
    field: writes through it land in the field of the same name (arrays of one type,
    so a shifted field would still compile)."""
    trio = Trio(np.zeros(1), np.zeros(2), np.zeros(3))
    assert mark_through_untracked(trio) == 321
    assert [list(field) for field in trio] == [[1.0], [2.0, 0.0], [3.0, 0.0, 0.0]]
