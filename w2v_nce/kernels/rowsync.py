"""Data-parallel synchronisation's row work (training/distributed.py), one pass each.

A round's update is the rows a worker changed and by how much; every worker adds
every update to its mirror of the model. NumPy does each in several passes with
model-sized temporaries (``(a != b).any(axis=1)``, a gather of each side, a
subtraction; a gather, an addition and a scatter); these loops read each row once.

The changes travel as bfloat16: a float32's upper 16 bits, rounded to nearest (ties
to even). Half the bytes of float32 for every update sent, received and read while
combining; the exponent range is float32's, so no change overflows or vanishes, and
each is off by at most 2⁻⁸ of itself — a change of a round is itself a small step,
so the model moves by the same amount to within 0.4% (docs/distributed.md measures
the quality). Every worker adds the same rounded changes, so every mirror is still the
same model bit for bit. The float32 arithmetic is NumPy's (no fastmath).
"""

import numba
import numpy as np

NAN_BITS = np.uint32(0x7F800000)  # the exponent of a NaN or an infinity: all ones


@numba.njit(nogil=True, cache=True)
def to_bfloat16(bits):
    """The bfloat16 nearest (ties to even) the float32 of IEEE ``bits`` (uint32), as
    its 16 bits; a NaN stays a NaN (rounding could carry it into the infinity's bits)."""
    if bits & NAN_BITS == NAN_BITS and bits & 0x7FFFFF != 0:
        return np.uint16((bits >> 16) | 0x40)
    return np.uint16((np.int64(bits) + 0x7FFF + ((bits >> 16) & 1)) >> 16)


@numba.njit(nogil=True, cache=True)
def row_changes(before, after):
    """The rows of ``after`` that differ from ``before`` (int32, ascending) and
    ``after - before`` on them as bfloat16 (uint16 rows × dim)."""
    n, dim = before.shape
    rows = np.empty(n, dtype=np.int32)
    count = 0
    for i in range(n):
        for j in range(dim):
            if before[i, j] != after[i, j]:
                rows[count] = i
                count += 1
                break
    delta = np.empty((count, dim), dtype=np.uint16)
    change = np.empty(dim, dtype=np.float32)
    bits = change.view(np.uint32)
    for k in range(count):
        i = rows[k]
        for j in range(dim):
            change[j] = after[i, j] - before[i, j]
        for j in range(dim):
            delta[k, j] = to_bfloat16(bits[j])
    return rows[:count].copy(), delta


@numba.njit(nogil=True, cache=True)
def add_rows(matrix, rows, delta):
    """``matrix[rows] += delta`` for distinct ``rows``, ``delta`` bfloat16 (uint16)."""
    dim = matrix.shape[1]
    bits = np.empty(dim, dtype=np.uint32)
    change = bits.view(np.float32)
    for k in range(rows.shape[0]):
        i = rows[k]
        for j in range(dim):
            bits[j] = np.uint32(delta[k, j]) << 16
        for j in range(dim):
            matrix[i, j] += change[j]
