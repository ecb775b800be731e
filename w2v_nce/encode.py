"""Turn a corpus into integer ids once, on disk, for every epoch to train from.

One pass over the text (so ``-`` for stdin works): the jitted tokenizer of
:mod:`w2v_nce.wordtable` gives each token a provisional id (its index in a hash
table of the distinct words, which also counts them) and appends the ids to an
int32 file with -1 after each sentence. A plain file is read by ``workers``
threads at once, each over a byte range that starts and ends at a newline, with
its own table and file; the tables are then merged (first range first) into one.
Standard input and compressed files are one stream, read by one thread.

The distinct words and their counts go to a vocabulary rule
(:mod:`w2v_nce.vocab`: a fresh vocabulary, a fixed one or one merged with a
model's), which chooses the vocabulary and maps provisional ids to final ones. A
second, purely numeric pass maps the ids, drops out-of-vocabulary tokens (before
any windowing, as word2vec and gensim do) and sentences left empty, and writes the
final int32 file, hashing it as it goes (:attr:`EncodedCorpus.fingerprint`). The
result does not depend on ``workers``: provisional ids differ, final ids do not.

A corpus may also be any iterable of sentences, each a list of str tokens (like
gensim's ``sentences``), iterated exactly once; it goes through the same rules
(pieces of at most 10,000 tokens, empty sentences skipped), vocabulary and blocks,
so the sentences of a file give the same encoded corpus as the file.

The trainer reads the final file one block at a time with ``pread``
(:class:`IdFile`), not through a memory map, so even the pages of the id file
never accumulate in the process: memory is bounded by the distinct-word tables
plus fixed buffers, whatever the corpus size. The id files live in a temporary
directory named after the process (:mod:`w2v_nce.stale`) that is removed with the
corpus, also on an error or Ctrl-C.

The final file is cut into blocks of about ``block_words`` tokens on sentence
boundaries: a block is the unit a thread trains, with its own RNG stream, and the
point between which the trainer checks for Ctrl-C and reports progress.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from .atomic import NO_SPACE_ERRNOS
from .corpus import (
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
from .errors import UserError
from .stale import workdir_prefix
from .vocab import Fresh, Vocabulary, VocabularyRule
from .wordtable import BAD_UTF8, MODES, SENTENCE_END, TOO_LONG, WordTable, merge_tables

FLUSH_IDS = 1 << 20  # ids buffered in memory before a write
PIECE_IDS = 1 << 18  # ids the second pass maps at a time; a leaf of the fingerprint's tree
DEFAULT_BLOCK_WORDS = 1 << 17
CHUNK_BYTES = 1 << 20  # bytes read (and tokenised) at a time
SENTENCES_NAME = "<sentences>"  # how messages name a corpus given as token lists
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_ASCII_SPACE = re.compile("[ \t\n\r\x0b\x0c]")


@dataclass
class EncodedCorpus:
    vocab: Vocabulary
    path: str  # the final int32 id file
    raw_tokens: int  # tokens read, including out-of-vocabulary ones
    sentences: int  # pieces read (lines, or chunks of long lines)
    block_starts: np.ndarray  # int64 offsets into the id file; last = its length
    block_words: np.ndarray  # int64 in-vocabulary tokens in each block
    workdir: str
    longest_sentence: int  # in-vocabulary tokens of the longest sentence
    # int64 per vocabulary word: its occurrences in the id file. With a Fixed or Merged
    # vocabulary they may all be 0 (no word of the corpus in it): the caller decides.
    corpus_counts: np.ndarray
    fingerprint: str  # blake2b of the id file, the words and corpus_counts

    def __post_init__(self) -> None:
        self._files: list[IdFile] = []

    @property
    def words(self) -> int:
        """In-vocabulary tokens in the id file: the words one epoch trains on."""
        return int(self.corpus_counts.sum())

    @property
    def oov_tokens(self) -> int:
        """Tokens of this corpus dropped because their word is not in the vocabulary."""
        return self.raw_tokens - self.words

    @property
    def longest_block(self) -> int:
        """Ids (with sentence ends) in the longest block."""
        return int(np.diff(self.block_starts).max(initial=0))

    def ids(self) -> IdFile:
        """The id file as a read-only int32 array that reads the slices it is asked for."""
        ids = IdFile(self.path, int(self.block_starts[-1]))
        self._files.append(ids)
        return ids

    def close(self) -> None:
        for ids in self._files:
            ids.close()
        self._files.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> EncodedCorpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class IdFile:
    """An int32 file on disk, indexed like a read-only 1-D array.

    A slice is read with ``os.pread`` into a new read-only array (the type the
    kernels were compiled for, as with a read-only memmap). Unlike a memmap, pages
    read once do not stay mapped in the process, so resident memory stays bounded
    by the blocks being trained, not by the corpus. Safe to use from several
    threads (pread has no shared file position).
    """

    dtype = np.dtype(np.int32)
    ndim = 1

    def __init__(self, path: str, size: int):
        self.path = path
        self.size = size
        self._fd = os.open(path, os.O_RDONLY) if size else None

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            if step != 1:
                raise IndexError("IdFile supports contiguous slices only")
            return self._read(start, max(stop - start, 0))
        index = int(key)
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"index {key} out of range for {self.size} ids")
        return int(self._read(index, 1)[0])

    def _read(self, start: int, count: int) -> np.ndarray:
        if count == 0:
            out = np.zeros(0, dtype=np.int32)
        else:
            if self._fd is None:
                raise ValueError(f"{self.path} is closed")
            data = read_exactly(self._fd, 4 * count, 4 * start, self.path)
            out = np.frombuffer(data, dtype=np.int32)
        out.flags.writeable = False
        return out

    def __array__(self, dtype=None, copy=None):
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def tolist(self) -> list[int]:
        return self[:].tolist()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_exactly(fd: int, size: int, offset: int, path: str) -> bytes:
    """``size`` bytes of ``fd`` at ``offset``; pread may return less (huge reads, signals)."""
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            raise OSError(errno.EIO, f"{path} is shorter than expected")
        data += more
    return data


def encode_corpus(
    source: str | os.PathLike | Iterable[list[str]],
    min_count: int = 5,
    max_vocab: int | None = None,
    encoding_errors: str = "strict",
    block_words: int = DEFAULT_BLOCK_WORDS,
    tmp_dir: str | None = None,
    vocabulary: VocabularyRule | None = None,
    workers: int = 1,
) -> EncodedCorpus:
    """Read ``source`` once and return the encoded corpus (see the module docstring).

    ``source`` is a path (``-``: standard input) or an iterable of token lists.
    ``vocabulary`` is the rule that chooses the words (:mod:`w2v_nce.vocab`); by
    default ``Fresh(min_count, max_vocab)``. ``workers`` threads read a plain file
    and write the final ids. Raises :class:`UserError` for an unusable ``tmp_dir``
    or when the disk holding it fills up; the temporary directory is removed on any
    error or interrupt.
    """
    rule = vocabulary if vocabulary is not None else Fresh(min_count, max_vocab)
    workdir = make_workdir(tmp_dir)
    try:
        with _Workers(workers) as pool:
            counted = _count(source, encoding_errors, pool, workdir)
            return _finish(counted, rule, block_words, workdir, pool)
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            raise UserError(
                f"no space left for the encoded corpus in {os.path.dirname(workdir)} "
                f"({exc.strerror}); it needs 4 bytes per token: free some space or "
                "pass --tmp-dir on a bigger disk"
            ) from None
        raise


def count_words(
    source: str | os.PathLike | Iterable[list[str]],
    encoding_errors: str = "strict",
    workers: int = 1,
) -> tuple[list[str], np.ndarray, int, int]:
    """Count the words of ``source`` in one streaming pass, writing nothing.

    Returns ``(words, counts, tokens, lines)`` with the same counts, tokens and
    lines (non-empty lines; a line of more than 10,000 tokens counts once per
    piece) as :func:`encode_corpus`. Raises :class:`UserError` for an empty corpus.
    """
    with _Workers(workers) as pool:
        counted = _count(source, encoding_errors, pool, None)
    _check_not_empty(counted)
    return counted.words, counted.counts, counted.tokens, counted.sentences


def check_tmp_dir(tmp_dir: str | None) -> None:
    """Fail early with a one-line UserError if ``tmp_dir`` cannot hold the encoded corpus."""
    shutil.rmtree(make_workdir(tmp_dir), ignore_errors=True)


def make_workdir(tmp_dir: str | None) -> str:
    """A new private directory ``w2v-nce-<host>-<pid>-XXXXXXXX`` in ``tmp_dir``
    (default: $TMPDIR), or a UserError."""
    where = tmp_dir if tmp_dir is not None else tempfile.gettempdir()
    try:
        return tempfile.mkdtemp(prefix=workdir_prefix(), dir=where)
    except FileNotFoundError:
        problem = "does not exist; create it or"
    except NotADirectoryError:
        problem = "is not a directory;"
    except PermissionError:
        problem = "is not writable;"
    except OSError as exc:
        problem = f"cannot be used ({exc.strerror});"
    raise UserError(
        f"temporary directory {where} {problem} choose another one with --tmp-dir"
    ) from None


# -- threads ---------------------------------------------------------------------------------


class _Cancelled(Exception):
    """A task stopped because the pass was abandoned (an error elsewhere, Ctrl-C)."""


class _Workers:
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

    def __enter__(self) -> _Workers:
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


# -- the first pass: distinct words, counts and provisional ids -------------------------------


@dataclass
class _Counted:
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


def _count(source, encoding_errors: str, pool: _Workers, workdir: str | None) -> _Counted:
    check_encoding_errors(encoding_errors)
    if isinstance(source, str | os.PathLike):
        return _count_file(os.fspath(source), encoding_errors, pool, workdir)
    return _count_sentences(source, workdir)


def _count_file(path: str, errors: str, pool: _Workers, workdir: str | None) -> _Counted:
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
    return _Counted(name, words, counts, table.tokens, table.sentences, parts, maps)


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
        _encode_blocks(blocks(chunks, dropped, name), table, MODES[errors], name, sink)
    except LocatedError as exc:
        raise exc.at(1) from None
    return [table], [sink] if sink else []


def _encode_ranges(fd: int, name: str, errors: str, pool: _Workers, workdir: str | None):
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
        return table, _encode_blocks(pieces, table, MODES[errors], name, sinks[k])

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


def _encode_blocks(pieces, table: WordTable, mode: int, name: str, sink: str | None) -> int:
    """Encode the blocks of :func:`~w2v_nce.corpus.blocks` into ``table``, appending the
    ids to the file ``sink`` (None: count only). Returns the number of the last line."""
    lineno = 1
    with open(sink, "wb") if sink else contextlib.nullcontext() as out_file:
        out = np.empty(0, dtype=np.int32)
        for data, eof, lineno, line_offset in pieces:
            array = np.frombuffer(data, dtype=np.uint8)
            if out.size < array.size + 2:
                out = np.empty(array.size + 2, dtype=np.int32)
            status, pos, n = table.encode(
                array, 0, eof, mode, MAX_SENTENCE_TOKENS, MAX_TOKEN_BYTES, out, 0
            )
            if status == BAD_UTF8:
                raise utf8_error(name, data, pos, lineno, line_offset)
            if status == TOO_LONG:
                raise too_long(name, lineno + data.count(b"\n", 0, pos))
            if out_file is not None:
                _write_ids(out[:n], out_file)
    return lineno


def _write_ids(array: np.ndarray, handle) -> None:
    """Append ``array``'s bytes to ``handle``.

    Not ``ndarray.tofile``: on a full disk it raises an OSError without an errno
    ("N requested and M written"), which the no-space message could not recognise.
    """
    handle.write(memoryview(np.ascontiguousarray(array)).cast("B"))


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


def _pread_chunks(fd: int, begin: int, end: int, name: str, pool: _Workers) -> Iterator[bytes]:
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


def _count_sentences(sentences: Iterable, workdir: str | None) -> _Counted:
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
            _write_ids(chunk, out_file)
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
    return _Counted(SENTENCES_NAME, list(lookup), counts, tokens, pieces, parts, [None])


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


# -- the second pass: the vocabulary, final ids, blocks ---------------------------------------


def _check_not_empty(counted: _Counted) -> None:
    if counted.tokens == 0:
        what = "give non-empty sentences" if counted.name == SENTENCES_NAME else "give a text file"
        raise UserError(f"{counted.name}: the corpus is empty (no tokens); {what}")


def _finish(
    counted: _Counted, rule, block_words: int, workdir: str, pool: _Workers
) -> EncodedCorpus:
    """Choose the vocabulary, then map each provisional file (in parallel) and join them."""
    _check_not_empty(counted)
    vocab, mapping = rule(counted.words, counted.counts, counted.name)
    mapping = np.asarray(mapping, dtype=np.int32)
    if mapping.shape != (len(counted.words),):
        raise ValueError(f"the vocabulary rule returned a map of shape {mapping.shape}")
    kept = mapping >= 0
    corpus_counts = np.zeros(len(vocab), dtype=np.int64)
    np.add.at(corpus_counts, mapping[kept], counted.counts[kept])
    del counted.words
    futures = [
        pool.submit(_remap_part, part, mapping if to_word is None else mapping[to_word], pool)
        for part, to_word in zip(counted.parts, counted.maps, strict=True)
    ]
    del mapping
    remapped = [future.result() for future in futures]  # (final part, sentence ends, ids, longest)
    final_path = os.path.join(workdir, "ids.int32")
    bases = np.cumsum([0] + [r[2] for r in remapped])
    _join([r[0] for r in remapped], bases, final_path, pool)
    starts, block_word_counts = _cut_blocks([r[1] for r in remapped], bases, block_words)
    fingerprint = _fingerprint(final_path, int(bases[-1]), vocab, corpus_counts, pool)
    return EncodedCorpus(
        vocab=vocab,
        path=final_path,
        raw_tokens=counted.tokens,
        sentences=counted.sentences,
        block_starts=starts,
        block_words=block_word_counts,
        workdir=workdir,
        longest_sentence=max(r[3] for r in remapped),
        corpus_counts=corpus_counts,
        fingerprint=fingerprint,
    )


@numba.njit(cache=True, nogil=True)
def _remap_chunk(provisional, remap, out, ends, state):
    """Map provisional ids to final ones, dropping out-of-vocabulary tokens and the
    sentences left empty. ``state``: ids written before, length of the unfinished
    sentence, longest sentence. Returns (ids in ``out``, sentence ends in ``ends``,
    each the offset just after a -1)."""
    n_out = 0
    n_ends = 0
    length = state[1]
    for p in provisional:
        if p < 0:
            if length > 0:
                out[n_out] = SENTENCE_END
                n_out += 1
                ends[n_ends] = state[0] + n_out
                n_ends += 1
                state[2] = max(state[2], length)
                length = 0
        else:
            word = remap[p]
            if word >= 0:
                out[n_out] = word
                n_out += 1
                length += 1
    state[0] += n_out
    state[1] = length
    return n_out, n_ends


def _remap_part(part: str, remap: np.ndarray, pool: _Workers) -> tuple[str, str, int, int]:
    """Final ids of one provisional file, and the offsets of its sentence ends (int64),
    each in a file of its own. Returns (ids file, ends file, ids, longest sentence)."""
    stem = part.removesuffix(".int32")
    ids_path, ends_path = stem + ".final.int32", stem + ".ends.int64"
    state = np.zeros(3, dtype=np.int64)
    out = np.empty(PIECE_IDS, dtype=np.int32)
    ends = np.empty(PIECE_IDS // 2 + 1, dtype=np.int64)  # a sentence has a word
    with (
        open(part, "rb") as source,
        open(ids_path, "wb") as ids,
        open(ends_path, "wb") as ends_file,
    ):
        while True:
            pool.check()
            provisional = np.fromfile(source, dtype=np.int32, count=PIECE_IDS)
            if provisional.size == 0:
                break
            n, n_ends = _remap_chunk(provisional, remap, out, ends, state)
            _write_ids(out[:n], ids)
            _write_ids(ends[:n_ends], ends_file)
    os.unlink(part)
    return ids_path, ends_path, int(state[0]), int(state[2])


def _join(paths: list[str], bases: np.ndarray, final_path: str, pool: _Workers) -> None:
    """Put the files of ids ``paths`` one after the other (at ``bases``) into ``final_path``:
    the first one renamed, the others copied in parallel, inside the kernel if it can."""
    os.replace(paths[0], final_path)
    if len(paths) == 1:
        return
    fd = os.open(final_path, os.O_WRONLY)
    try:
        futures = [
            pool.submit(_copy_into, path, fd, 4 * int(base), pool)
            for path, base in zip(paths[1:], bases[1:], strict=False)
        ]
        for future in futures:
            future.result()
    finally:
        os.close(fd)


def _copy_into(path: str, fd: int, offset: int, pool: _Workers) -> None:
    size = os.path.getsize(path)
    with open(path, "rb") as source:
        done = 0
        while done < size:
            pool.check()
            step = min(size - done, 1 << 26)
            try:
                copied = os.copy_file_range(source.fileno(), fd, step, done, offset + done)
            except (AttributeError, OSError) as exc:  # not Linux, or not this filesystem
                if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
                    raise
                copied = os.pwrite(fd, os.pread(source.fileno(), step, done), offset + done)
            if copied <= 0:
                raise OSError(errno.EIO, f"{path} is shorter than expected")
            done += copied
    os.unlink(path)


def _cut_blocks(ends_paths: list[str], bases: np.ndarray, block_words: int):
    """Block starts and in-vocabulary words per block, from the sentence ends.

    A block ends at the first sentence end ``block_words`` ids or more after its
    start; the last block ends with the corpus. The sentence ends are read in
    pieces, so memory does not grow with the corpus.
    """
    starts = [0]
    words = []
    threshold = block_words
    ends_seen = 0  # sentence ends before the current piece
    ends_at_start = 0  # sentence ends before the current block
    for path, base in zip(ends_paths, bases, strict=False):
        with open(path, "rb") as source:
            while True:
                ends = np.fromfile(source, dtype=np.int64, count=PIECE_IDS)
                if ends.size == 0:
                    break
                ends += base
                at = int(np.searchsorted(ends, threshold))
                while at < ends.size:
                    cut = int(ends[at])
                    sentence_ends = ends_seen + at + 1 - ends_at_start
                    words.append(cut - starts[-1] - sentence_ends)
                    starts.append(cut)
                    ends_at_start += sentence_ends
                    threshold = cut + block_words
                    at = int(np.searchsorted(ends, threshold))
                ends_seen += ends.size
        os.unlink(path)
    total = int(bases[-1])
    if starts[-1] != total:
        words.append(total - starts[-1] - (ends_seen - ends_at_start))
        starts.append(total)
    return np.array(starts, dtype=np.int64), np.array(words, dtype=np.int64)


def _fingerprint(path: str, size: int, vocab: Vocabulary, counts: np.ndarray, pool) -> str:
    """blake2b of the id file, the words and their counts in this corpus.

    The id file is hashed in leaves of ``PIECE_IDS`` ids, in parallel, and the leaf
    digests then with the rest; leaves are fixed pieces of the final file, so the
    digest does not depend on how many threads wrote it.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        leaves = [
            pool.submit(_leaf_digest, fd, offset, min(PIECE_IDS, size - offset))
            for offset in range(0, size, PIECE_IDS)
        ]
        digest = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=32)
        for leaf in leaves:
            digest.update(leaf.result())
    finally:
        os.close(fd)
    digest.update("\n".join(vocab.words).encode("utf-8", "surrogatepass") + b"\n")
    digest.update(counts.astype("<i8").tobytes())
    return digest.hexdigest()


def _leaf_digest(fd: int, offset: int, count: int) -> bytes:
    data = read_exactly(fd, 4 * count, 4 * offset, "the encoded corpus")
    return hashlib.blake2b(data, digest_size=32).digest()
