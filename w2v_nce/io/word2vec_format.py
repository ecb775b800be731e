"""The word2vec text and binary vector formats, as gensim reads and writes them.

Both start with an ASCII header line ``"<V> <D>\\n"``, followed by V records:

* text: ``word v1 v2 ... vD\\n`` -- one line per word, values in decimal;
* binary: ``word`` + ``b" "`` + D little-endian float32 (4*D raw bytes), then
  ``b"\\n"``. word2vec.c writes that newline, gensim does not; readers strip
  newlines before a word, so both variants are accepted.

Words are UTF-8 and may be in any script. They cannot contain ASCII whitespace:
the space ends the word in both formats and a newline ends a text line (the
corpus reader never produces such words). Other whitespace, such as a no-break
space, is an ordinary character of the word.

The reader is stricter than gensim where gensim would silently produce a wrong
model (more rows than the header announces, an empty word, a NaN or infinite
value, a malformed text file that also happens to parse as binary) and reports every
problem as a one-line :class:`UserError` naming the line (text) or record
(binary). Like gensim it keeps the first of duplicated words and drops the rest.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from w2v_nce.errors import UserError
from w2v_nce.io.atomic import atomic_output

log = logging.getLogger(__name__)

# Rows formatted per ``%`` operation / write call when writing text, and the most
# values per block (~24 bytes each as Python floats), so that huge dimensions do
# not need gigabytes of temporaries.
_TEXT_BLOCK_ROWS = 1024
_TEXT_BLOCK_VALUES = 1 << 18
# Bytes read at a time when reading binary files.
_BINARY_CHUNK = 1 << 20
# Longest word accepted in a binary file. word2vec.c caps words at 100 bytes; a
# much larger cap only exists so that a file that is not in this format at all
# produces an error instead of scanning the whole file for a space.
_MAX_WORD_BYTES = 1 << 16
# Longest header line accepted.
_MAX_HEADER_BYTES = 256
# Values checked for NaN/infinity at a time (a 4 MB boolean temporary).
_FINITE_BLOCK_VALUES = 1 << 22
# Bytes that can appear in a text record after the word: printable ASCII and
# ASCII whitespace. A binary float32 vector almost always contains others.
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\x0b\x0c"
# The only characters a word cannot contain: the separators of both formats and of
# the corpus reader. Other whitespace (no-break space, U+3000, U+2028...) is part of
# the word, as the corpus reader keeps it, and gensim reads it back unchanged.
_ASCII_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")
_WHITESPACE = re.compile("[ \t\n\r\x0b\x0c]")


def _check_word(word: str) -> None:
    if not isinstance(word, str) or not word:
        raise ValueError(f"word2vec words must be non-empty strings, got {word!r}")
    if any(ch in _ASCII_WHITESPACE for ch in word):
        raise ValueError(f"word2vec words cannot contain ASCII whitespace: {word!r}")
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"word2vec words must be valid Unicode (no lone surrogates): {word!r}"
        ) from None


def _check_words(words: list[str]) -> None:
    """:func:`_check_word` of every word, in C: one search and one encoding of all of
    them joined (a call per word took 0.15 s of a 27k-word file's write, seconds for
    millions); when something is wrong, the word-by-word check says what and where."""
    try:
        text = "".join(words)
        valid = all(words) and _WHITESPACE.search(text) is None and bool(text.encode("utf-8"))
    except (TypeError, UnicodeEncodeError):
        valid = False
    if not valid:
        for word in words:
            _check_word(word)


def write_word2vec(
    path: str | os.PathLike,
    words: list[str],
    vectors: np.ndarray,
    binary: bool = False,
) -> None:
    """Write ``words`` and their ``vectors`` (V x D) in word2vec text or binary format.

    The file is written through :func:`atomic_output`, so an existing file is only
    replaced once the new one is complete. Text values use ``%.9g``: nine
    significant digits are enough for every float32 to read back bit-identically
    (including subnormals; ``-0``, ``inf`` and ``nan`` are written as such), and
    Python's C-level ``%`` formatting of a whole block of rows is several times
    faster than formatting numbers one by one.

    A path ending in ``.gz`` is written gzipped.

    Raises ``ValueError`` for programming errors: shape mismatch, no words, a word
    that is empty, contains ASCII whitespace or is repeated.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[1] < 1:
        raise ValueError(f"vectors must be a V x D array with D >= 1, got shape {vectors.shape}")
    if len(words) != vectors.shape[0]:
        raise ValueError(f"{len(words)} words but {vectors.shape[0]} vectors")
    if not words:
        raise ValueError("cannot write a word2vec file without words")
    _check_words(words)
    if len(set(words)) != len(words):
        raise ValueError("words must be unique")
    n_words, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype="<f4")

    with atomic_output(path) as raw, _compressed_if_named(raw, path) as fh:
        fh.write(f"{n_words} {dim}\n".encode("ascii"))
        if binary:
            _write_binary_rows(fh, words, vectors)
        else:
            _write_text_rows(fh, words, vectors)


@contextlib.contextmanager
def _compressed_if_named(raw: BinaryIO, path) -> Iterator[BinaryIO]:
    """``raw``, gzipped when ``path`` ends in ``.gz`` (as gensim's writer does: its
    reader, and ours, then read it back; plain text under a .gz name was refused by
    gensim's). Level 6, and no timestamp in the header: the same vectors make the same
    bytes."""
    if not os.fspath(path).lower().endswith(".gz"):
        yield raw
        return
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as fh:
        yield fh


def _write_binary_rows(fh: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    buf = bytearray()
    for word, row in zip(words, vectors, strict=True):
        buf += word.encode("utf-8")
        buf += b" "
        buf += row.tobytes()
        buf += b"\n"
        if len(buf) >= _BINARY_CHUNK:
            fh.write(buf)
            buf.clear()
    fh.write(buf)


def _write_text_rows(fh: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    dim = vectors.shape[1]
    line_format = "%s " + " ".join(["%.9g"] * dim) + "\n"
    block = max(1, min(_TEXT_BLOCK_ROWS, _TEXT_BLOCK_VALUES // dim))
    for start in range(0, len(words), block):
        # tolist() turns float32 into Python floats exactly, so %.9g sees the
        # float32 value itself.
        rows = vectors[start : start + block].tolist()
        block_words = words[start : start + block]
        flat: list = []
        for word, row in zip(block_words, rows, strict=True):
            flat.append(word)
            flat.extend(row)
        fh.write(((line_format * len(rows)) % tuple(flat)).encode("utf-8"))


# --------------------------------------------------------------------------- reading


def _check_regular_file(shown: str, what: str) -> None:
    try:
        mode = os.stat(shown).st_mode
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file") from None
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        raise UserError(f"{shown} is a directory, not a {what}")
    # Format detection seeks back to the first record, and the file size bounds
    # the allocation, so pipes and devices are refused (opening a FIFO would even
    # block until someone writes to it).
    if not stat.S_ISREG(mode):
        raise UserError(f"{shown} is not a regular file; copy it to a file first")


def _open_for_reading(path: str | os.PathLike) -> BinaryIO:
    """The file, or a temporary file holding what a gzipped one decompresses to (the
    readers seek and take the file's size)."""
    shown = os.fspath(path)
    _check_regular_file(shown, "vectors file")
    try:
        fh = open(shown, "rb")
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror}") from exc
    if fh.peek(2)[:2] != b"\x1f\x8b":
        return fh
    with fh:
        plain = tempfile.TemporaryFile()
        try:
            with gzip.GzipFile(fileobj=fh, mode="rb") as unzipped:
                shutil.copyfileobj(unzipped, plain, 1 << 20)
        except (OSError, EOFError, zlib.error) as exc:
            plain.close()
            raise UserError(
                f"{shown} is not a valid gzip file ({_one_line(exc)}); re-download or recompress it"
            ) from None
    plain.seek(0)
    return plain


# fastText's .bin starts with this int32 (little-endian): its FASTTEXT_FILEFORMAT_MAGIC
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")


def _read_header(fh: BinaryIO, shown: str) -> tuple[int, int]:
    raw = fh.readline(_MAX_HEADER_BYTES + 1)
    if not raw:
        raise UserError(f"{shown}: file is empty; expected a word2vec text or binary file")
    if raw.startswith(_FASTTEXT_MAGIC):  # what --fasttext-bin writes: not "binary data"
        raise UserError(
            f"{shown}: a fastText .bin model (as train --fasttext-bin writes), which w2v-nce "
            "does not read; give the run's --save-model .npz or its -o vectors file"
        )
    fields = raw.split()
    try:
        n_words, dim = (int(f) for f in fields)
        if n_words < 1 or dim < 1:
            raise ValueError
    except ValueError:
        snippet = raw[:40].decode("utf-8", "replace").strip()
        if snippet.isprintable():
            shown_header = f"bad header {snippet!r}"
        else:  # binary data: no raw bytes in a message
            shown_header = "binary data, not a header"
        raise UserError(
            f"{shown}: line 1: {shown_header}; expected two positive integers "
            f"'<number of words> <dimensions>' (a word2vec text or binary file, or a "
            f"model saved by w2v-nce)"
        ) from None
    return n_words, dim


class _Collector:
    """Accumulates rows, dropping repeated words the way gensim does (first one wins).

    ``unit`` ("line" or "record") is how errors name a row's place in the file.
    """

    def __init__(self, shown: str, unit: str, n_words: int, dim: int, max_rows: int):
        self.shown = shown
        self.unit = unit
        # Never trust the header for the allocation size: a corrupt header must
        # give a format error, not a MemoryError. No record can be shorter than
        # 2*D + 1 bytes, which bounds how many rows the file can really hold.
        rows = min(n_words, max_rows)
        self.vectors = np.empty((rows, dim), dtype=np.float32)
        # The line or record number of each kept row, for check_finite's message.
        self.origin = np.empty(rows, dtype=np.int64)
        self.words: list[str] = []
        self.seen: set[str] = set()
        self.filled = 0
        self.duplicates = 0

    def accept(self, word: str, origin: int) -> bool:
        """Register ``word`` from line/record ``origin``; False if it is a duplicate to skip."""
        if word in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(word)
        self.origin[len(self.words)] = origin
        self.words.append(word)
        return True

    def store(self, values) -> None:
        """Write the row of the word just accepted: D floats or D numeric byte strings."""
        self.vectors[self.filled] = values
        self.filled += 1

    def check_finite(self) -> None:
        """:func:`check_finite` on the rows stored so far."""
        check_finite(
            self.vectors[: self.filled],
            self.words,
            lambda row: f"{self.shown}: {self.unit} {self.origin[row]}",
        )

    def finish(self) -> tuple[list[str], np.ndarray]:
        self.check_finite()
        if self.duplicates:
            log.warning(
                "%s: %d duplicate words ignored (the first occurrence of each is kept)",
                self.shown,
                self.duplicates,
            )
        return self.words, self.vectors[: self.filled]


def check_finite(matrix: np.ndarray, words: list[str], location: Callable[[int], str]) -> None:
    """Raise :class:`UserError` at the first row of ``matrix`` holding a NaN or infinity.

    Training never writes such a model (it stops with a divergence error instead),
    so one in a vectors file or model means damage or another tool's diverged run,
    and every cosine with that row would silently be NaN. ``location(row)`` is the
    start of the message: file and line, record or matrix. Checked in blocks so
    that a large matrix needs no V x D temporary.
    """
    if not len(matrix):
        return
    block = max(1, _FINITE_BLOCK_VALUES // max(1, matrix.shape[1]))
    for start in range(0, len(matrix), block):
        finite = np.isfinite(matrix[start : start + block]).all(axis=1)
        if finite.all():
            continue
        row = start + int(np.argmin(finite))
        column = int(np.argmin(np.isfinite(matrix[row])))
        raise UserError(
            f"{location(row)}: value {column + 1} of {words[row]!r} is "
            f"{float(matrix[row, column])}; word vectors must be finite (no NaN or infinity; "
            f"a value beyond ±3.4e38 overflows float32 to infinity)"
        )


def _max_rows(fh: BinaryIO, dim: int) -> int:
    try:
        remaining = os.fstat(fh.fileno()).st_size - fh.tell()
    except OSError:  # cannot happen for the regular files we open; trust the header
        return 1 << 62
    # Every row takes at least 2*D + 1 bytes ("w 0 0 ... 0"), so the file cannot
    # hold more rows than this however many the header claims.
    return max(remaining, 0) // (2 * dim + 1)


def _decode_word(raw: bytes, where: str) -> str:
    if not raw:
        raise UserError(f"{where}: empty word")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{where}: word is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None


def _first_record_is_binary(fh: BinaryIO, dim: int) -> bool:
    """Decide the format from the first record alone; leaves ``fh`` where it was.

    Looking at what follows the first word's space, up to the end of the line:

    1. a byte that is neither printable ASCII nor ASCII whitespace: binary (a text
       row has only numbers after the word; a float32 vector practically always
       has such a byte: a zero byte, the sign bit, a control code);
    2. exactly D whitespace-separated numbers: text, even when the file would
       also parse as binary (D 3-character numbers take exactly 4*D bytes with
       the newline, like a binary vector) and even when a number is NaN or
       infinite (the text reader then says which);
    3. otherwise -- printable, but not D numbers -- binary only if it is a
       word2vec.c record whose vector bytes happen to be printable: exactly 4*D
       bytes after the space, then a newline. Anything else is a malformed text
       row, and the text reader reports it.

    A binary vector is all printable only for D of 1 or 2 in practice, so only
    such files reach rules 2 and 3. The price of never reading a malformed text
    file as binary garbage: a binary file in gensim's layout (no newline between
    records) whose bytes are printable up to the first newline byte is refused
    with a text error; ``read_word2vec(path, binary=True)`` still reads it.
    """
    start = fh.tell()
    try:
        first = fh.readline(_MAX_WORD_BYTES + 64 * dim + 1024)
        space = first.find(b" ")
        rest = first[space + 1 :] if space >= 0 else b""
        if rest.translate(None, _TEXT_BYTES):
            return True
        tokens = rest.split()
        if space < 0 or (len(tokens) == dim and all(_is_number(t) for t in tokens)):
            return False
        vector_end = start + space + 1 + 4 * dim
        if vector_end >= os.fstat(fh.fileno()).st_size:  # the header's D may be absurd
            return False
        fh.seek(vector_end)
        return fh.read(1) == b"\n"
    finally:
        fh.seek(start)


def _read_text_rows(fh: BinaryIO, shown: str, n_words: int, dim: int, out: _Collector) -> None:
    line_no = 1
    for line_no, raw in enumerate(fh, start=2):
        if line_no - 1 > n_words:
            if raw.strip():
                raise UserError(
                    f"{shown}: line {line_no}: more rows than the {n_words} announced in the "
                    f"header; fix the header or remove the extra rows"
                )
            continue
        where = f"{shown}: line {line_no}"
        line = raw.rstrip()
        if not line:
            raise UserError(f"{where}: empty line; expected a word and {dim} values")
        space = line.find(b" ")
        word_raw, values = (line, []) if space < 0 else (line[:space], line[space + 1 :].split())
        word = _decode_word(word_raw, where)
        if len(values) != dim:
            raise UserError(
                f"{where}: expected {dim} values after the word {word!r}, found {len(values)}"
            )
        if not out.accept(word, line_no):
            continue
        try:
            # numpy parses each token like Python's float() and then rounds to
            # float32 -- exactly what gensim's np.float32(token) does. Overflow gives
            # infinity, which check_finite refuses.
            with np.errstate(over="ignore"):
                out.store(values)
        except ValueError:
            bad = next((i for i, v in enumerate(values) if not _is_number(v)), 0)
            token = values[bad][:30].decode("utf-8", "replace")
            raise UserError(
                f"{where}: value {bad + 1} of {word!r} is not a number: {token!r}"
            ) from None
    if line_no - 1 < n_words:
        found = max(line_no - 1, 0)
        raise UserError(
            f"{shown}: line {line_no + 1}: file ends after {found} of the {n_words} rows "
            f"announced in the header; the file is truncated or the header is wrong"
        )


def _is_number(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_binary_records(fh: BinaryIO, shown: str, n_words: int, dim: int, out: _Collector) -> None:
    n_bytes = 4 * dim
    buf = b""
    pos = 0
    eof = False

    def fill(need: int) -> bool:
        """Make ``buf[pos:]`` hold at least ``need`` bytes if the file has them."""
        nonlocal buf, pos, eof
        while len(buf) - pos < need and not eof:
            # Bounded reads: ``need`` comes from the header and may be absurd.
            chunk = fh.read(min(max(_BINARY_CHUNK, need - (len(buf) - pos)), 1 << 24))
            eof = not chunk
            buf = buf[pos:] + chunk
            pos = 0
        return len(buf) - pos >= need

    for record in range(1, n_words + 1):
        where = f"{shown}: record {record}"
        # Newlines between records are optional (word2vec.c writes them, gensim
        # does not), so skip any before the word, like gensim's lstrip("\n").
        while True:
            fill(1)
            if pos < len(buf) and buf[pos] == 0x0A:
                pos += 1
            else:
                break
        searched = 0
        while True:
            space = buf.find(b" ", pos + searched)
            if space >= 0:
                break
            searched = len(buf) - pos
            if searched > _MAX_WORD_BYTES or not fill(searched + 1):
                if searched == 0:
                    message = (
                        f"{where}: file ends after {record - 1} of the {n_words} records "
                        f"announced in the header; the file is truncated or the header is wrong"
                    )
                else:
                    message = (
                        f"{where}: no space after the word within {searched} bytes; truncated "
                        f"or not a word2vec binary file"
                    )
                raise UserError(message)
        if space - pos > _MAX_WORD_BYTES:
            raise UserError(
                f"{where}: word longer than {_MAX_WORD_BYTES} bytes; not a word2vec binary file"
            )
        word = _decode_word(buf[pos:space], where)
        pos = space + 1
        if not fill(n_bytes):
            raise UserError(
                f"{where}: truncated vector for {word!r}: expected {n_bytes} bytes, "
                f"found {len(buf) - pos}"
            )
        if out.accept(word, record):
            out.store(np.frombuffer(buf, dtype="<f4", count=dim, offset=pos))
        pos += n_bytes
    # Only newlines/whitespace may follow the last record.
    while fill(1):
        rest = buf[pos:]
        if rest.strip():
            raise UserError(
                f"{shown}: record {n_words + 1}: data after the {n_words} records announced in "
                f"the header; fix the header or remove the extra data"
            )
        pos = len(buf)


def read_word2vec(
    path: str | os.PathLike, binary: bool | None = None
) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file; return ``(words, float32 V x D vectors)``.

    ``binary=None`` decides the format once, from the first record (see
    :func:`_first_record_is_binary`), and then reports the errors of that format
    only: a malformed text file is never reread as binary. A file valid both ways
    (only possible when the first vector's 4*D bytes spell D numbers) is read as
    text, with a warning if its name ends in ``.bin``; pass ``binary=True`` or
    ``False`` to force a format.

    The file is streamed line by line (text) or record by record (binary).
    Raises :class:`UserError` with the file name and line (text; the header is line
    1) or record (binary; the first word is record 1) number for any problem,
    including a NaN or infinite value (:func:`check_finite`).
    """
    shown = os.fspath(path)
    with _open_for_reading(path) as fh:
        n_words, dim = _read_header(fh, shown)
        if binary is None:
            binary = _first_record_is_binary(fh, dim)
            if not binary and shown.lower().endswith(".bin"):
                log.warning(
                    "%s: reading it as word2vec text although the name ends in .bin: its "
                    "first row is a word and %d numbers, as in a text file",
                    shown,
                    dim,
                )
        out = _Collector(shown, "record" if binary else "line", n_words, dim, _max_rows(fh, dim))
        try:
            (_read_binary_records if binary else _read_text_rows)(fh, shown, n_words, dim, out)
        except UserError:
            out.check_finite()  # a NaN on an earlier line is the first problem in the file
            raise
    return out.finish()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
