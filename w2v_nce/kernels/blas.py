"""BLAS's sgemm, callable from jitted code without the GIL and with beta = 1.

The full softmax's threads each own a tile of the vocabulary and do three
products on it per batch (:mod:`.softmax`). From Python, numpy's matmul offers
no C ← C + A·B (its temporary and extra pass cost a quarter of that product) and
scipy's ``blas.sgemm`` wrapper keeps the GIL, so two threads ran one at a time.
So the tile's work is one jitted call that calls sgemm itself: scipy's Cython
BLAS exports the Fortran routine's address, which is registered with LLVM under
a name of ours at import (``llvmlite.binding.add_symbol``), and the kernels call
that name (``numba.types.ExternalFunction``) -- a named symbol, resolved when
the code is loaded, so the compiled kernels stay in Numba's on-disk cache (a raw
address would not).

Arguments follow the Fortran interface: every one by address, matrices in
column-major order. A C-ordered (rows × cols) array is, read column-major, its
transpose (cols × rows) with leading dimension cols.
"""

import ctypes

import numba
import numpy as np
from llvmlite import binding
from numba import types
from scipy.linalg import cython_blas

NO, TRANSPOSE = ord("N"), ord("T")
SYMBOL = "w2v_nce_sgemm"


def _address(name: str) -> int:
    """The address of scipy.linalg.cython_blas's ``name`` (from its PyCapsule)."""
    capsule = cython_blas.__pyx_capi__[name]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule))


binding.add_symbol(SYMBOL, _address("sgemm"))
# void sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): all pointers
_sgemm = types.ExternalFunction(SYMBOL, types.void(*([types.intp] * 13)))


@numba.njit(nogil=True, cache=True)
def sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """C ← alpha · op(A) · op(B) + beta · C, column-major (op: ``NO`` or ``TRANSPOSE``).

    C (m × n), op(A) (m × k), op(B) (k × n); ``a``, ``b``, ``c`` are contiguous
    arrays holding them with leading dimensions lda, ldb, ldc. With beta = 0, C
    is not read.
    """
    flags = np.array([transa, transb], dtype=np.uint8)
    sizes = np.array([m, n, k, lda, ldb, ldc], dtype=np.int32)
    scalars = np.array([alpha, beta], dtype=np.float32)
    f, s, x = flags.ctypes.data, sizes.ctypes.data, scalars.ctypes.data
    _sgemm(
        f, f + 1, s, s + 4, s + 8, x, a.ctypes.data, s + 12, b.ctypes.data, s + 16, x + 4,
        c.ctypes.data, s + 20,
    )  # fmt: skip
