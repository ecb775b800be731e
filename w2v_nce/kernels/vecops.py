"""The vector loops of the candidate block: GEMM micro-kernels on SIMD vectors.

The candidate block of a loss (:mod:`.block`) is a small matrix product: m hidden
rows against w candidate rows, S = H Vᵀ, then two rank updates, D = C V and
V += Cᵀ H. The loops here are its register-blocked pieces, written on the explicit
16-lane vectors of :mod:`.simd`: every vector loaded feeds several multiply-adds,
and accumulators stay in registers for a whole row, as in a GEMM micro-kernel:

* :func:`dots` and :func:`dots_pair`: one or two rows of scores, four
  candidates per pass (four or eight accumulators, reduced four at a time);
* :func:`accumulate` and :func:`accumulate_pair`: one or two output rows plus a
  combination of input rows, four vectors of each output row in registers
  while all its inputs are added.

The four large ones are compiled once each and inlined by LLVM (``forceinline``)
rather than copied into each caller's Numba IR (``inline="always"``, as the small ones
are): the same machine code, measured 8% less compile time for a kernel.

Rows are addressed as (matrix, row index), never as row views: a view of an
array is a new reference, and Numba's reference counts are atomic operations on
the array's shared header.

The scratch rows are :func:`padded` to a whole number of vectors, with zeros
beyond dim, so the loops over them need no remainder; the live rows of the input
and output matrices (dim columns) end in a masked vector. The result is
deterministic for a given build, so reproducibility is unaffected. Everything is
float32.

Three small LLVM intrinsics complete the set: :func:`exp_nonpositive`'s bit cast
(a float32 exp that vectorises, where ``math.exp`` is a libm call per element),
:func:`prefetch_row` and :func:`untracked`.
"""

from typing import NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from w2v_nce.kernels.internal import kernel_only
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
    whole_vectors,
    wide_vectors,
)

ZERO = np.float32(0.0)
ONE = np.float32(1.0)


@numba.njit(cache=True)
def padded(dim):
    """``dim`` rounded up to a whole number of vectors (:data:`.simd.WIDTH` lanes)."""
    return -(-dim // WIDTH) * WIDTH


@numba.njit(inline="always", fastmath=True, cache=True)
def copy_row(source, i, target, j, n):
    """target[j, :n] = source[i, :n], whole vectors and a masked last one (a slice
    assignment compiles to a scalar loop)."""
    whole = whole_vectors(n)
    for t in range(0, whole, WIDTH):
        vstore(target, j, t, vload(source, i, t))
    if whole < n:
        vstore_part(target, j, whole, n - whole, vload_part(source, i, whole, n - whole))


@numba.njit(inline="always", fastmath=True, cache=True)
def add_row(alpha, source, i, target, j, n):
    """target[j, :n] += alpha · source[i, :n]"""
    a, whole = vsplat(alpha), whole_vectors(n)
    for t in range(0, whole, WIDTH):
        vstore(target, j, t, vfma(a, vload(source, i, t), vload(target, j, t)))
    if whole < n:
        rest = n - whole
        total = vfma(a, vload_part(source, i, whole, rest), vload_part(target, j, whole, rest))
        vstore_part(target, j, whole, rest, total)


@numba.njit(inline="always", fastmath=True, cache=True)
def scale_row(alpha, target, j, n):
    """target[j, :n] *= alpha"""
    a, whole = vsplat(alpha), whole_vectors(n)
    for t in range(0, whole, WIDTH):
        vstore(target, j, t, vmul(a, vload(target, j, t)))
    if whole < n:
        vstore_part(target, j, whole, n - whole, vmul(a, vload_part(target, j, whole, n - whole)))


@numba.njit(inline="always", fastmath=True, cache=True)
def squared_norm(x, a):
    """|x[a]|² (padding columns are zero: they add nothing); fast-math, so LLVM
    vectorises the sum. The contrastive steps' norms and the noise step's bound."""
    total = ZERO
    for t in range(x.shape[1]):
        total += x[a, t] * x[a, t]
    return total


@kernel_only(fastmath=True, forceinline=True)
def dots(x, a, rows, n, logit_offsets, out, o):
    """out[o + b] = x[a] · rows[b] − logit_offsets[b] for b < n (padded rows); four b per pass."""
    width = x.shape[1]
    b = 0
    while b + 4 <= n:
        s0 = s1 = s2 = s3 = vzero()
        for t in range(0, width, WIDTH):
            xt = vload(x, a, t)
            s0 = vfma(xt, vload(rows, b, t), s0)
            s1 = vfma(xt, vload(rows, b + 1, t), s1)
            s2 = vfma(xt, vload(rows, b + 2, t), s2)
            s3 = vfma(xt, vload(rows, b + 3, t), s3)
        # The two rows' stores are written out, not looped: a hot loop unrolled by hand
        # (duplicates lists the pair; a helper here cost speed in the kernel's measurements).
        t0, t1, t2, t3 = vsum4(s0, s1, s2, s3)
        out[o + b], out[o + b + 1] = t0 - logit_offsets[b], t1 - logit_offsets[b + 1]
        out[o + b + 2], out[o + b + 3] = t2 - logit_offsets[b + 2], t3 - logit_offsets[b + 3]
        b += 4
    while b < n:
        s0 = vzero()
        for t in range(0, width, WIDTH):
            s0 = vfma(vload(x, a, t), vload(rows, b, t), s0)
        out[o + b] = vsum(s0) - logit_offsets[b]
        b += 1


@kernel_only(fastmath=True, forceinline=True)
def dots_pair(x, a, rows, n, logit_offsets, out, o):
    """:func:`dots` of rows a, a + 1 into out[o:o + n], out[o + n:o + 2n]: each candidate
    vector loaded feeds both."""
    width = x.shape[1]
    c, p = a + 1, o + n
    b = 0
    while b + 4 <= n:
        s0 = s1 = s2 = s3 = u0 = u1 = u2 = u3 = vzero()
        for t in range(0, width, WIDTH):
            xt, yt = vload(x, a, t), vload(x, c, t)
            r0, r1 = vload(rows, b, t), vload(rows, b + 1, t)
            r2, r3 = vload(rows, b + 2, t), vload(rows, b + 3, t)
            s0, s1, s2, s3 = vfma(xt, r0, s0), vfma(xt, r1, s1), vfma(xt, r2, s2), vfma(xt, r3, s3)
            u0, u1, u2, u3 = vfma(yt, r0, u0), vfma(yt, r1, u1), vfma(yt, r2, u2), vfma(yt, r3, u3)
        f0, f1 = logit_offsets[b], logit_offsets[b + 1]
        f2, f3 = logit_offsets[b + 2], logit_offsets[b + 3]
        t0, t1, t2, t3 = vsum4(s0, s1, s2, s3)
        out[o + b], out[o + b + 1], out[o + b + 2], out[o + b + 3] = (
            t0 - f0,
            t1 - f1,
            t2 - f2,
            t3 - f3,
        )
        t0, t1, t2, t3 = vsum4(u0, u1, u2, u3)
        out[p + b], out[p + b + 1], out[p + b + 2], out[p + b + 3] = (
            t0 - f0,
            t1 - f1,
            t2 - f2,
            t3 - f3,
        )
        b += 4
    while b < n:
        s0 = u0 = vzero()
        for t in range(0, width, WIDTH):
            r0 = vload(rows, b, t)
            s0, u0 = vfma(vload(x, a, t), r0, s0), vfma(vload(x, c, t), r0, u0)
        out[o + b], out[p + b] = vsum(s0) - logit_offsets[b], vsum(u0) - logit_offsets[b]
        b += 1


CHUNK = 4 * WIDTH  # columns of an output row kept in registers while its inputs are added


@numba.njit(inline="always", cache=True)
def lane_counts(t, length):
    """How many of the 16 lanes of each vector of the chunk at column t lie before length."""
    return (
        _lanes(length - t),
        _lanes(length - t - WIDTH),
        _lanes(length - t - 2 * WIDTH),
        _lanes(length - t - 3 * WIDTH),
    )


@numba.njit(inline="always", cache=True)
def _lanes(rest):
    """max(0, min(WIDTH, rest)) by comparisons (see pairs.window_bounds)."""
    if rest > WIDTH:
        return WIDTH
    return rest if rest > 0 else 0


class Inputs(NamedTuple):
    """The input rows of :func:`accumulate` and where their coefficients are: rows
    first..first+n-1 of a padded matrix, row first + q weighted by
    ``coefficients[c + q·step]`` for the c of the call (with a step, a column of a
    row-major block is read without transposing it)."""

    rows: np.ndarray  # float32, padded to whole vectors
    first: int
    n: int
    coefficients: np.ndarray  # float32
    step: int


@kernel_only(fastmath=True, forceinline=True)
def accumulate(inputs, c, out, o, length):
    """out[o, :length] += Σ_{q<n} coefficients[c + q·step] · rows[first + q, :length]
    (the fields of ``inputs``).

    A GEMM micro-kernel's shape: a chunk of four vectors of the output row stays
    in registers while all n inputs are added, each input's coefficient
    broadcast once per chunk: four independent chains of multiply-adds. The last
    chunk is masked lane by lane: ``out`` need not be padded (a live row of the
    output matrix), ``rows`` must be.

    Compiled once and inlined by LLVM at its five call sites (:func:`.block.update_block`,
    :func:`accumulate_pair`; see the module's docstring): copied into each caller's
    Numba IR instead, it doubled the training kernel's compile time.
    """
    wide_vectors()
    rows, r, n, coefficients, step = inputs
    t = 0
    while t + CHUNK <= length:
        o0, o1 = vload(out, o, t), vload(out, o, t + WIDTH)
        o2, o3 = vload(out, o, t + 2 * WIDTH), vload(out, o, t + 3 * WIDTH)
        for q in range(n):
            k, i = vsplat(coefficients[c + q * step]), r + q
            o0, o1 = vfma(k, vload(rows, i, t), o0), vfma(k, vload(rows, i, t + WIDTH), o1)
            o2 = vfma(k, vload(rows, i, t + 2 * WIDTH), o2)
            o3 = vfma(k, vload(rows, i, t + 3 * WIDTH), o3)
        vstore(out, o, t, o0)
        vstore(out, o, t + WIDTH, o1)
        vstore(out, o, t + 2 * WIDTH, o2)
        vstore(out, o, t + 3 * WIDTH, o3)
        t += CHUNK
    if t < length:
        t1, t2, t3 = t + WIDTH, t + 2 * WIDTH, t + 3 * WIDTH
        n0, n1, n2, n3 = lane_counts(t, length)
        o0, o1 = vload_part(out, o, t, n0), vload_part(out, o, t1, n1)
        o2, o3 = vload_part(out, o, t2, n2), vload_part(out, o, t3, n3)
        for q in range(n):
            k, i = vsplat(coefficients[c + q * step]), r + q
            o0, o1 = (
                vfma(k, vload_part(rows, i, t, n0), o0),
                vfma(k, vload_part(rows, i, t1, n1), o1),
            )
            o2, o3 = (
                vfma(k, vload_part(rows, i, t2, n2), o2),
                vfma(k, vload_part(rows, i, t3, n3), o3),
            )
        vstore_part(out, o, t, n0, o0)
        vstore_part(out, o, t1, n1, o1)
        vstore_part(out, o, t2, n2, o2)
        vstore_part(out, o, t3, n3, o3)


@kernel_only(fastmath=True, forceinline=True)
def accumulate_pair(inputs, c, d, out, o, p, length):
    """:func:`accumulate` into rows o and p, their coefficients from c and from d.

    Each input vector loaded feeds both outputs (eight accumulators per chunk).
    When o == p (a noise word drawn twice) the two sums are added one after the
    other.
    """
    if o == p:
        accumulate(inputs, c, out, o, length)
        accumulate(inputs, d, out, p, length)
        return
    rows, r, n, coefficients, step = inputs
    t = 0
    while t + CHUNK <= length:
        t1, t2, t3 = t + WIDTH, t + 2 * WIDTH, t + 3 * WIDTH
        o0, o1, o2, o3 = vload(out, o, t), vload(out, o, t1), vload(out, o, t2), vload(out, o, t3)
        p0, p1, p2, p3 = vload(out, p, t), vload(out, p, t1), vload(out, p, t2), vload(out, p, t3)
        for q in range(n):
            i = r + q
            k, m = vsplat(coefficients[c + q * step]), vsplat(coefficients[d + q * step])
            x0, x1, x2, x3 = (
                vload(rows, i, t),
                vload(rows, i, t1),
                vload(rows, i, t2),
                vload(rows, i, t3),
            )
            o0, o1, o2, o3 = vfma(k, x0, o0), vfma(k, x1, o1), vfma(k, x2, o2), vfma(k, x3, o3)
            p0, p1, p2, p3 = vfma(m, x0, p0), vfma(m, x1, p1), vfma(m, x2, p2), vfma(m, x3, p3)
        vstore(out, o, t, o0)
        vstore(out, o, t1, o1)
        vstore(out, o, t2, o2)
        vstore(out, o, t3, o3)
        vstore(out, p, t, p0)
        vstore(out, p, t1, p1)
        vstore(out, p, t2, p2)
        vstore(out, p, t3, p3)
        t += CHUNK
    if t < length:
        t1, t2, t3 = t + WIDTH, t + 2 * WIDTH, t + 3 * WIDTH
        n0, n1, n2, n3 = lane_counts(t, length)
        o0, o1 = vload_part(out, o, t, n0), vload_part(out, o, t1, n1)
        o2, o3 = vload_part(out, o, t2, n2), vload_part(out, o, t3, n3)
        p0, p1 = vload_part(out, p, t, n0), vload_part(out, p, t1, n1)
        p2, p3 = vload_part(out, p, t2, n2), vload_part(out, p, t3, n3)
        for q in range(n):
            i = r + q
            k, m = vsplat(coefficients[c + q * step]), vsplat(coefficients[d + q * step])
            x0, x1 = vload_part(rows, i, t, n0), vload_part(rows, i, t1, n1)
            x2, x3 = vload_part(rows, i, t2, n2), vload_part(rows, i, t3, n3)
            o0, o1, o2, o3 = vfma(k, x0, o0), vfma(k, x1, o1), vfma(k, x2, o2), vfma(k, x3, o3)
            p0, p1, p2, p3 = vfma(m, x0, p0), vfma(m, x1, p1), vfma(m, x2, p2), vfma(m, x3, p3)
        vstore_part(out, o, t, n0, o0)
        vstore_part(out, o, t1, n1, o1)
        vstore_part(out, o, t2, n2, o2)
        vstore_part(out, o, t3, n3, o3)
        vstore_part(out, p, t, n0, p0)
        vstore_part(out, p, t1, n1, p1)
        vstore_part(out, p, t2, n2, p2)
        vstore_part(out, p, t3, n3, p3)


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
    for t in range(0, length, WIDTH):  # 64-byte lines: WIDTH float32s each
        _prefetch(matrix, row, t)
    _prefetch(matrix, row, length - 1)


@intrinsic
def is_set(typingctx, flag):
    """``flag[0] != 0``, read from memory every time (an atomic load, which LLVM does not
    hoist out of a loop): another thread sets the flag while the loop runs."""
    if not (isinstance(flag, types.Array) and flag.dtype == types.uint8):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        value = builder.load_atomic(data, "monotonic", 1)
        return builder.icmp_unsigned("!=", value, ir.Constant(ir.IntType(8), 0))

    return types.boolean(flag), codegen


def _untracked_view(context, builder, arraytype, value):
    """A copy of the array struct ``value`` with a NULL meminfo and parent."""
    source = context.make_array(arraytype)(context, builder, value)
    view = context.make_array(arraytype)(context, builder)
    for name in ("nitems", "itemsize", "data", "shape", "strides"):
        setattr(view, name, getattr(source, name))
    view.meminfo = cgutils.get_null_value(view.meminfo.type)
    view.parent = cgutils.get_null_value(view.parent.type)
    return view._getvalue()


@intrinsic
def untracked(typingctx, value):
    """The same array without its reference count (a NULL meminfo): a borrowed view.
    Of a bundle (a NamedTuple of arrays: :mod:`.bundles`, the scratch), the same
    bundle with every field untracked.

    Numba counts references with atomic read-modify-writes on the array's header,
    and its pruning leaves some of them in the training loop: measured, they
    were a quarter of the kernel's time (and the header of a weight matrix is
    shared by every thread). The kernel takes untracked views of the arrays it
    loops over for the duration of one call, while their owners hold them.

    A bundle is rebuilt from its own type, field i of the copy from field i of
    the original: a field added anywhere is carried without a line here.
    """
    if isinstance(value, types.Array):

        def codegen(context, builder, signature, args):
            return _untracked_view(context, builder, signature.args[0], args[0])

        return value(value), codegen
    if isinstance(value, types.BaseNamedTuple) and all(
        isinstance(field, types.Array) for field in value.types
    ):

        def codegen(context, builder, signature, args):
            bundle = signature.args[0]
            views = [
                _untracked_view(context, builder, kind, builder.extract_value(args[0], i))
                for i, kind in enumerate(bundle.types)
            ]
            return context.make_tuple(builder, bundle, views)

        return value(value), codegen
    return None


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
    y = EXP_FLOOR if EXP_FLOOR > y else y  # max(), see pairs.window_bounds
    n = np.int32(y * LOG2E - np.float32(0.5))  # truncation of a negative number: round
    nf = np.float32(n)
    r = y - nf * LN2_HIGH
    r = r - nf * LN2_LOW
    c0, c1, c2, c3, c4, c5 = EXP_POLY
    p = ((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5
    p = p * (r * r) + r + ONE
    return p * _float32_from_bits((n + np.int32(127)) << np.int32(23))
