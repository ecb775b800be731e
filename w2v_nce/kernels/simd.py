"""Explicit float32 SIMD vectors for the candidate block's loops.

LLVM's loop vectoriser left the block's loops at a fraction of the machine's
arithmetic rate: it picks the vector width from the CPU's tuning (256 bits on
every AVX-512 Xeon, which "prefers" 256), needs a scalar remainder loop for a
trip count it cannot see is a whole number of vectors, and reduces each dot
product's accumulators inside the loop it vectorised. Here the vector is a type
of its own, :data:`float32x16` (LLVM's ``<16 x float>``: one 512-bit register, two
256-bit or four 128-bit ones where the CPU has no AVX-512), so the kernels say
exactly what a GEMM micro-kernel does: load a 16-float slice of a row, multiply-
add it into an accumulator that stays in a register for the whole row, reduce
once at the end. The scratch rows are padded to whole vectors
(:func:`.vecops.padded`), so their loops have no remainder.

:func:`wide_vectors` marks the function being compiled to use 512-bit registers
where the CPU has them (the function attributes clang sets for AVX-512 code);
elsewhere it changes nothing.

Arithmetic is plain IEEE float32 apart from ``contract`` (a multiply and an add
fused into one FMA) and the reassociated sum of :func:`vsum`; the results are
deterministic for a given build, so ``--threads 1 --seed`` stays reproducible.
"""

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

WIDTH = 16  # float32 lanes of a 512-bit register
VECTOR = ir.VectorType(ir.FloatType(), WIDTH)


class Float32x16(types.Type):
    """16 float32 lanes, held in registers (LLVM ``<16 x float>``)."""

    def __init__(self):
        super().__init__(name="float32x16")


float32x16 = Float32x16()


@register_model(Float32x16)
class _VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, VECTOR)


def _is_place(matrix, *indices):
    """A float32 matrix and integer indices (row, column and, for a part, the count)."""
    is_matrix = isinstance(matrix, types.Array) and matrix.ndim == 2
    return (
        is_matrix
        and matrix.dtype == types.float32
        and all(isinstance(i, types.Integer) for i in indices)
    )


def _lane_pointer(context, builder, signature, args):
    """A ``<16 x float>*`` to matrix[row, column] (no bounds check: the caller's rows
    are padded to whole vectors)."""
    arraytype = signature.args[0]
    data = context.make_array(arraytype)(context, builder, args[0])
    indices = [
        context.cast(builder, value, kind, types.intp)
        for value, kind in zip(args[1:3], signature.args[1:3], strict=True)
    ]
    pointer = cgutils.get_item_pointer(context, builder, arraytype, data, indices, wraparound=False)
    return builder.bitcast(pointer, VECTOR.as_pointer())


@intrinsic
def vload(typingctx, matrix, row, column):
    """matrix[row, column:column + 16] as a vector (unaligned load)."""
    if not _is_place(matrix, row, column):
        return None

    def codegen(context, builder, signature, args):
        return builder.load(_lane_pointer(context, builder, signature, args), align=4)

    return float32x16(matrix, row, column), codegen


@intrinsic
def vstore(typingctx, matrix, row, column, value):
    """matrix[row, column:column + 16] = value (unaligned store)."""
    if not (_is_place(matrix, row, column) and value == float32x16):
        return None

    def codegen(context, builder, signature, args):
        builder.store(args[3], _lane_pointer(context, builder, signature, args), align=4)
        return context.get_dummy_value()

    return types.none(matrix, row, column, value), codegen


@intrinsic
def vzero(typingctx):
    """A vector of zeros."""

    def codegen(context, builder, signature, args):
        return ir.Constant(VECTOR, None)

    return float32x16(), codegen


@intrinsic
def vsplat(typingctx, x):
    """x in every lane."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        lane = builder.insert_element(ir.Constant(VECTOR, ir.Undefined), args[0], ir.IntType(32)(0))
        return builder.shuffle_vector(
            lane,
            ir.Constant(VECTOR, ir.Undefined),
            ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), None),
        )

    return float32x16(x), codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """a · b + c lane by lane, one fused multiply-add where the CPU has FMA."""
    if not (a == b == c == float32x16):
        return None

    def codegen(context, builder, signature, args):
        product = builder.fmul(args[0], args[1])
        total = builder.fadd(product, args[2])
        product.flags.append("contract")
        total.flags.append("contract")
        return total

    return float32x16(a, b, c), codegen


@intrinsic
def vmul(typingctx, a, b):
    """a · b lane by lane."""
    if not (a == b == float32x16):
        return None

    def codegen(context, builder, signature, args):
        return builder.fmul(args[0], args[1])

    return float32x16(a, b), codegen


@intrinsic
def vsum(typingctx, a):
    """The sum of the 16 lanes (a tree of adds: reassociated, deterministic)."""
    if a != float32x16:
        return None

    def codegen(context, builder, signature, args):
        reduce = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.FloatType(), [ir.FloatType(), VECTOR]),
            "llvm.vector.reduce.fadd.v16f32",
        )
        return builder.call(
            reduce, [ir.Constant(ir.FloatType(), 0.0), args[0]], fastmath=("reassoc",)
        )

    return types.float32(a), codegen


def _shuffle(builder, a, b, lanes):
    mask = ir.Constant(ir.VectorType(ir.IntType(32), len(lanes)), list(lanes))
    return builder.shuffle_vector(a, b, mask)


@intrinsic
def vsum4(typingctx, a, b, c, d):
    """The lane sums of four vectors, as a tuple.

    A transposing tree of shuffles and adds -- halves of a beside halves of b,
    then quarters, and so on -- costs 8 shuffles where four separate reductions
    cost 16, and the shuffle port is what a block of short dot products waits on.
    """
    if not (a == b == c == d == float32x16):
        return None

    def codegen(context, builder, signature, args):
        a, b, c, d = args
        lo, hi = (*range(8), *range(16, 24)), (*range(8, 16), *range(24, 32))
        ab = builder.fadd(_shuffle(builder, a, b, lo), _shuffle(builder, a, b, hi))
        cd = builder.fadd(_shuffle(builder, c, d, lo), _shuffle(builder, c, d, hi))
        # lanes: a's 4 partial sums, c's, b's, d's
        first = (*range(4), *range(16, 20), *range(8, 12), *range(24, 28))
        second = (*range(4, 8), *range(20, 24), *range(12, 16), *range(28, 32))
        quarters = builder.fadd(_shuffle(builder, ab, cd, first), _shuffle(builder, ab, cd, second))
        pairs = builder.fadd(
            _shuffle(builder, quarters, quarters, (0, 1, 4, 5, 8, 9, 12, 13)),
            _shuffle(builder, quarters, quarters, (2, 3, 6, 7, 10, 11, 14, 15)),
        )
        sums = builder.fadd(
            _shuffle(builder, pairs, pairs, (0, 2, 4, 6)),
            _shuffle(builder, pairs, pairs, (1, 3, 5, 7)),
        )  # a, c, b, d
        lanes = [builder.extract_element(sums, ir.IntType(32)(i)) for i in (0, 2, 1, 3)]
        return context.make_tuple(builder, signature.return_type, lanes)

    return types.UniTuple(types.float32, 4)(a, b, c, d), codegen


@intrinsic
def wide_vectors(typingctx):
    """Let the function being compiled use 512-bit registers where the CPU has them.

    LLVM splits a ``<16 x float>`` into two 256-bit halves on CPUs whose tuning
    prefers 256 bits (every AVX-512 Xeon) unless the function says otherwise, as
    clang's AVX-512 intrinsics do with these two attributes. llvmlite only accepts
    the attributes it knows, so they are added to the function's set directly.
    """

    def codegen(context, builder, signature, args):
        attributes = builder.function.attributes
        set.add(attributes, '"prefer-vector-width"="512"')
        set.add(attributes, '"min-legal-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


@numba.njit(inline="always", cache=True)
def whole_vectors(n):
    """The part of 0..n-1 that whole vectors cover (n rounded down to 16)."""
    return n - n % WIDTH


def _masked_access(context, builder, signature, args, value):
    """LLVM's masked load (``value`` None; zeros in the lanes left out) or masked store
    of ``value`` at (matrix, row, column), the lanes before the count (the fourth
    argument)."""
    pointer = _lane_pointer(context, builder, signature, args)
    mask = _lane_mask(builder, context.cast(builder, args[3], signature.args[3], types.int32))
    align = ir.IntType(32)(4)
    if value is None:
        kind = ir.FunctionType(VECTOR, [pointer.type, align.type, mask.type, VECTOR])
        load = cgutils.get_or_insert_function(builder.module, kind, "llvm.masked.load.v16f32.p0")
        return builder.call(load, [pointer, align, mask, ir.Constant(VECTOR, None)])
    kind = ir.FunctionType(ir.VoidType(), [VECTOR, pointer.type, align.type, mask.type])
    store = cgutils.get_or_insert_function(builder.module, kind, "llvm.masked.store.v16f32.p0")
    return builder.call(store, [value, pointer, align, mask])


def _lane_mask(builder, count):
    """<16 x i1>: lane l is on when l < count."""
    lanes = ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), list(range(WIDTH)))
    count = builder.trunc(count, ir.IntType(32)) if count.type.width > 32 else count
    splat = builder.insert_element(
        ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), ir.Undefined), count, ir.IntType(32)(0)
    )
    splat = builder.shuffle_vector(
        splat,
        ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), ir.Undefined),
        ir.Constant(ir.VectorType(ir.IntType(32), WIDTH), None),
    )
    return builder.icmp_signed("<", lanes, splat)


@intrinsic
def vload_part(typingctx, matrix, row, column, count):
    """matrix[row, column:column + count] in the first ``count`` lanes, zeros after; the
    memory past them is not touched (a masked load), so a row need not be padded."""
    if not _is_place(matrix, row, column, count):
        return None

    def codegen(context, builder, signature, args):
        return _masked_access(context, builder, signature, args, None)

    return float32x16(matrix, row, column, count), codegen


@intrinsic
def vstore_part(typingctx, matrix, row, column, count, value):
    """matrix[row, column:column + count] = the first ``count`` lanes of value (a masked
    store: nothing past them is written)."""
    if not (_is_place(matrix, row, column, count) and value == float32x16):
        return None

    def codegen(context, builder, signature, args):
        _masked_access(context, builder, signature, args, args[4])
        return context.get_dummy_value()

    return types.none(matrix, row, column, count, value), codegen
