"""The synchronisation's row loops give NumPy's bits (kernels/rowsync.py)."""

import numpy as np

from w2v_nce.kernels.rowsync import add_rows, row_changes


def test_row_changes_and_add_rows_are_numpy_s():
    rng = np.random.default_rng(3)
    before = rng.standard_normal((50, 7), dtype=np.float32)
    after = before.copy()
    touched = np.array([0, 4, 5, 31, 49])
    after[touched] += rng.standard_normal((touched.size, 7), dtype=np.float32) * 1e-4
    after[9, 2] = np.nan  # a NaN differs from the number it replaced
    before[12, 0] = after[12, 0] = np.nan  # and from itself: NumPy's != says so too
    rows, delta = row_changes(before, after)
    expected = np.flatnonzero((before != after).any(axis=1))
    assert rows.dtype == np.int32 and delta.dtype == np.float32
    assert np.array_equal(rows, expected)
    assert np.array_equal(delta, after[expected] - before[expected], equal_nan=True)

    matrix, reference = before.copy(), before.copy()
    rows.flags.writeable = delta.flags.writeable = False  # as an update from another worker
    add_rows(matrix, rows, delta)
    reference[expected] += after[expected] - before[expected]
    assert np.array_equal(matrix, reference, equal_nan=True)


def test_no_row_changed():
    matrix = np.ones((4, 3), dtype=np.float32)
    rows, delta = row_changes(matrix, matrix.copy())
    assert rows.size == 0 and delta.shape == (0, 3)
    add_rows(matrix, rows, delta)
    assert (matrix == 1).all()
