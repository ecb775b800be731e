"""The corpus pass in Numba: bytes to provisional word ids, without a Python object per token.

A block of UTF-8 bytes that starts and ends on token boundaries (the reader in
:mod:`w2v_nce.io.corpus` cuts the stream so) is scanned once. Each token is hashed
8 bytes at a time as it is scanned and looked up in an open-addressing hash table
(linear probing, load at most 1/2) of 16-byte slots -- the word's first 8 bytes and
its id, length and 24 more bits of its hash -- so that a token of up to 8 bytes (most
tokens) is found by comparing two integers in one cache line; longer words are
compared with their bytes, which live back to back in one arena. A token costs a
few dozen nanoseconds and no allocation; its id goes to an int32 buffer and its
count is incremented. The rules are exactly those of
:func:`w2v_nce.io.corpus.iter_sentences`: tokens are separated by ASCII whitespace
only, a line ends at ``\\n``, an empty line yields nothing, a line of more than
``max_tokens`` tokens is cut into pieces of ``max_tokens``, and ``-1``
(:data:`SENTENCE_END`) follows each piece.

A token with a byte >= 0x80 is checked to be well-formed UTF-8 (Unicode table 3-7,
the rules of Python's decoder): under ``strict`` the first bad byte stops the scan
with its position; under ``replace`` the token stays a word of its own bytes; under
``ignore`` a token with no well-formed character at all (it would decode to
nothing) is dropped. Words are decoded only once, at the end (:meth:`WordTable.words`);
the caller merges byte-distinct words that decode to the same string.

The kernels release the GIL, so threads encoding different byte ranges of a file,
each into its own table, run in parallel; :func:`merge_tables` then unites the
tables. The tables never grow inside a kernel: when one is full the kernel returns
``FULL`` at a token boundary, the caller grows it (:meth:`WordTable.grow`) and
calls again from there.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from w2v_nce.kernels.internal import read_only
from w2v_nce.kernels.rng import GOLDEN, LOW32, S32, next_u64

SENTENCE_END = -1

STRICT, REPLACE, IGNORE = 0, 1, 2
MODES = {"strict": STRICT, "replace": REPLACE, "ignore": IGNORE}
# Kernel results.
OK, FULL, BAD_UTF8, TOO_LONG = 0, 1, 2, 3
# Slots of a table's int64 state array.
N_WORDS, ARENA_USED, PIECE, TOKENS, SENTENCES, INVALID = range(6)

_S8 = np.uint64(8)
_S40 = np.uint64(40)
_SEPARATOR = 10  # "\n" after each word in the arena: the arena decodes in one call
# A slot is 2 uint64: KEY, the word's first 8 bytes (little-endian, zero-padded), and
# TAG, the top 24 bits of its hash << 40 | min(length, 255) << 32 | (id + 1); 0 = empty.
KEY, TAG = 0, 1


class Rules(NamedTuple):
    """How a kernel reads tokens: the ``encoding_errors`` mode (:data:`MODES`), the
    tokens of a piece and the bytes of a token."""

    mode: int
    max_tokens: int
    max_token_bytes: int


class TableArrays(NamedTuple):
    """The arrays of one word table, handed to the kernels as one bundle.

    ``slots`` the hash table (:data:`KEY`, :data:`TAG`), and per word id its
    ``hashes``, ``counts`` and ``offsets`` (its bytes are ``arena[offsets[w]:offsets[w
    + 1] - 1]``; one more offset than words), ``arena`` the words' bytes, ``state`` the
    int64 counters (:data:`N_WORDS` ...).
    """

    slots: np.ndarray  # (2^n, 2) uint64
    hashes: np.ndarray  # uint64
    counts: np.ndarray  # int64
    offsets: np.ndarray  # int64
    arena: np.ndarray  # uint8
    state: np.ndarray  # int64[6]


@numba.njit(inline="always", cache=True)
def _is_space(b):
    return b == 32 or (b >= 9 and b <= 13)


@numba.njit(inline="always", cache=True)
def _finish_hash(h, last, length):
    """Mix the last (partial) 8 bytes and the length in; SplitMix64 spreads the bits."""
    return next_u64(h ^ last ^ np.uint64(length))[1]


@numba.njit(inline="always", cache=True)
def _check_utf8(data, start, end):
    """(position of the first byte not in a well-formed sequence or -1, any well-formed char)."""
    first_bad = -1
    valid = False
    i = start
    while i < end:
        b = data[i]
        if b < 0x80:
            valid = True
            i += 1
            continue
        follow = 0
        lo = 0x80
        hi = 0xBF
        if 0xC2 <= b <= 0xDF:
            follow = 1
        elif b == 0xE0:
            follow, lo = 2, 0xA0
        elif 0xE1 <= b <= 0xEC or b == 0xEE or b == 0xEF:
            follow = 2
        elif b == 0xED:
            follow, hi = 2, 0x9F
        elif b == 0xF0:
            follow, lo = 3, 0x90
        elif 0xF1 <= b <= 0xF3:
            follow = 3
        elif b == 0xF4:
            follow, hi = 3, 0x8F
        ok = follow > 0 and i + follow < end and lo <= data[i + 1] <= hi
        for k in range(2, follow + 1):
            if ok and not 0x80 <= data[i + k] <= 0xBF:
                ok = False
        if ok:
            valid = True
            i += follow + 1
        else:
            if first_bad < 0:
                first_bad = i
            i += 1  # a well-formed sequence never starts on a continuation byte
    return first_bad, valid


@numba.njit(inline="always", cache=True)
def _tag(h, length):
    """A slot's TAG without the id: 24 bits of the hash and the (capped) length."""
    capped = 255 if 255 < length else length  # min(), see pairs.window_bounds
    return ((h >> _S40) << _S40) | (np.uint64(capped) << S32)


@numba.njit(inline="always", cache=True)
def _probe(table, data, start, length, h, key):
    """The id of ``data[start:start+length]`` (hash ``h``, first 8 bytes ``key``), or
    ``-1 - slot`` for the empty slot where it belongs.

    Kept apart from :func:`_insert`: inlined together, the rarely run insertion makes
    the hot path of the kernel about a third slower.
    """
    slots, offsets, arena = table.slots, table.offsets, table.arena
    mask = slots.shape[0] - 1
    want = _tag(h, length)
    i = np.int64(h & np.uint64(mask))
    while True:
        tag = slots[i, TAG]
        if tag == 0:
            return -1 - i
        if (tag & ~LOW32) == want and slots[i, KEY] == key:
            w = np.int64(tag & LOW32) - 1
            if length <= 8:
                return w
            at = offsets[w]
            same = offsets[w + 1] - at - 1 == length
            for k in range(8, length):
                if not same:
                    break
                same = arena[at + k] == data[start + k]
            if same:
                return w
        i = (i + 1) & mask


@numba.njit(cache=True, nogil=True)
def _insert(table, data, start, length, h, key, slot):
    """Add the word ``data[start:start+length]`` in the empty ``slot``: its id, or -1
    if the table is full."""
    slots, offsets, arena, state = table.slots, table.offsets, table.arena, table.state
    n = state[N_WORDS]
    used = state[ARENA_USED]
    if n + 2 > offsets.size or used + length + 1 > arena.size or 2 * (n + 1) > slots.shape[0]:
        return -1
    for k in range(length):
        arena[used + k] = data[start + k]
    arena[used + length] = _SEPARATOR
    offsets[n + 1] = used + length + 1
    table.hashes[n] = h
    slots[slot, KEY] = key
    slots[slot, TAG] = _tag(h, length) | np.uint64(n + 1)
    state[N_WORDS] = n + 1
    state[ARENA_USED] = used + length + 1
    return n


@numba.njit(cache=True, nogil=True)
def encode_block(data, pos, final, rules, out, n_out, table):
    """Encode ``data[pos:]`` into ``out[n_out:]`` with ``table`` (:class:`TableArrays`);
    returns (status, position, n_out).

    ``final``: the stream ends with ``data`` (its last line needs no newline). On
    ``FULL`` the position is the start of the token that did not fit; on
    ``BAD_UTF8`` the first bad byte, on ``TOO_LONG`` the start of the token.
    ``out`` must have room for ``data.size + 2`` ids.

    One piece, over 80 lines, on purpose: this loop is the corpus pass's cost per byte,
    and Numba pays for every helper even when it is inlined -- the token scan as an
    inlined helper made the pass about 25% slower, small helpers for a piece's end and
    the hash step about 6% (measured on bench-dev in one thread).
    """
    n = data.size
    state = table.state
    piece = state[PIECE]
    tokens = state[TOKENS]
    sentences = state[SENTENCES]
    status = OK
    while pos < n:
        b = data[pos]
        if b == 10:
            if piece > 0:
                out[n_out] = SENTENCE_END
                n_out += 1
                sentences += 1
                piece = 0
            pos += 1
            continue
        if _is_space(b):
            pos += 1
            continue
        # Hash 8 bytes at a time; the first 8 are also the word's key in its slot.
        start = pos
        h = np.uint64(0)
        key = np.uint64(0)
        word8 = np.uint64(0)
        shift = np.uint64(0)
        high = 0
        while pos < n:
            b = data[pos]
            if _is_space(b):
                break
            high |= b
            word8 |= np.uint64(b) << shift
            shift += _S8
            pos += 1
            if shift == 64:
                if pos - start == 8:
                    key = word8
                h = (h ^ word8) * GOLDEN
                h ^= h >> S32
                word8 = np.uint64(0)
                shift = np.uint64(0)
        length = pos - start
        if length < 8:
            key = word8
        if length > rules.max_token_bytes:
            status = TOO_LONG
            pos = start
            break
        if high >= 0x80:
            bad, valid = _check_utf8(data, start, pos)
            if bad >= 0:
                if rules.mode == STRICT:
                    status = BAD_UTF8
                    pos = bad
                    break
                state[INVALID] = 1
                if rules.mode == IGNORE and not valid:
                    continue
        h = _finish_hash(h, word8, length)
        word = _probe(table, data, start, length, h, key)
        if word < 0:
            word = _insert(table, data, start, length, h, key, -1 - word)
        if word < 0:
            status = FULL
            pos = start
            break
        table.counts[word] += 1
        out[n_out] = word
        n_out += 1
        tokens += 1
        piece += 1
        if piece == rules.max_tokens:
            out[n_out] = SENTENCE_END
            n_out += 1
            sentences += 1
            piece = 0
    if status == OK and final and piece > 0:
        out[n_out] = SENTENCE_END
        n_out += 1
        sentences += 1
        piece = 0
    state[PIECE] = piece
    state[TOKENS] = tokens
    state[SENTENCES] = sentences
    return status, pos, n_out


@numba.njit(cache=True, nogil=True)
def _rehash(slots, old, hashes):
    mask = slots.shape[0] - 1
    for j in range(old.shape[0]):
        tag = old[j, TAG]
        if tag != 0:
            i = np.int64(hashes[np.int64(tag & LOW32) - 1] & np.uint64(mask))
            while slots[i, TAG] != 0:
                i = (i + 1) & mask
            slots[i, KEY] = old[j, KEY]
            slots[i, TAG] = tag


@numba.njit(cache=True, nogil=True)
def _merge(table, src, arena, to_merged):
    """Add the words of the table ``src`` to ``table`` (both :class:`TableArrays`), in the
    order of their ids; ``to_merged[w]`` is the id in ``table`` of ``src``'s word ``w``.
    ``arena`` is src's arena read-only, the type of the corpus bytes encode_block passes
    (a writable one made Numba compile _insert a second time)."""
    for w in range(src.state[N_WORDS]):
        at = src.offsets[w]
        length = src.offsets[w + 1] - at - 1
        key = np.uint64(0)
        for k in range(length if length < 8 else 8):  # min(): see pairs.window_bounds
            key |= np.uint64(arena[at + k]) << np.uint64(8 * k)
        h = src.hashes[w]
        merged = _probe(table, arena, at, length, h, key)
        if merged < 0:  # (never full: the caller reserved room for every word)
            merged = _insert(table, arena, at, length, h, key, -1 - merged)
        table.counts[merged] += src.counts[w]
        to_merged[w] = merged


class WordTable:
    """Distinct words (as bytes) with their counts, and the state of one encoding stream.

    Its arrays are one :class:`TableArrays`, replaced by a bigger one when it grows.
    """

    def __init__(self, words: int = 1 << 12, arena_bytes: int = 1 << 16):
        slots = 1 << max(4, (2 * words - 1).bit_length())
        self.arrays = TableArrays(
            slots=np.zeros((slots, 2), dtype=np.uint64),
            hashes=np.zeros(words, dtype=np.uint64),
            counts=np.zeros(words, dtype=np.int64),
            offsets=np.zeros(words + 1, dtype=np.int64),
            arena=np.zeros(arena_bytes, dtype=np.uint8),
            state=np.zeros(6, dtype=np.int64),
        )

    @property
    def state(self) -> np.ndarray:
        return self.arrays.state

    def __len__(self) -> int:
        return int(self.state[N_WORDS])

    @property
    def tokens(self) -> int:
        return int(self.state[TOKENS])

    @property
    def sentences(self) -> int:
        return int(self.state[SENTENCES])

    @property
    def saw_invalid_utf8(self) -> bool:
        return bool(self.state[INVALID])

    def encode(self, data, pos, final, rules: Rules, out, n_out):
        """:func:`encode_block` on this table, growing it as often as needed."""
        while True:
            status, pos, n_out = encode_block(data, pos, final, rules, out, n_out, self.arrays)
            if status != FULL:
                return status, pos, n_out
            self.grow(rules.max_token_bytes + 1)

    def grow(self, room: int) -> None:
        """Make room for at least one more word of ``room`` bytes (sizes double)."""
        self.reserve(len(self) + 1, int(self.state[ARENA_USED]) + room)

    def reserve(self, words: int, arena_bytes: int) -> None:
        """Make room for ``words`` words of ``arena_bytes`` bytes in all (sizes double)."""
        a = self.arrays
        if words + 1 > a.offsets.size:
            size = max(2 * a.hashes.size, words)
            a = a._replace(
                hashes=_resized(a.hashes, size),
                counts=_resized(a.counts, size),
                offsets=_resized(a.offsets, size + 1),
            )
        if arena_bytes > a.arena.size:
            a = a._replace(arena=_resized(a.arena, max(2 * a.arena.size, arena_bytes)))
        slots = a.slots.shape[0]
        if 2 * words > slots:
            while 2 * words > slots:
                slots *= 2
            a = a._replace(slots=np.zeros((slots, 2), dtype=np.uint64))
            _rehash(a.slots, self.arrays.slots, a.hashes)
        self.arrays = a

    def words(self, errors: str) -> list[str]:
        """The words by id, decoded in one call (whitespace never occurs in a UTF-8 sequence)."""
        used = int(self.state[ARENA_USED])
        return self.arrays.arena[:used].tobytes().decode("utf-8", errors).split("\n")[:-1]

    def word_counts(self) -> np.ndarray:
        """Each word's count, by id (int64)."""
        return self.arrays.counts[: len(self)].copy()


def merge_tables(tables: list[WordTable]) -> tuple[WordTable, list[np.ndarray | None]]:
    """One table of the words of ``tables`` and, for each table, the map from its ids to
    the merged ids (None: the same). The first table becomes the merged one."""
    merged = tables[0]
    maps: list[np.ndarray | None] = [None]
    merged.reserve(sum(len(t) for t in tables), sum(int(t.state[ARENA_USED]) for t in tables))
    for t in tables[1:]:
        to_merged = np.empty(len(t), dtype=np.int32)
        _merge(merged.arrays, t.arrays, read_only(t.arrays.arena), to_merged)
        maps.append(to_merged)
        merged.state[TOKENS] += t.state[TOKENS]
        merged.state[SENTENCES] += t.state[SENTENCES]
        merged.state[INVALID] |= t.state[INVALID]
    return merged, maps


def _resized(array: np.ndarray, size: int) -> np.ndarray:
    bigger = np.zeros(size, dtype=array.dtype)
    bigger[: array.size] = array
    return bigger
