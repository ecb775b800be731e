"""The synchronisation's row loops (kernels/rowsync.py) against NumPy: the rows that
changed, their changes rounded to bfloat16 (nearest, ties to even), added back."""

import numpy as np

from w2v_nce.kernels.rowsync import add_rows, row_changes


def bfloat16_reference(x: np.ndarray) -> np.ndarray:
    """The bfloat16 nearest each float32 (ties to even), as float32: of the two
    neighbours with 16 low bits zero, the nearer in float64; on a tie, the one whose
    bit 16 is 0. Past the largest bfloat16 the upper neighbour is 2¹²⁸ (infinity)."""
    x = x.astype(np.float32)
    down_bits = x.view(np.uint32) & np.uint32(0xFFFF0000)
    up_bits = down_bits + np.uint32(0x10000)
    with np.errstate(invalid="ignore"):  # NaN and infinite x: not used below
        down = down_bits.view(np.float32).astype(np.float64)
        up = up_bits.view(np.float32).astype(np.float64)
        up = np.where(np.isinf(up) & np.isfinite(x), np.sign(up) * 2.0**128, up)
        below, above = np.abs(x - down), np.abs(up - x)
    even_down = (down_bits >> 16) % 2 == 0
    pick_down = (below < above) | ((below == above) & even_down)
    rounded = np.where(pick_down, down_bits, up_bits).view(np.float32)
    return np.where(np.isfinite(x), rounded, x).astype(np.float32)


def as_float32(delta: np.ndarray) -> np.ndarray:
    return (delta.astype(np.uint32) << 16).view(np.float32)


def test_row_changes_and_add_rows_against_numpy():
    rng = np.random.default_rng(3)
    before = rng.standard_normal((50, 7), dtype=np.float32)
    after = before.copy()
    touched = np.array([0, 4, 5, 31, 49])
    after[touched] += rng.standard_normal((touched.size, 7), dtype=np.float32) * 1e-4
    after[9, 2] = np.nan  # a NaN differs from the number it replaced
    before[12, 0] = after[12, 0] = np.nan  # and from itself: NumPy's != says so too
    rows, delta = row_changes(before, after)
    expected = np.flatnonzero((before != after).any(axis=1))
    assert rows.dtype == np.int32 and delta.dtype == np.uint16
    assert np.array_equal(rows, expected)
    exact = after[expected] - before[expected]
    assert np.array_equal(as_float32(delta), bfloat16_reference(exact), equal_nan=True)
    finite = np.isfinite(exact) & (exact != 0)
    error = np.abs(as_float32(delta)[finite] - exact[finite]) / np.abs(exact[finite])
    assert error.max() <= 2.0**-8  # half a unit in the last of bfloat16's 8 significant bits
    assert error.max() > 0  # and the rounding happened

    matrix, reference = before.copy(), before.copy()
    rows.flags.writeable = delta.flags.writeable = False  # as an update from another worker
    add_rows(matrix, rows, delta)
    reference[expected] += bfloat16_reference(exact)
    assert np.array_equal(matrix, reference, equal_nan=True)


def test_rounding_ties_to_even_and_keeps_special_values():
    bits = np.array(
        [
            0x3F808000,  # halfway, low bf16 bit 0: down to 0x3F80
            0x3F818000,  # halfway, low bf16 bit 1: up to 0x3F82
            0x3F808001,  # just above halfway: up
            0x7F7FFFFF,  # the largest float32 rounds to infinity, as IEEE rounding does
            0x7F800000,  # infinity
            0xFF800000,  # minus infinity
            0x7FFFFFFF,  # a NaN whose rounding would carry into the sign bit
            0x00000001,  # the smallest subnormal: to zero
        ],
        dtype=np.uint32,
    )
    values = bits.view(np.float32)
    before = np.zeros((1, values.size), np.float32)
    rows, delta = row_changes(before, values[None, :])
    got = as_float32(delta[0])
    assert delta[0, :3].tolist() == [0x3F80, 0x3F82, 0x3F81]
    assert np.isposinf(got[3]) and np.isposinf(got[4]) and np.isneginf(got[5])
    assert np.isnan(got[6]) and got[7] == 0
    assert np.array_equal(got, bfloat16_reference(values), equal_nan=True)


def test_no_row_changed():
    matrix = np.ones((4, 3), dtype=np.float32)
    rows, delta = row_changes(matrix, matrix.copy())
    assert rows.size == 0 and delta.shape == (0, 3)
    add_rows(matrix, rows, delta)
    assert (matrix == 1).all()
