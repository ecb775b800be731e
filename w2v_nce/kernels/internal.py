"""Kernels that only other kernels call: compiled without a Python entry point; and
:func:`read_only`, the one kind of array the kernels are compiled for where a caller may
hold either kind.

Numba gives every compiled function a CPython wrapper, which unboxes each argument from
a Python object (for a function taking the scratch and the tables, some 30 arrays: about
1,000 LLVM instructions), and a C wrapper; both are optimised and code-generated in a
first run's compile and never used by a function that only the block kernels call.
Without them (the micro-kernels, the output steps, refill_noise, bound_steps, mask_terms,
contrast_block, flush_private) a first compile of skip-gram neg took 5.6-5.9 s against
6.3-6.6 s, of nce 6.4 s against 7.1-7.2 s (alternating, 3 and 2 runs).

A Python call of such a function would jump into nothing (Numba then crashes the
interpreter): :class:`KernelOnly` refuses it with a TypeError instead. Tests call these
functions through a jitted function (tests/jitted.py).
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core.registry import CPUDispatcher


class KernelOnly(CPUDispatcher):
    """A dispatcher whose function has no Python entry point: callable from compiled
    code only."""

    def __call__(self, *args, **kwargs):
        raise TypeError(
            f"{self.py_func.__qualname__} is called only from compiled kernels (it has no "
            "Python entry point); from Python, call it through a jitted function"
        )


def kernel_only(cache=True, **options):
    """``numba.njit(cache=cache, **options)`` without the CPython and C wrappers, as a
    :class:`KernelOnly`."""

    def compiled(function):
        dispatcher = numba.njit(
            cache=cache, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options
        )(function)
        dispatcher.__class__ = KernelOnly
        return dispatcher

    return compiled


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` as the kernels are compiled for it: read-only (a view of it when it is
    writable), as the encoded corpus's map and the corpus's bytes are. Numba types a
    writable array apart from a read-only one, so a writable block (a Dask shard, a
    test's array) compiled the whole block kernel a second time, and a word table's
    arena (writable) the word insertion."""
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array
