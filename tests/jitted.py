"""Calling, from a test, a kernel that only other kernels call.

Such kernels have no Python entry point (w2v_nce.kernels.internal.kernel_only): a
Python call raises TypeError. :func:`call` is a jitted function that calls them.
"""

import numba


@numba.njit
def call(kernel, *args):
    """``kernel(*args)``, from compiled code."""
    return kernel(*args)
