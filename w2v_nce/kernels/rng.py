"""SplitMix64 random numbers for the kernels.

The state is a plain ``uint64`` passed in and returned by value, so LLVM keeps it
in a register and each training block owns its stream: seeded from (``--seed``,
epoch, block index), a block's updates do not depend on which thread ran it or on
anything else, which is what makes ``--threads 1 --seed S`` bit-for-bit
reproducible. SplitMix64 passes BigCrush and every output bit is usable, unlike
word2vec's 48-bit LCG whose low bits are poor.

All arithmetic is on ``np.uint64`` constants: mixing a uint64 with a Python int in
Numba silently promotes to float64.
"""

import numba
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S32 = np.uint64(32)
LOW32 = np.uint64(0xFFFFFFFF)
NOISE_STREAM = np.uint64(0x6E6F6973655F7374)  # "noise_st": tells the two streams of a block apart


@numba.njit(inline="always", cache=True)
def next_u64(state):
    """Advance the state; return (new_state, 64 random bits)."""
    state = state + GOLDEN
    z = state
    z = (z ^ (z >> S30)) * MIX1
    z = (z ^ (z >> S27)) * MIX2
    return state, z ^ (z >> S31)


@numba.njit(inline="always", cache=True)
def below(bits32, n):
    """Map 32 random bits to an integer in [0, n) without division (Lemire)."""
    return np.int64((bits32 * np.uint64(n)) >> S32)


@numba.njit(inline="always", cache=True)
def noise_seed(seed):
    """The seed of a block's second stream, the one its noise words are drawn from.

    Subsampling and the windows draw from the block's seed; the noise draws from
    a stream of their own, so they do not depend on when they are drawn and the
    kernel can draw them ahead of use (:func:`.block.refill_noise`).
    """
    return next_u64(np.uint64(seed) ^ NOISE_STREAM)[1]


def mix_seed(*parts: int) -> np.uint64:
    """Derive a block's seed from (seed, epoch, block, ...) in plain Python."""
    mask = (1 << 64) - 1
    state = 0x2545F4914F6CDD1D
    for part in parts:
        state = (state ^ (part & mask)) & mask
        for _ in range(2):
            state = (state + 0x9E3779B97F4A7C15) & mask
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            state = z ^ (z >> 31)
    return np.uint64(state)
