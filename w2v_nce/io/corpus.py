"""Streaming corpus reader: a text file (plain, gzip, bzip2 or stdin) to lists of tokens.

:func:`iter_sentences` yields str tokens (for evaluation and baselines); the encoder
(:mod:`w2v_nce.io.first_pass`) reads the same blocks of bytes (:func:`stream_chunks`,
:func:`blocks`) with a jitted tokenizer (:mod:`w2v_nce.kernels.wordtable`) that follows the
same rules, and reports errors the same way (:class:`LocatedError`). Why it looks
like this:

* **Bounded memory.** The stream is read ``chunk_bytes`` at a time and nothing larger is
  ever built: not the file, not a line (text8-style corpora are one 100 MB line). Each
  chunk is cut after its last whitespace byte; the unfinished token after the cut (at most
  ``MAX_TOKEN_BYTES``) is carried into the next chunk, so a block never splits a token and
  -- because ASCII whitespace never occurs inside a UTF-8 multibyte sequence -- never
  splits a character either. Tokens of an unfinished line wait in a list that is flushed
  every ``max_tokens`` tokens, and a line longer than 16 KiB is tokenised in windows of
  that size, so whatever the line lengths the reader holds two (briefly three) copies of
  a chunk (the bytes and their decoded text) plus fewer than ``max_tokens`` + one window
  of tokens: ~4 MiB at the defaults. A run of more than ``MAX_TOKEN_BYTES`` bytes without
  whitespace is not text (binary data, a corrupt or UTF-16 file): an error, not a token.
* **Long lines are split, never truncated**: a line of more than ``max_tokens`` tokens is
  yielded as consecutive pieces of ``max_tokens`` (the last one shorter), every token
  exactly once, in order.
* **Speed without per-character Python.** A block that is pure ASCII (the common case,
  checked with ``bytes.isascii``) is decoded once and split with ``str.split``; the map
  over its lines runs in C. Otherwise lines are split as bytes and each line's tokens
  are decoded with one ``decode`` call (joined by single spaces, then split on ``' '``).
* **Tokens are separated by ASCII whitespace only** (space, \\t, \\n, \\r, \\v, \\f),
  like ``bytes.split`` and word2vec.c: a no-break space or U+3000 inside a word stays in
  the word. (The ASCII fast path therefore falls back to the bytes path for the four
  ASCII control characters \\x1c-\\x1f, which ``str.split`` would also treat as spaces.)
  Lines end at ``\\n``; ``\\r`` is whitespace, so CRLF files read the same. Empty and
  whitespace-only lines yield nothing. A UTF-8 byte-order mark at the start is dropped.
* **Errors a user can fix are one-line UserErrors** that say what to do: missing file,
  directory, permission, corrupt gzip/bzip2 data (which only shows up while reading),
  xz/zstd/zip/7z data (by magic bytes: decompress first), binary files (more than 1%
  NUL bytes or 5% other C0 control bytes in the first 64 KiB -- however many reads that
  takes, since a pipe may deliver a short text-looking piece first), a NUL byte anywhere
  (with its line: a NUL is never part of a word),
  and invalid UTF-8 under ``encoding_errors='strict'``, reported with its 1-based line
  number and the 1-based *byte* column within that line (the line may never be held in
  memory, so a character column is not available).
* Compression is detected from the magic bytes (``1f 8b``, ``BZh``), not the file name,
  using ``peek`` on the one open handle so that named pipes work too. ``'-'`` is read as
  plain bytes from ``sys.stdin.buffer`` (decompress with ``zcat`` if needed).
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import os
import select
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import repeat
from typing import BinaryIO

from w2v_nce.errors import UsageError, UserError

MAX_SENTENCE_TOKENS = 10_000
MAX_TOKEN_BYTES = 100_000  # longer runs without whitespace mean "not a text corpus"
_WINDOW = 16 * 1024  # line segments longer than this are tokenised in windows this big

SNIFF_BYTES = 64 * 1024  # the start of a stream that must look like text

_ENCODING_ERRORS = ("strict", "replace", "ignore")
_BOM = b"\xef\xbb\xbf"
_DIRECTORY = (
    "{path} is a directory; pass a text file (plain, .gz or .bz2), or read the directory's "
    "files with --workers or --scheduler (docs/distributed.md)"
)
_CTRL_SEPARATORS = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")  # str.split() spaces, not bytes'
# Whitespace inside a line (a line never contains "\n"), as bytes and as str.
_LINE_WS_BYTES = (b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_LINE_WS_STR = (" ", "\t", "\r", "\x0b", "\x0c")
# C0 control bytes that text practically never contains (not whitespace, ESC or the
# \x1c-\x1f separators). Random binary data has ~9% of them; more than 5% = binary.
_BINARY_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B)])
# Formats recognised by their magic bytes that the reader does not decompress.
_OTHER_FORMATS = (
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it: xz -dc FILE | w2v-nce train -"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it: zstd -dc FILE | w2v-nce train -"),
    (b"PK\x03\x04", "a zip archive", "extract the text file first (unzip)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract the text file first (7z x)"),
)


def source_name(path: str) -> str:
    """How messages name a corpus path."""
    return "<stdin>" if path == "-" else path


class _ClosesRaw:
    """A decompressing file that also closes the file object it decompresses."""

    _raw: BinaryIO

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


class _OwningGzipFile(_ClosesRaw, gzip.GzipFile):
    def __init__(self, raw: BinaryIO):
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw


class _OwningBZ2File(_ClosesRaw, bz2.BZ2File):
    def __init__(self, raw: BinaryIO):
        super().__init__(raw, mode="rb")
        self._raw = raw


class _InterruptibleInput:
    """Standard input read with ``os.read`` after ``select``, so that Ctrl-C is prompt.

    ``sys.stdin.buffer.read(n)`` loops in C until it has n bytes or EOF, and looks at
    pending signals only when a ``read()`` system call is interrupted. A SIGINT that
    lands between two of its reads (the signal handler merely sets a flag) is noticed
    only when more data arrives, which on a pipe held open may be never. Waiting in
    ``select`` with a timeout returns to Python a few times a second, where a pending
    KeyboardInterrupt is raised. Reads may be short; the tokenizer reads until b"".
    """

    POLL_SECONDS = 0.2

    def __init__(self, fd: int):
        self.fd = fd

    def read(self, size: int) -> bytes:
        while True:
            ready, _, _ = select.select([self.fd], [], [], self.POLL_SECONDS)
            if ready:
                return os.read(self.fd, size)

    def close(self) -> None:
        """Standard input belongs to the process: never closed here."""


def open_corpus(path: str) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing gzip or bzip2 by magic bytes.

    ``'-'`` is standard input (not decompressed; the caller must not close it), read
    through :class:`_InterruptibleInput` when it is a real file descriptor.
    Raises :class:`UserError` for a missing, directory or unreadable path.
    """
    if path == "-":
        try:
            return _InterruptibleInput(sys.stdin.buffer.fileno())
        except (AttributeError, OSError, io.UnsupportedOperation):
            return sys.stdin.buffer  # replaced by an in-memory stream (tests, embedding)
    try:
        raw = open(path, "rb")  # returned to the caller, who closes it
    except FileNotFoundError:
        if glob.has_magic(os.fspath(path)):  # a pattern the shell did not expand (quoted)
            raise UserError(
                f"{path}: no such file; a glob of files is read with --workers or "
                "--scheduler (docs/distributed.md); on one process, pass one file or "
                "concatenate them (cat FILES | w2v-nce train -)"
            ) from None
        raise UserError(
            f"{path}: no such file; check the path (or pass - to read standard input)"
        ) from None
    except IsADirectoryError:
        raise UserError(_DIRECTORY.format(path=path)) from None
    except PermissionError:
        raise UserError(
            f"{path}: permission denied; make the file readable or copy it somewhere readable"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        magic = raw.peek(4)[:4]
        if magic[:2] == b"\x1f\x8b":
            return _OwningGzipFile(raw)
        if magic[:3] == b"BZh" and magic[3:4].isdigit():
            return _OwningBZ2File(raw)
    except IsADirectoryError:  # some systems only fail at the first read
        raw.close()
        raise UserError(_DIRECTORY.format(path=path)) from None
    except OSError as exc:
        raw.close()
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return raw


def check_corpus(path: str) -> bool:
    """Check that ``path`` can be read as a corpus, without losing any of it; True if it
    is a regular file (which can be read again, as a checkpoint's resume needs).

    A regular file is opened and its start looked at. Anything else -- a pipe such as
    ``<(cat corpus.txt)`` or ``/dev/stdin``, a FIFO, a device -- is only looked up: its
    data can be read once, so the one read is training's (opening a FIFO here would
    also take its writer away and leave the real open waiting for another).
    """
    if path == "-":
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # open_corpus says what is wrong
    if mode is None or stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        open_corpus(path).close()
        return mode is not None and stat.S_ISREG(mode)
    if not os.access(path, os.R_OK):
        raise UserError(
            f"{path}: permission denied; make the file readable or copy it somewhere readable"
        )
    return False


def iter_sentences(
    path: str,
    encoding_errors: str = "strict",
    max_tokens: int = MAX_SENTENCE_TOKENS,
    chunk_bytes: int = 1 << 20,
) -> Iterator[list[str]]:
    """Yield the whitespace-separated tokens of each non-empty line of ``path``.

    Lines longer than ``max_tokens`` tokens come as consecutive pieces of at most
    ``max_tokens`` tokens. Each yielded list is new; the caller may keep or modify it.
    The file is opened lazily, at the first ``next()``, and closed when the iterator is
    exhausted or closed. See the module docstring for the rules.
    """
    check_encoding_errors(encoding_errors)
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be >= 1, got {chunk_bytes}")
    name = source_name(path)
    stream = open_corpus(path)
    try:
        tokenizer = _Tokenizer(name, encoding_errors, max_tokens)
        chunks, line_offset = stream_chunks(reader(stream, name), chunk_bytes, name)
        for data, eof, lineno, offset in blocks(chunks, line_offset, name):
            yield from tokenizer.block(data, eof, lineno, offset)
    except LocatedError as exc:
        raise exc.at(1) from None
    finally:
        if path != "-":
            stream.close()


def check_encoding_errors(encoding_errors: str) -> None:
    if encoding_errors not in _ENCODING_ERRORS:
        raise UsageError(
            f"invalid encoding-errors value {encoding_errors!r}; "
            f"use one of {', '.join(_ENCODING_ERRORS)}"
        )


def reader(stream: BinaryIO, name: str) -> Callable[[int], bytes]:
    """``stream.read``, with decompression and I/O errors turned into UserErrors."""
    if isinstance(stream, gzip.GzipFile):
        kind = "gzip"
    elif isinstance(stream, bz2.BZ2File):
        kind = "bzip2"
    else:
        kind = None

    def read(size: int) -> bytes:
        try:
            return stream.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            if kind is None:
                raise UserError(f"cannot read {name}: {exc}") from None
            raise UserError(
                f"{name} is not a valid {kind} file ({exc}); "
                "re-download or recompress it, or rename it if it is not compressed"
            ) from None

    return read


class LocatedError(Exception):
    """A reader error on a line: the message once the number of the first line is known.

    A worker that reads a byte range of a file knows its lines only relative to the
    range's start; :meth:`at` gives the :class:`UserError` with the file's line number.
    """

    def __init__(self, lineno: int, before: str, after: str):
        super().__init__(f"{before}{lineno}{after}")
        self.lineno, self.before, self.after = lineno, before, after

    def at(self, first_line: int) -> UserError:
        """The error, for a stream whose first line is line ``first_line`` of the file."""
        return UserError(f"{self.before}{first_line - 1 + self.lineno}{self.after}")


def too_long(name: str, lineno: int) -> LocatedError:
    return LocatedError(
        lineno,
        f"{name}: line ",
        f" has more than {MAX_TOKEN_BYTES:,} bytes without whitespace; "
        "this does not look like a text corpus (binary or corrupt file?)",
    )


def nul_byte(name: str, lineno: int) -> LocatedError:
    """A NUL byte is never part of a word: text has none (UTF-16 and binary data do)."""
    return LocatedError(
        lineno,
        f"{name}: line ",
        " contains a NUL byte, which text never does (binary data, or UTF-16?); "
        "give a UTF-8 text file (convert UTF-16 with iconv, or remove the NULs: tr -d '\\0')",
    )


def utf8_error(name: str, data: bytes, pos: int, lineno: int, line_offset: int) -> LocatedError:
    """The invalid byte ``data[pos]`` as line and byte column; ``data`` starts at byte
    ``line_offset`` of line ``lineno``."""
    newlines = data.count(b"\n", 0, pos)
    line_start = data.rfind(b"\n", 0, pos) + 1
    column = pos - line_start + 1 + (line_offset if newlines == 0 else 0)
    return LocatedError(
        lineno + newlines,
        f"{name}: line ",
        f" is not valid UTF-8 (byte 0x{data[pos]:02x} at column {column}); "
        "fix the file or pass --encoding-errors replace",
    )


def check_text(head: bytes, name: str) -> None:
    """Refuse what is plainly not UTF-8 text, judging by the first ``SNIFF_BYTES``."""
    for magic, kind, how in _OTHER_FORMATS:
        if head.startswith(magic):
            raise UserError(f"{name} is {kind}, not a text corpus; {how}")
    nuls = head.count(b"\0")
    if nuls * 100 > len(head):
        raise UserError(
            f"{name} looks like a binary file, not a text corpus "
            f"({nuls:,} NUL byte{'s' * (nuls != 1)} in the first {len(head):,} bytes); "
            "give a UTF-8 text file (convert UTF-16 with iconv)"
        )
    controls = len(head) - len(head.translate(None, _BINARY_CONTROLS))
    if controls * 20 > len(head):
        raise UserError(
            f"{name} looks like a binary file, not a text corpus "
            f"({controls:,} control byte{'s' * (controls != 1)} in the first {len(head):,} bytes); "
            "give a UTF-8 text file (plain, .gz or .bz2)"
        )


def start_of_text(head: bytes, name: str) -> int:
    """Where the text starts after a UTF-8 BOM (0 or 3), once the first ``SNIFF_BYTES``
    after it pass :func:`check_text`."""
    start = len(_BOM) if head.startswith(_BOM) else 0
    check_text(head[start : start + SNIFF_BYTES], name)
    return start


def stream_chunks(
    read: Callable[[int], bytes], chunk_bytes: int, name: str
) -> tuple[Iterator[bytes], int]:
    """The chunks of a stream once its start is checked: (chunks, bytes dropped).

    The first ``SNIFF_BYTES`` (and a BOM) are read, however many reads that takes (a
    pipe may deliver a few bytes first), and checked with :func:`start_of_text`; a
    UTF-8 BOM is dropped (its 3 bytes still count in the first line's byte columns).
    The bytes read so far come back in pieces of ``chunk_bytes``, as if read one by one.
    """
    head = read(chunk_bytes)
    if 0 < len(head) < SNIFF_BYTES + len(_BOM):
        parts = [head]
        size = len(head)
        while size < SNIFF_BYTES + len(_BOM):
            more = read(chunk_bytes)
            if not more:
                break
            parts.append(more)
            size += len(more)
        head = b"".join(parts)
        del parts
    dropped = start_of_text(head, name)
    head = head[dropped:]

    def chunks() -> Iterator[bytes]:
        nonlocal head
        if len(head) <= chunk_bytes:
            yield head
        else:
            for i in range(0, len(head), chunk_bytes):
                yield head[i : i + chunk_bytes]
        head = b""
        yield from iter(partial(read, chunk_bytes), b"")

    return chunks(), dropped


def blocks(
    chunks: Iterable[bytes], line_offset: int, name: str
) -> Iterator[tuple[bytes, bool, int, int]]:
    """Cut ``chunks`` into blocks that start and end on token boundaries.

    Yields ``(data, eof, lineno, line_offset)``: ``data`` starts ``line_offset`` bytes
    into line ``lineno`` (1-based, counted from the first chunk) and ends after
    whitespace, except the last one (``eof``), which is the unfinished token at the
    end (often empty). Each chunk is cut after its last whitespace byte; the token
    after the cut is carried into the next chunk. A token that grows beyond
    ``MAX_TOKEN_BYTES`` is a :class:`LocatedError` -- raised after the block before
    it was yielded, so that the first error in the file is the one reported.
    """
    lineno = 1
    carry = b""  # the unfinished token at the end of the previous chunk
    for chunk in chunks:
        buf = carry + chunk if carry else chunk
        del chunk  # (names are dropped as soon as possible: memory is the point)
        cut = max(buf.rfind(b"\n"), buf.rfind(b" "))
        for ws in (b"\t", b"\r", b"\x0b", b"\x0c"):
            i = buf.rfind(ws, cut + 1)
            if i > cut:
                cut = i
        if cut < 0:
            carry = buf
            if len(carry) > MAX_TOKEN_BYTES:
                raise too_long(name, lineno)
            continue
        carry = buf[cut + 1 :]
        if carry:
            buf = buf[: cut + 1]
        if b"\0" in buf:
            raise nul_byte(name, lineno + buf.count(b"\n", 0, buf.index(b"\0")))
        yield buf, False, lineno, line_offset
        newlines = buf.count(b"\n")
        if newlines:
            lineno += newlines
            line_offset = len(buf) - 1 - buf.rfind(b"\n")
        else:
            line_offset += len(buf)
        del buf
        if len(carry) > MAX_TOKEN_BYTES:
            raise too_long(name, lineno)
    if b"\0" in carry:
        raise nul_byte(name, lineno)
    yield carry, True, lineno, line_offset


class _Tokenizer:
    """Turns blocks of bytes that start and end on token boundaries into sentences.

    State carried between blocks: ``pending``, the tokens of the unfinished current line
    (always fewer than ``max_tokens``). ``lineno`` and ``line_offset`` locate the
    block being tokenised (see :func:`blocks`).
    """

    def __init__(self, name: str, errors: str, max_tokens: int):
        self.name = name
        self.errors = errors
        self.max_tokens = max_tokens
        # A line this short (in bytes) has at most max_tokens tokens of legal length.
        self.short_line = min(MAX_TOKEN_BYTES, 2 * max_tokens)
        self.pending: list[str] = []
        self.lineno = 1
        self.line_offset = 0

    # -- one block -------------------------------------------------------------------------

    def block(self, data: bytes, eof: bool, lineno: int, line_offset: int) -> Iterator[list[str]]:
        """Yield the sentences completed by ``data``; at ``eof`` also the last line."""
        self.lineno, self.line_offset = lineno, line_offset
        if data.isascii() and not any(c in data for c in _CTRL_SEPARATORS):
            lines: list = data.decode("ascii").split("\n")
            split_line: Callable[..., list[str]] = str.split
            ws: tuple = _LINE_WS_STR
            fast = None  # plain map(str.split, ...)
        else:
            lines = data.split(b"\n")
            split_line = self._split_bytes_line
            ws = _LINE_WS_BYTES
            fast = self._fast_bytes_lines
        try:
            yield from self._lines(lines, split_line, ws, fast, eof)
        except UnicodeDecodeError:
            raise self._utf8_error(data) from None

    def _lines(self, lines, split_line, ws, fast, eof: bool) -> Iterator[list[str]]:
        n = len(lines)
        # The first piece continues the current line; it ends it unless it is the only one.
        yield from self._feed(lines[0], split_line, ws, n > 1 or eof, self.lineno)
        if n == 1:
            return
        middle = lines[1:-1]
        if middle:
            if max(map(len, middle)) <= self.short_line:
                # Every line fits in one sentence: no pending tokens, no long tokens.
                if fast is None:
                    yield from filter(None, map(str.split, middle))
                else:
                    yield from fast(middle)
            else:
                short_line = self.short_line
                for i, line in enumerate(middle, self.lineno + 1):
                    if len(line) <= short_line:
                        tokens = split_line(line)
                        if tokens:
                            yield tokens
                    else:
                        yield from self._feed(line, split_line, ws, True, i)
        yield from self._feed(lines[-1], split_line, ws, eof, self.lineno + n - 1)

    def _feed(self, segment, split_line, ws, end: bool, lineno: int) -> Iterator[list[str]]:
        """Add ``segment`` (part of one line) to the pending tokens; flush full pieces.

        If ``end``, the line ends after ``segment`` and what is pending is yielded too.
        """
        max_tokens = self.max_tokens
        pending = self.pending
        if len(segment) <= _WINDOW:
            windows: Iterable = (segment,)
        else:
            windows = self._windows(segment, ws, lineno)
        for window in windows:
            tokens = split_line(window)
            if not tokens:
                continue
            if pending:
                pending.extend(tokens)
            else:
                pending = tokens
            if len(pending) >= max_tokens:
                full = len(pending) - len(pending) % max_tokens
                for i in range(0, full, max_tokens):
                    yield pending[i : i + max_tokens]
                pending = pending[full:]
        if end:
            if pending:
                yield pending
            pending = []
        self.pending = pending

    def _windows(self, segment, ws, lineno: int) -> Iterator:
        """Cut a long line segment (starting on a token boundary) at whitespace into
        windows of about _WINDOW bytes, checking that no token exceeds MAX_TOKEN_BYTES."""
        n = len(segment)
        pos = 0
        while n - pos > _WINDOW:
            end = pos + _WINDOW
            cut = max(segment.rfind(c, pos, end) for c in ws)
            if cut < 0:  # a token longer than _WINDOW: find where it ends
                limit = pos + MAX_TOKEN_BYTES + 1
                found = [i for i in (segment.find(c, end, limit) for c in ws) if i >= 0]
                if found:
                    cut = min(found)
                elif limit <= n:
                    raise too_long(self.name, lineno)
                else:  # the rest is one token of acceptable length
                    break
            yield segment[pos : cut + 1]
            pos = cut + 1
        yield segment[pos:]

    # -- decoding non-ASCII lines ----------------------------------------------------------

    def _split_bytes_line(self, line: bytes) -> list[str]:
        tokens = line.split()
        if not tokens:
            return []
        # Whitespace never occurs inside a UTF-8 sequence, so decoding the tokens joined
        # by single spaces and splitting on " " gives each token decoded on its own.
        words = str(b" ".join(tokens), "utf-8", self.errors).split(" ")
        if self.errors == "ignore":
            words = [w for w in words if w]  # a token of only bad bytes decodes to ""
        return words

    def _fast_bytes_lines(self, lines: list[bytes]) -> Iterator[list[str]]:
        if self.errors == "ignore":
            return filter(None, map(self._split_bytes_line, lines))
        joined = map(b" ".join, filter(None, map(bytes.split, lines)))
        decoded = map(str, joined, repeat("utf-8"), repeat(self.errors))
        return map(str.split, decoded, repeat(" "))

    # -- errors ----------------------------------------------------------------------------

    def _utf8_error(self, data: bytes) -> LocatedError:
        """Locate the first invalid byte of ``data`` (it has one: a token did not decode)."""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as located:
            return utf8_error(self.name, data, located.start, self.lineno, self.line_offset)
        raise AssertionError("tokens hold exactly the non-whitespace bytes of data")
