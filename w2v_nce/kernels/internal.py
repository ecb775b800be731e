"""Kernels that only other kernels call: compiled without a Python entry point.

Numba gives every compiled function a CPython wrapper, which unboxes each argument from
a Python object (for a function taking the scratch and the tables, some 30 arrays: about
1,000 LLVM instructions), and a C wrapper; both are optimised and code-generated in a
first run's compile and never used by a function that only the block kernels call.
Without them a first compile of skip-gram neg took about 0.5 s less (of 7.2).

A Python call of such a function would jump into nothing (Numba then crashes the
interpreter): :class:`KernelOnly` refuses it with a TypeError instead. Tests call these
functions through a jitted function (tests/jitted.py).
"""

from __future__ import annotations

import numba
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
