"""Tests for the streaming corpus reader (w2v_nce.io.corpus)."""

from __future__ import annotations

import bz2
import gzip
import io
import math
import random
import subprocess
import sys
import textwrap
import tracemalloc
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from w2v_nce.errors import UsageError, UserError
from w2v_nce.io import corpus
from w2v_nce.io.corpus import MAX_SENTENCE_TOKENS, open_corpus
from w2v_nce.io.encode import encode_corpus


def read_all(path, **kwargs) -> list[list[str]]:
    return list(corpus.iter_sentences(str(path), **kwargs))


def reference(text: str, max_tokens: int = MAX_SENTENCE_TOKENS) -> list[list[str]]:
    """The naive definition: split lines, split tokens, cut long lines into pieces."""
    out = []
    for line in text.splitlines():
        tokens = line.split()
        out.extend(tokens[i : i + max_tokens] for i in range(0, len(tokens), max_tokens))
    return out


def user_error(path, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        read_all(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


SAMPLE = (
    "the quick  brown fox\n"
    "\n"
    "   \t \n"
    "jumps\tover the\r\n"
    "lazy dog café 日本語 𝔘nicode\r\n"
    "\n"
    "end of  text"
)
SAMPLE_SENTENCES = [
    ["the", "quick", "brown", "fox"],
    ["jumps", "over", "the"],
    ["lazy", "dog", "café", "日本語", "𝔘nicode"],
    ["end", "of", "text"],
]


# -- splitting -------------------------------------------------------------------------------


def test_sample_and_empty_lines_skipped(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(SAMPLE.encode())
    assert read_all(path) == SAMPLE_SENTENCES
    assert reference(SAMPLE) == SAMPLE_SENTENCES


def test_empty_and_blank_files_yield_nothing(tmp_path):
    for i, content in enumerate([b"", b"\n", b"\n\n \t\r\n\x0b\x0c\n", b"   "]):
        path = tmp_path / f"blank{i}.txt"
        path.write_bytes(content)
        assert read_all(path) == []


def test_long_line_is_split_into_pieces_not_truncated(tmp_path):
    words = [f"w{i}" for i in range(25_001)]
    path = tmp_path / "long.txt"
    path.write_bytes(("first line\n" + " ".join(words) + "\nlast line\n").encode())
    pieces = read_all(path)
    assert pieces[0] == ["first", "line"]
    assert pieces[-1] == ["last", "line"]
    assert [len(p) for p in pieces[1:-1]] == [10_000, 10_000, 5_001]
    assert [w for p in pieces[1:-1] for w in p] == words


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 13, 64, 1 << 20])
@pytest.mark.parametrize("max_tokens", [1, 2, 3, 10_000])
def test_small_chunks_and_pieces_match_reference(tmp_path, chunk_bytes, max_tokens):
    path = tmp_path / "c.txt"
    path.write_bytes(SAMPLE.encode())
    got = read_all(path, max_tokens=max_tokens, chunk_bytes=chunk_bytes)
    assert got == reference(SAMPLE, max_tokens)


def test_only_ascii_whitespace_separates_tokens(tmp_path):
    # \v and \f are ASCII whitespace; no-break space, ideographic space and the
    # \x1c-\x1f separators (which str.split() would honour) are part of the word.
    text = "a\x0bb\x0cc\nd\u00a0e f\u3000g h\x1ci j\x1fk\n"
    path = tmp_path / "ws.txt"
    path.write_bytes(text.encode())
    expected = [["a", "b", "c"], ["d\u00a0e", "f\u3000g", "h\x1ci", "j\x1fk"]]
    for chunk_bytes in (1, 5, 1 << 20):
        assert read_all(path, chunk_bytes=chunk_bytes) == expected


def test_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfhello world\nbye\n")
    for chunk_bytes in (1, 2, 3, 4, 1 << 20):
        assert read_all(path, chunk_bytes=chunk_bytes) == [["hello", "world"], ["bye"]]


def test_very_long_lines_match_reference(tmp_path):
    # Lines far longer than the 16 KiB tokenising window, with and without non-ASCII
    # text, a 100,000-byte token (the longest allowed) and no final newline.
    rng = random.Random(7)
    alphabet = ["a", "b", "cd", "é", "日本", "𝔘"]

    def line(n_tokens):
        return " ".join(
            "".join(rng.choices(alphabet, k=rng.randint(1, 6))) for _ in range(n_tokens)
        )

    text = "\n".join(
        [
            line(30_000),
            "ascii " * 20_000,
            "short line",
            "x" * 100_000 + " tail",
            "head\t" + "y" * 100_000,
            line(25_000),
        ]
    )
    path = tmp_path / "long.txt"
    path.write_bytes(text.encode())
    for chunk_bytes in (1 << 20, 50_000, 4_099):
        for max_tokens in (10_000, 777):
            got = read_all(path, max_tokens=max_tokens, chunk_bytes=chunk_bytes)
            assert got == reference(text, max_tokens)


_WORD_PARTS = ["a", "b", "xyz", "Q", "é", "日本", "𝔘", "e\u0301", "\u0301"]
_SEPARATORS = [" ", "  ", "\t", " \t ", "\n", "\r\n", "\n\n", "\n \n", "\t\r\n", "\n\t\n"]
_words = st.lists(st.sampled_from(_WORD_PARTS), min_size=1, max_size=4).map("".join)
_texts = st.lists(st.one_of(_words, st.sampled_from(_SEPARATORS)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    text=_texts,
    chunk_bytes=st.integers(1, 64),
    max_tokens=st.one_of(st.integers(1, 5), st.just(MAX_SENTENCE_TOKENS)),
)
def test_property_equivalent_to_naive_reference(tmp_path_factory, text, chunk_bytes, max_tokens):
    path = tmp_path_factory.mktemp("prop") / "c.txt"
    path.write_bytes(text.encode())
    got = read_all(path, max_tokens=max_tokens, chunk_bytes=chunk_bytes)
    assert got == reference(text, max_tokens)


_BAD_BYTES = [b"\xff", b"\x80", b"\xc3", b"\xe6\x97", b"\xf0\x9d\x94", b"\xed\xa0\x80"]
_raw_parts = st.one_of(
    _words.map(str.encode),
    st.sampled_from(_SEPARATORS).map(str.encode),
    st.sampled_from(_BAD_BYTES),
)


@settings(max_examples=200, deadline=None)
@given(
    raw=st.lists(_raw_parts, max_size=30).map(b"".join),
    errors=st.sampled_from(["replace", "ignore"]),
    chunk_bytes=st.integers(1, 64),
    max_tokens=st.integers(1, 4),
)
def test_property_lenient_decoding_matches_whole_file_decode(
    tmp_path_factory, raw, errors, chunk_bytes, max_tokens
):
    path = tmp_path_factory.mktemp("prop") / "c.txt"
    path.write_bytes(raw)
    got = read_all(path, encoding_errors=errors, max_tokens=max_tokens, chunk_bytes=chunk_bytes)
    assert got == reference(raw.decode("utf-8", errors), max_tokens)


# -- sources: compressed files and stdin -----------------------------------------------------


def test_gzip_bz2_and_stdin_read_like_plain(tmp_path, monkeypatch):
    data = SAMPLE.encode()
    (tmp_path / "c.txt").write_bytes(data)
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(data))
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(data))
    (tmp_path / "gzip-without-extension.txt").write_bytes(gzip.compress(data))
    (tmp_path / "bzip2-without-extension").write_bytes(bz2.compress(data))
    for name in [
        "c.txt",
        "c.txt.gz",
        "c.txt.bz2",
        "gzip-without-extension.txt",
        "bzip2-without-extension",
    ]:
        for chunk_bytes in (3, 1 << 20):
            assert read_all(tmp_path / name, chunk_bytes=chunk_bytes) == SAMPLE_SENTENCES, name
        with open_corpus(str(tmp_path / name)) as stream:
            assert stream.read() == data

    stdin = types.SimpleNamespace(buffer=io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert open_corpus("-") is stdin.buffer
    assert read_all("-", chunk_bytes=5) == SAMPLE_SENTENCES
    assert not stdin.buffer.closed  # stdin is not ours to close


def test_multi_member_gzip(tmp_path):
    path = tmp_path / "c.gz"
    path.write_bytes(gzip.compress(b"one two\nthree") + gzip.compress(b" four\nfive\n"))
    assert read_all(path) == [["one", "two"], ["three", "four"], ["five"]]


# -- invalid UTF-8 ---------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [*range(1, 13), 1 << 20])
def test_invalid_utf8_names_line_and_column(tmp_path, chunk_bytes):
    # The truncated 3-byte sequence straddles a chunk boundary for most chunk sizes.
    path = tmp_path / "bad.txt"
    path.write_bytes(b"first line\nsecond \xc3\xa9\nok \xe6\x97 bad\nfourth\n")
    message = user_error(path, chunk_bytes=chunk_bytes)
    assert message == (
        f"{path}: line 3 is not valid UTF-8 (byte 0xe6 at column 4); "
        "fix the file or pass --encoding-errors replace"
    )


@pytest.mark.parametrize("chunk_bytes", [1, 4, 7, 1 << 20])
def test_invalid_utf8_column_counts_bytes_of_the_whole_line(tmp_path, chunk_bytes):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"a\n\n" + "wörd ".encode() * 5 + b"x\xff")
    message = user_error(path, chunk_bytes=chunk_bytes)
    assert "line 3 is not valid UTF-8 (byte 0xff at column 32)" in message


def test_invalid_utf8_replace_and_ignore(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"first line\nsecond\nbad\xff byte \xc3\n")
    assert read_all(path, encoding_errors="replace") == [
        ["first", "line"],
        ["second"],
        ["bad\ufffd", "byte", "\ufffd"],
    ]
    assert read_all(path, encoding_errors="ignore", chunk_bytes=2) == [
        ["first", "line"],
        ["second"],
        ["bad", "byte"],
    ]


def test_unknown_encoding_errors_is_a_usage_error(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a b\n")
    with pytest.raises(UsageError, match="encoding-errors"):
        read_all(path, encoding_errors="surrogateescape")


# -- files that are not usable corpora -------------------------------------------------------


def test_missing_file(tmp_path):
    assert "no such file" in user_error(tmp_path / "nope.txt")


def test_directory(tmp_path):
    assert "is a directory" in user_error(tmp_path)


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "c.txt"
    path.write_bytes(b"a b\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(corpus, "open", denied, raising=False)
    assert "permission denied" in user_error(path)


@pytest.mark.parametrize(
    "compress, suffix, kind", [(gzip.compress, ".txt.gz", "gzip"), (bz2.compress, ".bz2", "bzip2")]
)
def test_truncated_archive(tmp_path, compress, suffix, kind):
    data = compress(b"hello world\n" * 1000)
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(data[: len(data) // 2])
    assert f"is not a valid {kind} file" in user_error(truncated)


def test_corrupt_gzip(tmp_path):
    data = gzip.compress(b"hello world\n" * 1000)
    damaged = bytearray(data)
    damaged[-8:-4] = b"\0\0\0\0"  # the CRC32 in the trailer
    bad_crc = tmp_path / "crc.gz"
    bad_crc.write_bytes(bytes(damaged))
    assert "is not a valid gzip file" in user_error(bad_crc)
    garbage = tmp_path / "garbage"  # gzip magic, then junk: detected by content, not name
    garbage.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    assert "is not a valid gzip file" in user_error(garbage)


def test_binary_nul_garbage(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 40 + b"\0" * 1000)
    assert "looks like a binary file" in user_error(path)
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("hello world\n".encode("utf-16"))
    assert "looks like a binary file" in user_error(utf16)


@pytest.mark.parametrize("chunk_bytes", [1000, 1 << 20])
def test_token_longer_than_100k_bytes(tmp_path, chunk_bytes):
    for i, content in enumerate(
        [
            b"ok\nfine line\n" + b"z" * 100_001 + b"\nmore\n",
            b"ok\nfine line\nx " + b"z" * 100_001,
            b"ok\nfine line\n" + b"a " * 60_000 + b"z" * 150_000 + b" b",
        ]
    ):
        path = tmp_path / f"blob{i}"
        path.write_bytes(content)
        message = user_error(path, chunk_bytes=chunk_bytes)
        assert "line 3" in message
        assert "not look like a text corpus" in message


# -- memory ----------------------------------------------------------------------------------


def test_single_30mb_line_streams_in_bounded_memory(tmp_path):
    unit = b"distributional semantics of representation learning "  # 5 tokens
    reps = 30_000_000 // len(unit)
    path = tmp_path / "one-line.txt"
    path.write_bytes(unit * reps)  # ~30 MB, no newline at all
    del unit
    chunk_bytes = 1 << 20  # the default
    expected_tokens = 5 * reps

    tracemalloc.start()
    try:
        n_pieces = n_tokens = 0
        first = last = None
        for piece in corpus.iter_sentences(str(path)):
            if first is None:
                first = piece[:5]
            last = piece[-2:]
            n_pieces += 1
            n_tokens += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert n_tokens == expected_tokens
    assert n_pieces == math.ceil(expected_tokens / MAX_SENTENCE_TOKENS)
    assert first == ["distributional", "semantics", "of", "representation", "learning"]
    assert last == ["representation", "learning"]
    # The reader holds a chunk as bytes and as decoded text, plus a transient copy while
    # cutting it at its last whitespace (<= 3 chunks), fewer than max_tokens pending tokens,
    # one 16 KiB window of tokens and the piece being yielded (~1.5 MiB of ~60-byte str
    # objects). Measured: ~4.3 MiB. Holding the line would take > 30 MB for the bytes alone
    # and ~300 MB for its 3 million tokens.
    assert peak < 4 * chunk_bytes + 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# -- the first 64 KiB of a stream ------------------------------------------------------------


class ShortReads:
    """A stream that returns the given pieces, one per read, like a pipe."""

    def __init__(self, *pieces: bytes):
        self.pieces = list(pieces)
        self.reads = 0

    def read(self, size: int) -> bytes:
        self.reads += 1
        if not self.pieces:
            return b""
        piece = self.pieces.pop(0)
        if len(piece) > size:
            self.pieces.insert(0, piece[size:])
        return piece[:size]


BINARY = bytes(range(256)) * 256  # 64 KiB with NULs and control bytes


@pytest.mark.parametrize("reader", ["iter_sentences", "encode_corpus"])
def test_binary_after_a_short_text_read_is_refused(monkeypatch, reader):
    stdin = ShortReads(b"the cat sat on the mat\n", BINARY)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=stdin))
    with pytest.raises(UserError) as info:
        if reader == "iter_sentences":
            read_all("-")
        else:
            encode_corpus("-", min_count=1)
    assert str(info.value).startswith("<stdin> looks like a binary file, not a text corpus")
    assert "in the first 65,536 bytes" in str(info.value)


def test_text_in_many_short_reads_is_read_whole(monkeypatch):
    text = "".join(f"line {i} of text\n" for i in range(10_000)).encode()  # 180 KB
    pieces = [text[i : i + 100] for i in range(0, len(text), 100)]
    stdin = ShortReads(b"\xef\xbb\xbf", *pieces)
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=stdin))
    assert read_all("-", chunk_bytes=7) == reference(text.decode())


def test_only_the_first_64_kib_are_judged_as_binary(tmp_path):
    """The first 64 KiB are judged as a whole ("looks like a binary file"); a NUL after
    them is never part of a word either, but an error naming its line (issue 27)."""
    path = tmp_path / "c.txt"
    path.write_bytes(b"word " * 13_200 + b"\0" * 1000 + b" end\n")
    assert "line 1 contains a NUL byte" in user_error(path)
    path.write_bytes(b"word\n" * 13_200 + b"the\0cat\n")
    assert "line 13201 contains a NUL byte" in user_error(path)
    path.write_bytes(b"word " * 12_800 + b"\0" * 1000 + b" end\n")
    assert "looks like a binary file" in user_error(path)


# The writer waits until the reader has taken its first line out of the pipe before
# it writes the binary part, so the reader's first read is short.
WRITER = textwrap.dedent(
    """
    import array, fcntl, os, sys, termios, time
    out = sys.stdout.buffer
    out.write(b"the cat sat on the mat\\n")
    out.flush()
    waiting = array.array("i", [1])
    deadline = time.monotonic() + 60
    while waiting[0] and time.monotonic() < deadline:
        time.sleep(0.01)
        fcntl.ioctl(out.fileno(), termios.FIONREAD, waiting)
    time.sleep(0.2)
    out.write(bytes(range(256)) * 256)
    """
)


def test_cli_refuses_binary_stdin_whose_first_read_is_short_text(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE)
    try:
        result = run_cli("train", "-", "-o", tmp_path / "v.txt", stdin=writer.stdout)
    finally:
        writer.stdout.close()
        writer.wait(timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: <stdin> looks like a binary file, not a text corpus"), line
    assert list(tmp_path.iterdir()) == []
