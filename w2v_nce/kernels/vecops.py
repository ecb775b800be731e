"""The vector loops of the candidate block, written so that LLVM vectorises them.

The candidate block of a loss (:mod:`.block`) is a small matrix product: m hidden
rows against w candidate rows, S = H Vᵀ, then two rank updates, D = C V and
V += Cᵀ H. The loops here are its register-blocked pieces: every pass over a row
of length dim does several multiply-adds per element loaded, as a GEMM
micro-kernel does, where a loop of dot products and axpys loads (and, for the
axpys, stores) every element once per multiply-add:

* :func:`dots` and :func:`dots_pair`: one or two rows of scores, four
  candidates per pass (four or eight accumulators);
* :func:`accumulate` and :func:`accumulate_pair`: one or two output rows plus a
  combination of input rows, four inputs per pass.

Rows are addressed as (matrix, row index), never as row views: a view of an
array is a new reference, and Numba's reference counts are atomic operations on
the array's shared header.

The scratch rows are :func:`padded` to a whole number of SIMD registers, with
zeros beyond dim, so the vector loops over them have no scalar remainder.
``fastmath`` lets LLVM reassociate the sums into SIMD lanes; the result is still
deterministic for a given build, so reproducibility is unaffected. Everything is
float32: accumulators start from ``np.float32(0)`` so nothing is promoted.

Three small LLVM intrinsics complete the set: :func:`exp_nonpositive`'s bit cast
(a float32 exp that vectorises, where ``math.exp`` is a libm call per element),
:func:`prefetch_row` and :func:`untracked`.
"""

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 16  # float32 lanes of a 512-bit register: what scratch rows are padded to
ZERO = np.float32(0.0)
ONE = np.float32(1.0)


@numba.njit(cache=True)
def padded(dim):
    """``dim`` rounded up to a whole number of :data:`LANES`."""
    return -(-dim // LANES) * LANES


@numba.njit(inline="always", fastmath=True, cache=True)
def copy_row(source, i, target, j, n):
    """target[j, :n] = source[i, :n] (a slice assignment compiles to a scalar loop)."""
    for t in range(n):
        target[j, t] = source[i, t]


@numba.njit(inline="always", fastmath=True, cache=True)
def add_row(alpha, source, i, target, j, n):
    """target[j, :n] += alpha · source[i, :n]"""
    for t in range(n):
        target[j, t] += alpha * source[i, t]


@numba.njit(inline="always", fastmath=True, cache=True)
def scale_row(alpha, target, j, n):
    for t in range(n):
        target[j, t] *= alpha


@numba.njit(inline="always", fastmath=True, cache=True)
def dots(x, a, rows, n, offsets, out, o):
    """out[o + b] = x[a] · rows[b] − offsets[b] for b < n (over x's rows); four b per pass."""
    width = x.shape[1]
    b = 0
    while b + 4 <= n:
        s0 = s1 = s2 = s3 = ZERO
        for t in range(width):
            xt = x[a, t]
            s0 += xt * rows[b, t]
            s1 += xt * rows[b + 1, t]
            s2 += xt * rows[b + 2, t]
            s3 += xt * rows[b + 3, t]
        out[o + b], out[o + b + 1] = s0 - offsets[b], s1 - offsets[b + 1]
        out[o + b + 2], out[o + b + 3] = s2 - offsets[b + 2], s3 - offsets[b + 3]
        b += 4
    while b < n:
        s0 = ZERO
        for t in range(width):
            s0 += x[a, t] * rows[b, t]
        out[o + b] = s0 - offsets[b]
        b += 1


@numba.njit(inline="always", fastmath=True, cache=True)
def dots_pair(x, a, rows, n, offsets, out, o):
    """:func:`dots` of rows a, a + 1 into out[o:o + n], out[o + n:o + 2n]: each candidate
    element loaded feeds both."""
    width = x.shape[1]
    c, p = a + 1, o + n
    b = 0
    while b + 4 <= n:
        s0 = s1 = s2 = s3 = u0 = u1 = u2 = u3 = ZERO
        for t in range(width):
            xt, yt = x[a, t], x[c, t]
            r0, r1, r2, r3 = rows[b, t], rows[b + 1, t], rows[b + 2, t], rows[b + 3, t]
            s0 += xt * r0
            s1 += xt * r1
            s2 += xt * r2
            s3 += xt * r3
            u0 += yt * r0
            u1 += yt * r1
            u2 += yt * r2
            u3 += yt * r3
        f0, f1, f2, f3 = offsets[b], offsets[b + 1], offsets[b + 2], offsets[b + 3]
        out[o + b], out[o + b + 1], out[o + b + 2], out[o + b + 3] = (
            s0 - f0,
            s1 - f1,
            s2 - f2,
            s3 - f3,
        )
        out[p + b], out[p + b + 1], out[p + b + 2], out[p + b + 3] = (
            u0 - f0,
            u1 - f1,
            u2 - f2,
            u3 - f3,
        )
        b += 4
    while b < n:
        s0 = u0 = ZERO
        for t in range(width):
            r0 = rows[b, t]
            s0 += x[a, t] * r0
            u0 += x[c, t] * r0
        out[o + b], out[p + b] = s0 - offsets[b], u0 - offsets[b]
        b += 1


@numba.njit(inline="always", fastmath=True, cache=True)
def accumulate(coefficients, c, rows, r, n, out, o, length):
    """out[o, :length] += Σ_{j<n} coefficients[c + j] · rows[r + j, :length].

    Four inputs per pass over the output row, then one of two and one of one.
    """
    j = 0
    while j + 4 <= n:
        k0, k1 = coefficients[c + j], coefficients[c + j + 1]
        k2, k3 = coefficients[c + j + 2], coefficients[c + j + 3]
        i = r + j
        for t in range(length):
            out[o, t] += (k0 * rows[i, t] + k1 * rows[i + 1, t]) + (
                k2 * rows[i + 2, t] + k3 * rows[i + 3, t]
            )
        j += 4
    if j + 2 <= n:
        k0, k1, i = coefficients[c + j], coefficients[c + j + 1], r + j
        for t in range(length):
            out[o, t] += k0 * rows[i, t] + k1 * rows[i + 1, t]
        j += 2
    if j < n:
        k0, i = coefficients[c + j], r + j
        for t in range(length):
            out[o, t] += k0 * rows[i, t]


@numba.njit(inline="always", fastmath=True, cache=True)
def accumulate_pair(coefficients, c, stride, rows, r, n, out, o, p, length):
    """:func:`accumulate` for output rows o and p (coefficients from c and c + stride).

    Each input element loaded feeds both outputs. Written as two updates per
    element, so it is right when o == p too (LLVM's overlap check then takes the
    scalar loop, which applies both).
    """
    d = c + stride
    j = 0
    while j + 4 <= n:
        k0, k1, k2, k3 = (
            coefficients[c + j],
            coefficients[c + j + 1],
            coefficients[c + j + 2],
            coefficients[c + j + 3],
        )
        m0, m1, m2, m3 = (
            coefficients[d + j],
            coefficients[d + j + 1],
            coefficients[d + j + 2],
            coefficients[d + j + 3],
        )
        i = r + j
        for t in range(length):
            x0, x1, x2, x3 = rows[i, t], rows[i + 1, t], rows[i + 2, t], rows[i + 3, t]
            out[o, t] += (k0 * x0 + k1 * x1) + (k2 * x2 + k3 * x3)
            out[p, t] += (m0 * x0 + m1 * x1) + (m2 * x2 + m3 * x3)
        j += 4
    if j + 2 <= n:
        k0, k1 = coefficients[c + j], coefficients[c + j + 1]
        m0, m1 = coefficients[d + j], coefficients[d + j + 1]
        i = r + j
        for t in range(length):
            x0, x1 = rows[i, t], rows[i + 1, t]
            out[o, t] += k0 * x0 + k1 * x1
            out[p, t] += m0 * x0 + m1 * x1
        j += 2
    if j < n:
        k0, m0, i = coefficients[c + j], coefficients[d + j], r + j
        for t in range(length):
            x0 = rows[i, t]
            out[o, t] += k0 * x0
            out[p, t] += m0 * x0


@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the low 32 bits of an integer (an LLVM bitcast)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if bits.bitwidth > 32:
            value = builder.trunc(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(bits), codegen


@intrinsic
def _prefetch(typingctx, matrix, row, column):
    """Ask the cache for the line holding ``matrix[row, column]``; no load, no fault."""
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2):
        return None
    if not (isinstance(row, types.Integer) and isinstance(column, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        arraytype = signature.args[0]
        data = context.make_array(arraytype)(context, builder, args[0])
        indices = [
            context.cast(builder, value, kind, types.intp)
            for value, kind in zip(args[1:], signature.args[1:], strict=True)
        ]
        pointer = cgutils.get_item_pointer(
            context, builder, arraytype, data, indices, wraparound=False
        )
        bytes_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [bytes_pointer, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # read, keep in all cache levels, data cache
        read, keep, data_cache = (ir.Constant(i32, v) for v in (0, 3, 1))
        builder.call(prefetch, [builder.bitcast(pointer, bytes_pointer), read, keep, data_cache])
        return context.get_dummy_value()

    return types.none(matrix, row, column), codegen


@numba.njit(inline="always", cache=True)
def prefetch_row(matrix, row):
    """Start fetching every cache line of ``matrix[row]``.

    A row the block will need soon (the next centre's, or a noise draw queued
    ahead) then arrives while the current block computes, instead of stalling
    the copy that gathers it (a row of a large vocabulary is in L3 or memory).
    """
    length = matrix.shape[1]
    for t in range(0, length, LANES):  # 64-byte lines: LANES float32s each
        _prefetch(matrix, row, t)
    _prefetch(matrix, row, length - 1)


@intrinsic
def untracked(typingctx, array):
    """The same array without its reference count (a NULL meminfo): a borrowed view.

    Numba counts references with atomic read-modify-writes on the array's header,
    and its pruning leaves some of them in the training loop: measured, they
    were a quarter of the kernel's time (and the header of a weight matrix is
    shared by every thread). The kernel takes untracked views of the arrays it
    loops over for the duration of one call, while their owners hold them.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        arraytype = signature.args[0]
        source = context.make_array(arraytype)(context, builder, args[0])
        view = context.make_array(arraytype)(context, builder)
        for name in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(view, name, getattr(source, name))
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return array(array), codegen


LOG2E = np.float32(1.4426950408889634)
LN2_HIGH = np.float32(0.693359375)  # ln 2 = LN2_HIGH + LN2_LOW, LN2_HIGH with 9 bits
LN2_LOW = np.float32(-2.12194440e-4)
EXP_FLOOR = np.float32(-87.0)  # exp(−87) ≈ 1.6e-38, the smallest normal float32 is 1.2e-38
# Cephes' expf polynomial on [−ln2/2, ln2/2]
EXP_POLY = tuple(
    np.float32(c)
    for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
              1.6666665459e-1, 5.0000001201e-1)
)  # fmt: skip

# Not "fast": reassociating y − n·LN2_HIGH − n·LN2_LOW into y − n·ln2 would lose the
# extra bits of the split (an error of n ulp). LLVM inlines this call into the caller's
# loop and keeps these per-instruction flags there.
EXACT_FLAGS = {"nnan", "ninf", "nsz", "arcp", "contract"}


@numba.njit(fastmath=EXACT_FLAGS, error_model="numpy", cache=True)
def exp_nonpositive(y):
    """exp(y) in float32 for y ≤ 0 (y below −87 is taken as −87: exp is then < 2e-38).

    Cody and Waite's range reduction y = n·ln2 + r, |r| ≤ ln2/2, Cephes' polynomial
    for exp(r), and 2^n put straight into the exponent bits (n ≥ −126 for y ≥ −87,
    so the result is a normal number). Within 2 ulp of the exact value.
    """
    y = max(y, EXP_FLOOR)
    n = np.int32(y * LOG2E - np.float32(0.5))  # truncation of a negative number: round
    nf = np.float32(n)
    r = y - nf * LN2_HIGH
    r = r - nf * LN2_LOW
    c0, c1, c2, c3, c4, c5 = EXP_POLY
    p = ((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5
    p = p * (r * r) + r + ONE
    return p * _float32_from_bits((n + np.int32(127)) << np.int32(23))
