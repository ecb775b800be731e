"""The first pass of the encoder: a corpus to its distinct words, their counts and
provisional ids, read by several threads at once.

The jitted tokenizer of :mod:`w2v_nce.kernels.wordtable` gives each token a provisional id
(its index in a hash table of the distinct words, which also counts them) and the ids
go to an int32 file with -1 after each sentence. A plain file is read by
:class:`Workers` threads at once, each over a byte range that starts and ends at a
newline, with its own table and file; the tables are then merged (first range first)
into one. Standard input and compressed files are one stream, read by one thread.

A corpus given as an iterable of token lists is counted with a Python dictionary
instead, under the same rules (pieces of at most 10,000 tokens, empty sentences
skipped), so the sentences of a file give the same words, counts and ids as the file.

:func:`w2v_nce.io.encode.encode_corpus` then chooses the vocabulary and makes the final
id file from these (its second pass).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import stat
import threading
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from w2v_nce.errors import UserError
from w2v_nce.io.corpus import (
    MAX_SENTENCE_TOKENS,
    MAX_TOKEN_BYTES,
    SNIFF_BYTES,
    LocatedError,
    blocks,
    check_encoding_errors,
    open_corpus,
    reader,
    source_name,
    start_of_text,
    stream_chunks,
    too_long,
    utf8_error,
)
from w2v_nce.io.idfile import write_ids
from w2v_nce.kernels.wordtable import (
    BAD_UTF8,
    MODES,
    SENTENCE_END,
    TOO_LONG,
    Rules,
    WordTable,
    merge_tables,
)

FLUSH_IDS = 1 << 20  # ids of token lists buffered in memory before a write
CHUNK_BYTES = 1 << 20  # bytes read (and tokenised) at a time
SENTENCES_NAME = "<sentences>"  # how messages name a corpus given as token lists
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_ASCII_SPACE = re.compile("[ \t\n\r\x0b\x0c]")


# -- threads ---------------------------------------------------------------------------------


class _Cancelled(Exception):
    """A task stopped because the pass was abandoned (an error elsewhere, Ctrl-C)."""


class Workers:
    """Up to ``n`` threads for the jitted kernels, which release the GIL.

    :meth:`submit` returns something with ``result()``: a future, or with one thread
    a call deferred to ``result()`` in the calling thread. Callers collect results
    in order, so the first error in corpus order is the one raised. On leaving the
    ``with`` block -- normally, on an error or on Ctrl-C (``result()`` waits in an
    interruptible lock) -- :attr:`cancel` is set, which tasks check between chunks,
    and every thread has finished before the temporary files are removed.
    """

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"workers must be >= 1, got {n}")
        self.n = n
        self.cancel = threading.Event()
        self._pool = ThreadPoolExecutor(n, thread_name_prefix="w2v-nce-encode") if n > 1 else None

    def submit(self, fn, *args):
        if self._pool is None:
            return _Deferred(fn, args)
        # The pool starts a thread inside submit() and only then records it; a Ctrl-C
        # in between would leave a thread that shutdown() does not wait for. Blocked,
        # the signal is delivered when they are unblocked, once the thread is recorded.
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            return self._pool.submit(fn, *args)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def check(self) -> None:
        if self.cancel.is_set():
            raise _Cancelled

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Deferred:
    fn: object
    args: tuple

    def result(self):
        return self.fn(*self.args)


# -- the pass ---------------------------------------------------------------------------------


@dataclass
class Counted:
    """The first pass over a corpus.

    ``parts`` are the provisional id files in corpus order (none when only counting),
    ``maps`` for each the array from its provisional ids to indices into ``words``
    (None: they are those indices).
    """

    name: str
    words: list[str]
    counts: np.ndarray  # int64, per word
    tokens: int
    sentences: int
    parts: list[str]
    maps: list[np.ndarray | None]


def count(source, encoding_errors: str, pool: Workers, workdir: str | None) -> Counted:
    """The first pass over ``source`` (a path, ``-`` or an iterable of token lists), its
    provisional id files written to ``workdir`` (None: count only)."""
    check_encoding_errors(encoding_errors)
    if isinstance(source, str | os.PathLike):
        return _count_file(os.fspath(source), encoding_errors, pool, workdir)
    return _count_sentences(source, workdir)


def _count_file(path: str, errors: str, pool: Workers, workdir: str | None) -> Counted:
    name = source_name(path)
    stream = open_corpus(path)
    try:
        fd = stream.fileno() if isinstance(stream, io.BufferedReader) else None
        if fd is not None and stat.S_ISREG(os.fstat(fd).st_mode):
            tables, parts = _encode_ranges(fd, name, errors, pool, workdir)
        else:
            tables, parts = _encode_stream(stream, name, errors, workdir)
    finally:
        if path != "-":
            stream.close()
    table, maps = merge_tables(tables)
    words = table.words(errors)
    counts = table.word_counts()
    if table.saw_invalid_utf8:  # byte-distinct words may decode to the same string
        words, counts, to_unique = _unique(words, counts)
        if to_unique is not None:
            maps = [to_unique if m is None else to_unique[m] for m in maps]
    return Counted(name, words, counts, table.tokens, table.sentences, parts, maps)


def _unique(words: list[str], counts: np.ndarray):
    """Merge equal ``words``: (words, counts, index map), the map None if all differ."""
    index: dict[str, int] = {}
    to_unique = np.fromiter(
        (index.setdefault(w, len(index)) for w in words), dtype=np.int32, count=len(words)
    )
    if len(index) == len(words):
        return words, counts, None
    unique_counts = np.zeros(len(index), dtype=np.int64)
    np.add.at(unique_counts, to_unique, counts)
    return list(index), unique_counts, to_unique


def _encode_stream(stream, name: str, errors: str, workdir: str | None):
    """One stream (stdin, compressed, a pipe): one table, one provisional file."""
    chunks, dropped = stream_chunks(reader(stream, name), CHUNK_BYTES, name)
    sink = _part_path(workdir, 0)
    table = WordTable()
    try:
        _encode_blocks(blocks(chunks, dropped, name), table, _rules(errors), name, sink)
    except LocatedError as exc:
        raise exc.at(1) from None
    return [table], [sink] if sink else []


def _encode_ranges(fd: int, name: str, errors: str, pool: Workers, workdir: str | None):
    """A plain file, in byte ranges that start after a newline, one thread each.

    Errors are raised in file order: those of a range only once every range before
    it has finished without one, which also gives the number of its first line.
    """
    size = os.fstat(fd).st_size
    start = start_of_text(_pread(fd, SNIFF_BYTES + 3, 0, name), name)
    bounds = _line_bounds(fd, start, size, pool.n, name)
    sinks = [_part_path(workdir, k) for k in range(len(bounds) - 1)]

    def work(k: int) -> tuple[WordTable, int]:
        chunks = _pread_chunks(fd, bounds[k], bounds[k + 1], name, pool)
        pieces = blocks(chunks, start if k == 0 else 0, name)
        table = WordTable()
        return table, _encode_blocks(pieces, table, _rules(errors), name, sinks[k])

    futures = [pool.submit(work, k) for k in range(len(sinks))]
    tables = []
    first_line = 1
    for future in futures:
        try:
            table, last_line = future.result()
        except LocatedError as exc:
            raise exc.at(first_line) from None
        tables.append(table)
        first_line += last_line - 1
    return tables, [s for s in sinks if s]


def _rules(errors: str) -> Rules:
    """The tokenizer's rules for ``encoding_errors=errors``."""
    return Rules(MODES[errors], MAX_SENTENCE_TOKENS, MAX_TOKEN_BYTES)


def _encode_blocks(pieces, table: WordTable, rules: Rules, name: str, sink: str | None) -> int:
    """Encode the blocks of :func:`~w2v_nce.io.corpus.blocks` into ``table``, appending the
    ids to the file ``sink`` (None: count only). Returns the number of the last line."""
    lineno = 1
    with open(sink, "wb") if sink else contextlib.nullcontext() as out_file:
        out = np.empty(0, dtype=np.int32)
        for data, eof, lineno, line_offset in pieces:
            array = np.frombuffer(data, dtype=np.uint8)
            if out.size < array.size + 2:
                out = np.empty(array.size + 2, dtype=np.int32)
            status, pos, n = table.encode(array, 0, eof, rules, out, 0)
            if status == BAD_UTF8:
                raise utf8_error(name, data, pos, lineno, line_offset)
            if status == TOO_LONG:
                raise too_long(name, lineno + data.count(b"\n", 0, pos))
            if out_file is not None:
                write_ids(out[:n], out_file)
    return lineno


def _part_path(workdir: str | None, k: int) -> str | None:
    return None if workdir is None else os.path.join(workdir, f"provisional-{k}.int32")


def _pread(fd: int, size: int, offset: int, name: str) -> bytes:
    """``size`` bytes at ``offset``, fewer only at the end of the file."""
    parts = []
    while size > 0:
        try:
            data = os.pread(fd, size, offset)
        except OSError as exc:
            raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None
        if not data:
            break
        parts.append(data)
        size -= len(data)
        offset += len(data)
    return b"".join(parts)


def _pread_chunks(fd: int, begin: int, end: int, name: str, pool: Workers) -> Iterator[bytes]:
    pos = begin
    while pos < end:
        pool.check()
        data = _pread(fd, min(CHUNK_BYTES, end - pos), pos, name)
        if not data:
            return  # the file was truncated while being read
        pos += len(data)
        yield data


def _line_bounds(fd: int, start: int, size: int, workers: int, name: str) -> list[int]:
    """``start``, the start of the line after each ``k/workers`` of the text, and ``size``
    (fewer ranges when lines are long)."""
    bounds = [start]
    for k in range(1, workers):
        pos = start + (size - start) * k // workers
        cut = size
        while pos < size:
            data = _pread(fd, 1 << 16, pos, name)
            newline = data.find(b"\n")
            if newline >= 0:
                cut = pos + newline + 1
                break
            pos += len(data) or size
        if bounds[-1] < cut < size:
            bounds.append(cut)
    bounds.append(size)
    return bounds


def _count_sentences(sentences: Iterable, workdir: str | None) -> Counted:
    """Token lists: a Python dictionary instead of the byte table, the same rules."""
    lookup: dict[str, int] = {}
    known = lookup.__getitem__
    buffer = array("i")  # 4 bytes per buffered id, not a Python int object
    counts = np.zeros(0, dtype=np.int64)
    tokens = pieces = 0
    sink = _part_path(workdir, 0)

    def flush(out_file) -> None:
        nonlocal counts
        chunk = np.frombuffer(buffer, dtype=np.int32).copy() if buffer else np.zeros(0, np.int32)
        del buffer[:]
        if out_file is not None:
            write_ids(chunk, out_file)
        chunk_counts = np.bincount(chunk[chunk >= 0], minlength=len(lookup))
        chunk_counts[: counts.size] += counts
        counts = chunk_counts

    with open(sink, "wb") if sink else contextlib.nullcontext() as out_file:
        for number, sentence in enumerate(sentences, 1):
            if not isinstance(sentence, list | tuple):
                raise UserError(_not_a_sentence(number, sentence))
            length = len(sentence)
            for begin in range(0, length, MAX_SENTENCE_TOKENS):
                piece = sentence[begin : begin + MAX_SENTENCE_TOKENS]
                before = len(buffer)
                # Once most words have been seen, a C-level map over known words is twice
                # as fast as assigning ids one by one; a new (or bad) token falls back to that.
                try:
                    buffer.extend(map(known, piece))
                except (KeyError, TypeError):
                    del buffer[before:]
                    buffer.extend(
                        [_add(lookup, t, number, begin + i) for i, t in enumerate(piece, 1)]
                    )
                buffer.append(SENTENCE_END)
                pieces += 1
            tokens += length
            if len(buffer) >= FLUSH_IDS:
                flush(out_file)
        flush(out_file)
    counts = np.pad(counts, (0, len(lookup) - counts.size))
    parts = [sink] if sink else []
    return Counted(SENTENCES_NAME, list(lookup), counts, tokens, pieces, parts, [None])


def _add(lookup: dict[str, int], token, number: int, position: int) -> int:
    """The id of a token not seen before (or a UserError for a bad one)."""
    if not isinstance(token, str):
        raise UserError(
            f"sentence {number}: token {position} is a {type(token).__name__}, not a str "
            f"({_shown(token)}); give the tokens as str"
        )
    word = lookup.get(token)
    if word is not None:
        return word
    if not token:
        raise UserError(
            f"sentence {number}: token {position} is an empty string; leave empty tokens out "
            "(text.split() makes none)"
        )
    if _ASCII_SPACE.search(token):
        raise UserError(
            f"sentence {number}: token {position} {_shown(token)} contains whitespace; "
            "split it into tokens (text.split())"
        )
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(
            f"sentence {number}: token {position} {_shown(token)} is not valid Unicode "
            "(it has a lone surrogate); decode the text with its real encoding"
        ) from None
    word = lookup[str(token)] = len(lookup)
    return word


def _not_a_sentence(number: int, sentence) -> str:
    if isinstance(sentence, str):
        return f"sentence {number} is a str, not a list of tokens; split it first (text.split())"
    return (
        f"sentence {number} is a {type(sentence).__name__}, not a list of tokens; "
        "give each sentence as a list of str tokens"
    )


def _shown(token) -> str:
    text = repr(token)
    return text if len(text) <= 40 else text[:37] + "..."
