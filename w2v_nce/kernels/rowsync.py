"""Data-parallel synchronisation's row work (training/distributed.py), one pass each.

A round's update is the rows a worker changed and by how much; every worker adds
every update to its mirror of the model. NumPy does each in several passes with
model-sized temporaries (``(a != b).any(axis=1)``, a gather of each side, a
subtraction; a gather, an addition and a scatter); these loops read each row once.
The float32 arithmetic is NumPy's (no fastmath): the same bits as
``after[rows] - before[rows]`` and ``matrix[rows] += delta``.
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True)
def row_changes(before, after):
    """The rows of ``after`` that differ from ``before`` (int32, ascending) and
    ``after - before`` on them (float32 rows × dim)."""
    n, dim = before.shape
    rows = np.empty(n, dtype=np.int32)
    count = 0
    for i in range(n):
        for j in range(dim):
            if before[i, j] != after[i, j]:
                rows[count] = i
                count += 1
                break
    delta = np.empty((count, dim), dtype=np.float32)
    for k in range(count):
        i = rows[k]
        for j in range(dim):
            delta[k, j] = after[i, j] - before[i, j]
    return rows[:count].copy(), delta


@numba.njit(nogil=True, cache=True)
def add_rows(matrix, rows, delta):
    """``matrix[rows] += delta`` for distinct ``rows``."""
    dim = matrix.shape[1]
    for k in range(rows.shape[0]):
        i = rows[k]
        for j in range(dim):
            matrix[i, j] += delta[k, j]
