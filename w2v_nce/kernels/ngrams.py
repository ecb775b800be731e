"""fastText's character n-grams of a word and their hashes (``Dictionary::computeSubwords``).

A word is framed as ``<word>`` (UTF-8 bytes). Its n-grams are the runs of MIN..MAX
characters -- a character is a UTF-8 code point: a continuation byte (10xxxxxx)
never starts an n-gram and always joins the one it follows -- except the two
one-character n-grams ``<`` and ``>``; the whole ``<word>`` is one of them when it
is short enough. Each n-gram's id is its FNV-1a hash modulo the number of buckets,
with fastText's own variant: every byte is read as a *signed* char and widened to 32
bits before the xor (``uint32_t(int8_t(c))``), so bytes above 127 xor in 0xFFFFFFxx.
The ids come in fastText's order: by start, then by length.
"""

import numba
import numpy as np

from w2v_nce.kernels.rng import GOLDEN, LOW32, S32, next_u64

FNV_OFFSET = np.uint64(2166136261)
FNV_PRIME = np.uint64(16777619)


@numba.njit(inline="always", cache=True)
def _continuation(byte):
    return (byte & 0xC0) == 0x80


@numba.njit(cache=True)
def _word_ngrams(data, lo, hi, minn, maxn, buckets, out, count):
    """Append the bucket ids of the n-grams of the framed word data[lo:hi] to ``out``
    from ``count`` on (``out`` None-like of size 0: count only); returns the new count."""
    for i in range(lo, hi):
        if _continuation(data[i]):
            continue
        h = FNV_OFFSET
        j = i
        n = 1
        while j < hi and n <= maxn:
            byte = np.int64(np.int8(data[j]))  # fastText's signed char, sign-extended
            h = ((h ^ (np.uint64(byte) & LOW32)) * FNV_PRIME) & LOW32
            j += 1
            while j < hi and _continuation(data[j]):
                byte = np.int64(np.int8(data[j]))
                h = ((h ^ (np.uint64(byte) & LOW32)) * FNV_PRIME) & LOW32
                j += 1
            if n >= minn and not (n == 1 and (i == lo or j == hi)):
                if out.shape[0]:
                    out[count] = np.int32(h % np.uint64(buckets))
                count += 1
            n += 1
    return count


@numba.njit(cache=True)
def ngram_table(data, offsets, skip, minn, maxn, buckets):
    """(starts int64 words + 1, rows int32): the bucket ids of word w's n-grams are
    rows[starts[w]:starts[w + 1]]; word w is the framed bytes data[offsets[w]:offsets[w + 1]],
    and a word with ``skip[w]`` has none (fastText's end-of-sentence word)."""
    words = offsets.shape[0] - 1
    starts = np.zeros(words + 1, dtype=np.int64)
    nothing = np.zeros(0, dtype=np.int32)
    for w in range(words):
        # Counted with the arguments' types of the second pass (no literal 0 or 1: Numba
        # would compile _word_ngrams a second time for them)
        end = _word_ngrams(
            data, offsets[w], offsets[w + 1], minn, maxn, buckets, nothing, starts[w]
        )
        starts[w + 1] = starts[w] if skip[w] else end
    rows = np.empty(starts[words], dtype=np.int32)
    for w in range(words):
        if not skip[w]:
            _word_ngrams(data, offsets[w], offsets[w + 1], minn, maxn, buckets, rows, starts[w])
    return starts, rows


@numba.njit(nogil=True, cache=True)
def compose(input, buckets, words, starts, rows, out):
    """out[i] = the mean of word words[i]'s input row (none if words[i] < 0: a word out
    of the vocabulary) and its n-gram rows rows[starts[i]:starts[i + 1]] of ``buckets``;
    a word with neither stays zero (fastText's ``getWordVector``)."""
    dim = out.shape[1]
    for i in range(out.shape[0]):
        n = 0
        for d in range(dim):
            out[i, d] = 0.0
        if words[i] >= 0:
            for d in range(dim):
                out[i, d] += input[words[i], d]
            n += 1
        for r in range(starts[i], starts[i + 1]):
            for d in range(dim):
                out[i, d] += buckets[rows[r], d]
            n += 1
        if n > 1:
            scale = np.float32(1.0) / np.float32(n)
            for d in range(dim):
                out[i, d] *= scale


INIT_CHUNKS = 64  # the bucket matrix is filled in this many streams, whatever the threads


@numba.njit(parallel=True, nogil=True, cache=True)
def uniform_rows(out, seed, half_width):
    """Fill ``out`` (rows × dim float32) uniformly in ±``half_width``: a SplitMix64
    stream per chunk of rows (:data:`INIT_CHUNKS`), seeded from ``seed`` and the chunk,
    in parallel; the result depends on ``seed`` only. Two values per 64 random bits."""
    rows, dim = out.shape
    scale = np.float32(2.0 * half_width / 4294967296.0)
    for chunk in numba.prange(INIT_CHUNKS):
        lo, hi = rows * chunk // INIT_CHUNKS, rows * (chunk + 1) // INIT_CHUNKS
        state = next_u64(np.uint64(seed) ^ (np.uint64(chunk) * GOLDEN))[1]
        for r in range(lo, hi):
            for d in range(0, dim, 2):
                state, bits = next_u64(state)
                out[r, d] = np.float32(bits & LOW32) * scale - np.float32(half_width)
                if d + 1 < dim:
                    out[r, d + 1] = np.float32(bits >> S32) * scale - np.float32(half_width)


@numba.njit(parallel=True, nogil=True, cache=True)
def all_finite(matrix):
    """No NaN or infinity in ``matrix`` (2-D float32), without numpy's temporary array."""
    bad = 0
    for r in numba.prange(matrix.shape[0]):
        total = np.float32(0.0)
        for d in range(matrix.shape[1]):
            total += matrix[r, d] * np.float32(0.0)  # NaN or inf makes it NaN
        if total != total:
            bad += 1
    return bad == 0
