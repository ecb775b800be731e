"""The on-disk id encoding: files in parallel, token lists, vocabulary rules, fingerprints."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from w2v_nce.errors import UserError
from w2v_nce.io import first_pass
from w2v_nce.io.corpus import iter_sentences
from w2v_nce.io.encode import count_words, encode_corpus
from w2v_nce.io.stale import host
from w2v_nce.vocab import Fixed, Merged, Vocabulary

TEXT = "b a c a\n\nd a b b\nzz\n   \nc c a b e\n"


def write(tmp_path, text, name="c.txt"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def snapshot(enc) -> dict:
    """Everything an encoded corpus is: the id file's bytes and every attribute."""
    with open(enc.path, "rb") as f:
        ids = f.read()
    return {
        "ids": ids,
        "words": enc.vocab.words,
        "counts": enc.vocab.counts.tolist(),
        "corpus_counts": enc.corpus_counts.tolist(),
        "block_starts": enc.block_starts.tolist(),
        "block_words": enc.block_words.tolist(),
        "raw_tokens": enc.raw_tokens,
        "sentences": enc.sentences,
        "longest_sentence": enc.longest_sentence,
        "words_total": enc.words,
        "fingerprint": enc.fingerprint,
    }


def encoded(source, **kwargs) -> dict:
    with encode_corpus(source, **kwargs) as enc:
        return snapshot(enc)


def varied_corpus(seed: int, lines: int = 400) -> bytes:
    """Short and long lines (one over 10,000 tokens), blank lines, CRLF, tabs, non-ASCII."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(60)] + ["café", "日本語", "𝔘nicode", "naïve"]
    out = ["\ufeff"]
    for i in range(lines):
        kind = rng.random()
        if kind < 0.1:
            out.append(rng.choice(["", "   ", "\t \r"]))
        else:
            n = 25_003 if i == lines // 3 else rng.randint(1, 30)
            words = rng.choices(vocabulary, weights=range(len(vocabulary), 0, -1), k=n)
            out.append(rng.choice([" ", "  ", "\t"]).join(words) + rng.choice(["", "\r", " "]))
    return "\n".join(out).encode("utf-8")


# -- the encoding --------------------------------------------------------------------------


def test_encoding_matches_a_direct_translation(tmp_path):
    with encode_corpus(write(tmp_path, TEXT), min_count=2) as enc:
        assert enc.vocab.words == ["a", "b", "c"]  # a:4, b:4, c:3 — d, e, zz dropped
        assert enc.vocab.counts.tolist() == [4, 4, 3]
        index = {w: i for i, w in enumerate(enc.vocab.words)}
        expected = []
        for line in TEXT.splitlines():
            ids = [index[t] for t in line.split() if t in index]
            if ids:
                expected += ids + [-1]
        assert enc.ids().tolist() == expected
        assert enc.raw_tokens == 14 and enc.sentences == 4 and enc.words == 11
        assert enc.corpus_counts.tolist() == [4, 4, 3] and enc.oov_tokens == 3


def test_blocks_end_on_sentence_boundaries_and_cover_everything(tmp_path):
    rng = np.random.default_rng(0)
    lines = [
        " ".join(f"w{i}" for i in rng.integers(0, 30, size=n)) for n in rng.integers(1, 40, 300)
    ]
    with encode_corpus(write(tmp_path, "\n".join(lines)), min_count=1, block_words=100) as enc:
        ids = enc.ids()
        starts = enc.block_starts
        assert starts[0] == 0 and starts[-1] == ids.size
        assert len(starts) > 10
        for i, (a, b) in enumerate(zip(starts[:-1], starts[1:], strict=True)):
            assert ids[b - 1] == -1  # a block ends with a sentence
            assert enc.block_words[i] == np.count_nonzero(ids[a:b] >= 0)
            # ...the first sentence end at least block_words ids after its start
            if b != starts[-1]:
                assert np.flatnonzero(ids[a:b] == -1)[-1] + 1 == b - a
                inner = np.flatnonzero(ids[a : b - 1] == -1) + 1
                assert (inner < 100).all()
        assert enc.block_words.sum() == enc.words == sum(len(s.split()) for s in lines)


def test_stdin_is_read_once(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    with encode_corpus("-", min_count=2) as enc:
        assert enc.vocab.words == ["a", "b", "c"]


def test_workdir_is_named_after_the_process_and_removed(tmp_path):
    enc = encode_corpus(write(tmp_path, TEXT), min_count=1, tmp_dir=str(tmp_path))
    workdir = enc.workdir
    assert os.path.basename(workdir).startswith(f"w2v-nce-{host()}-{os.getpid()}-")
    assert os.listdir(workdir) == ["ids.int32"]  # the provisional files are gone
    enc.close()
    assert not os.path.exists(workdir)


def test_empty_corpus_and_nothing_frequent_enough_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="empty"):
        encode_corpus(write(tmp_path, "\n \n\n"), tmp_dir=str(tmp_path))
    with pytest.raises(UserError, match="min-count 5"):
        encode_corpus(write(tmp_path, "a b c a\n"), min_count=5, tmp_dir=str(tmp_path))
    assert not list(tmp_path.glob("w2v-nce-*"))


def test_a_million_distinct_words_with_max_vocab(tmp_path):
    """A vocabulary of a million words (each seen once, like the tail of a web crawl)
    is cut by --max-vocab to the most frequent ones, ties by the word."""
    frequent = " ".join(["the cat sat on the mat"] * 5)
    with open(tmp_path / "c.txt", "w") as f:
        for start in range(0, 1_000_000, 10_000):
            f.write(frequent + " " + " ".join(f"u{i}" for i in range(start, start + 10_000)))
            f.write("\n")
    for workers in (1, 3):
        with encode_corpus(str(tmp_path / "c.txt"), 1, 7, workers=workers) as enc:
            assert enc.vocab.words == ["the", "cat", "mat", "on", "sat", "u0", "u1"]
            assert enc.vocab.counts.tolist() == [1000, 500, 500, 500, 500, 1, 1]
            assert enc.raw_tokens == 1_000_000 + 100 * 30


def test_id_file_reads_slices_like_an_array(tmp_path):
    with encode_corpus(write(tmp_path, TEXT), min_count=1) as enc:
        ids = enc.ids()
        whole = np.asarray(ids)
        assert whole.dtype == np.int32 and len(ids) == whole.size == ids.shape[0]
        assert ids[2:7].tolist() == whole[2:7].tolist() and ids[-1] == whole[-1] == -1
        assert not ids[0:3].flags.writeable
        with pytest.raises(IndexError):
            ids[::2]
        with pytest.raises(IndexError):
            ids[whole.size]


# -- workers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [7, 1000, 1 << 20])
def test_any_number_of_workers_gives_the_same_encoded_corpus(tmp_path, monkeypatch, chunk_bytes):
    monkeypatch.setattr(first_pass, "CHUNK_BYTES", chunk_bytes)
    path = write(tmp_path, varied_corpus(1))
    one = encoded(path, min_count=2, block_words=500)
    assert one["sentences"] > 300 and one["longest_sentence"] == 10_000
    for workers in (2, 3, 5, 16):
        assert encoded(path, min_count=2, block_words=500, workers=workers) == one, workers


def test_workers_count_the_same_words(tmp_path):
    path = write(tmp_path, varied_corpus(2))
    expected = Counter(t for s in iter_sentences(path) for t in s)
    lines = sum(1 for _ in iter_sentences(path))
    for workers in (1, 2, 4):
        words, counts, tokens, sentences = count_words(path, workers=workers)
        assert dict(zip(words, counts.tolist(), strict=True)) == expected
        assert tokens == expected.total() and sentences == lines


def test_a_file_of_one_long_line_is_one_range(tmp_path):
    path = write(tmp_path, " ".join(f"t{i % 50}" for i in range(30_000)))
    one = encoded(path, min_count=1)
    assert encoded(path, min_count=1, workers=4) == one
    assert one["sentences"] == 3 and one["raw_tokens"] == 30_000


GOOD = b"a few good words\n"


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (GOOD * 1499 + b"bad \xff here\n" + GOOD * 500, 1500, "(byte 0xff at column 5)"),
        (GOOD * 1200 + b"\xe6\x97 x\n" + GOOD * 800, 1201, "(byte 0xe6 at column 1)"),
        (GOOD * 1800 + b"ok \xc3\n", 1801, "(byte 0xc3 at column 4)"),
        # Two errors: the first one in the file is reported, whichever thread finds it.
        (GOOD * 300 + b"x\xff\n" + GOOD * 1500 + b"\xff\n", 301, "(byte 0xff at column 2)"),
        (b"\xef\xbb\xbfab \xff\n" + GOOD * 2000, 1, "(byte 0xff at column 7)"),  # BOM counts
    ],
)
def test_invalid_utf8_is_located_in_the_file_whatever_the_workers(
    tmp_path, monkeypatch, workers, content, line, fragment
):
    monkeypatch.setattr(first_pass, "CHUNK_BYTES", 4096)
    path = write(tmp_path, content)
    with pytest.raises(UserError) as info:
        encode_corpus(path, tmp_dir=str(tmp_path), workers=workers)
    message = str(info.value)
    assert message == (
        f"{path}: line {line} is not valid UTF-8 {fragment}; "
        "fix the file or pass --encoding-errors replace"
    )
    with pytest.raises(UserError) as reader:
        list(iter_sentences(path))
    assert str(reader.value) == message  # the same words as the reader's
    assert sorted(os.listdir(tmp_path)) == ["c.txt"]


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_a_token_too_long_is_located_in_the_file(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(first_pass, "CHUNK_BYTES", 50_000)
    for content, line in [
        (GOOD * 3000 + b"z" * 100_001 + b"\n" + GOOD * 10, 3001),
        (GOOD * 3000 + b"ok " + b"z" * 250_000, 3001),
        (GOOD * 10 + b"y" * 100_001 + b" " + GOOD * 5000, 11),
    ]:
        path = write(tmp_path, content)
        with pytest.raises(UserError, match=f"line {line} has more than 100,000 bytes"):
            encode_corpus(path, tmp_dir=str(tmp_path), workers=workers)


_WORD_PARTS = ["a", "b", "xyz", "Q", "é", "日本", "𝔘", "e\u0301"]
_SEPARATORS = [" ", "  ", "\t", "\n", "\r\n", "\n\n", "\n \n", "\x0b", "\x0c"]
_BAD_BYTES = [b"\xff", b"\x80", b"\xc3", b"\xe6\x97", b"\xf0\x9d\x94", b"\xed\xa0\x80", b"\xc0\xaf"]
_parts = st.one_of(
    st.lists(st.sampled_from(_WORD_PARTS), min_size=1, max_size=3).map(
        lambda p: "".join(p).encode()
    ),
    st.sampled_from(_SEPARATORS).map(str.encode),
    st.sampled_from(_BAD_BYTES),
    st.sampled_from([b"\x1c", b"\x1f"]),  # not whitespace: part of a word
)


@settings(max_examples=150, deadline=None)
@given(
    raw=st.lists(_parts, max_size=60).map(b"".join),
    errors=st.sampled_from(["replace", "ignore"]),
    workers=st.integers(1, 4),
    chunk_bytes=st.integers(1, 40),
)
def test_property_the_jitted_pass_reads_like_the_reader(raw, errors, workers, chunk_bytes):
    """Bytes with invalid UTF-8, odd whitespace and control bytes: the encoded corpus
    equals that of the reader's sentences given as token lists."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.txt")
        with open(path, "wb") as f:
            f.write(raw)
        sentences = list(iter_sentences(path, encoding_errors=errors))
        if not sentences:
            with pytest.raises(UserError, match="empty"):
                encode_corpus(path, min_count=1, encoding_errors=errors, tmp_dir=tmp)
            return
        expected = encoded(sentences, min_count=1, block_words=5, tmp_dir=tmp)
        old = first_pass.CHUNK_BYTES
        first_pass.CHUNK_BYTES = chunk_bytes
        try:
            got = encoded(
                path, min_count=1, block_words=5, encoding_errors=errors, tmp_dir=tmp,
                workers=workers,
            )  # fmt: skip
        finally:
            first_pass.CHUNK_BYTES = old
        assert got == expected


def test_ctrl_c_stops_the_worker_threads_and_removes_the_workdir(tmp_path):
    path = write(tmp_path, varied_corpus(3, lines=20_000) * 30)  # long enough to interrupt
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def interrupt_once_started():
        deadline = time.monotonic() + 60
        while not any(scratch.glob("*/provisional-*")) and time.monotonic() < deadline:
            time.sleep(0.001)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    # (SIGINT is ignored when the suite runs as a background job of a shell script)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            encode_corpus(path, min_count=1, tmp_dir=str(scratch), workers=3)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not [t for t in threading.enumerate() if t.name.startswith("w2v-nce-encode")]
    assert list(scratch.iterdir()) == []


def test_an_error_in_one_range_stops_the_others(tmp_path):
    path = write(tmp_path, b"\xff\n" + GOOD * 200_000)
    with pytest.raises(UserError, match="line 1 is not valid UTF-8"):
        encode_corpus(path, tmp_dir=str(tmp_path), workers=4)
    assert not [t for t in threading.enumerate() if t.name.startswith("w2v-nce-encode")]
    assert sorted(os.listdir(tmp_path)) == ["c.txt"]


def test_one_huge_line_is_encoded_in_bounded_memory(tmp_path):
    unit = b"distributional semantics of representation learning "  # 5 tokens
    reps = 60_000_000 // len(unit)
    path = tmp_path / "one-line.txt"
    path.write_bytes(unit * reps)
    encode_corpus([["load", "the", "compiled", "code"]], min_count=1).close()
    tracemalloc.start()
    try:
        with encode_corpus(str(path), min_count=1, tmp_dir=str(tmp_path)) as enc:
            _, peak = tracemalloc.get_traced_memory()
            assert enc.raw_tokens == 5 * reps and enc.longest_sentence == 10_000
    finally:
        tracemalloc.stop()
    # The ids alone are 4 bytes per token, 22 MiB here. The first pass holds a 1 MiB
    # chunk (twice while cutting it) and its ids, the second pass pieces of 1 MiB.
    # Measured: ~10 MiB.
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# -- token lists -----------------------------------------------------------------------------


def test_the_sentences_of_a_file_encode_like_the_file(tmp_path):
    path = write(tmp_path, varied_corpus(4))
    from_file = encoded(path, min_count=2, block_words=300)
    assert encoded(list(iter_sentences(path)), min_count=2, block_words=300) == from_file
    generator = (s for s in iter_sentences(path))  # iterated once: a generator works
    assert encoded(generator, min_count=2, block_words=300) == from_file
    as_tuples = [tuple(s) for s in iter_sentences(path)]
    assert encoded(as_tuples, min_count=2, block_words=300, workers=3) == from_file


def test_long_sentences_are_cut_and_empty_ones_skipped():
    sentences = [[], ["a"] * 25_000, [], ("b", "c"), []]
    with encode_corpus(sentences, min_count=1) as enc:
        ids = enc.ids().tolist()
        assert enc.sentences == 4 and enc.raw_tokens == 25_002
        assert [i for i, x in enumerate(ids) if x == -1] == [10_000, 20_001, 25_002, 25_005]
        assert enc.longest_sentence == 10_000


def test_a_path_can_be_a_str_or_a_pathlike(tmp_path):
    path = write(tmp_path, TEXT)
    assert encoded(path, min_count=1) == encoded(tmp_path / "c.txt", min_count=1)


class Once:
    """An iterable that may be iterated only once."""

    def __init__(self, items):
        self.items = items
        self.iterations = 0

    def __iter__(self):
        self.iterations += 1
        assert self.iterations == 1, "iterated twice"
        return iter(self.items)


def test_token_lists_are_iterated_exactly_once():
    source = Once([["a", "b"], ["b"]])
    with encode_corpus(source, min_count=1) as enc:
        assert enc.vocab.words == ["b", "a"]
    assert source.iterations == 1
    counted = Once([["x", "y", "x"]])
    assert count_words(counted)[2] == 3 and counted.iterations == 1


def test_count_words_of_token_lists():
    words, counts, tokens, lines = count_words([["x", "y", "x"], [], ["y"]])
    assert dict(zip(words, counts.tolist(), strict=True)) == {"x": 2, "y": 2}
    assert (tokens, lines) == (4, 2)


@pytest.mark.parametrize(
    ("sentences", "message"),
    [
        (
            [["a"], "b c"],
            "sentence 2 is a str, not a list of tokens; split it first (text.split())",
        ),
        ([{"a"}], "sentence 1 is a set, not a list of tokens; give each sentence as a list of str"),
        ([["a", 3]], "sentence 1: token 2 is a int, not a str (3); give the tokens as str"),
        ([["a"], ["a", b"a"]], "sentence 2: token 2 is a bytes, not a str (b'a')"),
        ([["a", ["b"]]], "sentence 1: token 2 is a list, not a str (['b'])"),
        ([["a", ""]], "sentence 1: token 2 is an empty string; leave empty tokens out"),
        ([["x"], ["a", "b\tc"]], "sentence 2: token 2 'b\\tc' contains whitespace; split it"),
        ([["a b"]], "sentence 1: token 1 'a b' contains whitespace"),
        ([["ok"] * 10_002 + ["a\nb"]], "sentence 1: token 10003 'a\\nb' contains whitespace"),
        ([["a\ud800"]], "sentence 1: token 1 'a\\ud800' is not valid Unicode"),
    ],
)
def test_bad_token_lists_are_user_errors_naming_sentence_and_token(tmp_path, sentences, message):
    with pytest.raises(UserError) as info:
        encode_corpus(sentences, min_count=1, tmp_dir=str(tmp_path))
    assert message in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_empty_token_lists_are_an_empty_corpus():
    with pytest.raises(UserError, match="<sentences>: the corpus is empty"):
        encode_corpus([[], []])


def test_non_breaking_spaces_are_allowed_in_tokens():
    with encode_corpus([["a\u00a0b", "c\u3000d", "e\x1cf"]], min_count=1) as enc:
        assert sorted(enc.vocab.words) == ["a\u00a0b", "c\u3000d", "e\x1cf"]


# -- vocabulary rules and what an encoded corpus reports -----------------------------------

HELD_OUT = "the cat sat\nthe zebra sat on a mat\nzebra zebra\n"


def test_fixed_vocabulary_counts_a_held_out_corpus(tmp_path):
    base = Vocabulary(["sat", "the", "dog", "cat"], np.array([50, 40, 30, 20]))
    with encode_corpus(write(tmp_path, HELD_OUT), vocabulary=Fixed(base)) as enc:
        assert enc.vocab.words == base.words and enc.vocab.counts.tolist() == [50, 40, 30, 20]
        assert enc.corpus_counts.tolist() == [2, 2, 0, 1]
        assert enc.ids().tolist() == [1, 3, 0, -1, 1, 0, -1]
        assert enc.words == 5 and enc.raw_tokens == 11 and enc.oov_tokens == 6
        assert enc.sentences == 3  # lines read; the third has no word of the vocabulary


def test_merged_vocabulary_sums_counts_but_trains_on_this_corpus(tmp_path):
    base = Vocabulary(["the", "dog"], np.array([10, 3]))
    rule = Merged(base, update=True, min_count=2)
    with encode_corpus(write(tmp_path, HELD_OUT), vocabulary=rule) as enc:
        # the: 10+2, zebra: 3 (new), dog: 3+0, sat: 2 (new); cat, on, a, mat seen once.
        assert enc.vocab.words == ["the", "dog", "zebra", "sat"]
        assert enc.vocab.counts.tolist() == [12, 3, 3, 2]
        assert enc.corpus_counts.tolist() == [2, 0, 3, 2]
        assert enc.words == 7 != enc.vocab.total
        assert enc.oov_tokens == 4


def test_a_vocabulary_sharing_no_word_gives_an_empty_encoded_corpus(tmp_path):
    base = Vocabulary(["unrelated"], np.array([5]))
    with encode_corpus(write(tmp_path, HELD_OUT), vocabulary=Fixed(base)) as enc:
        assert enc.words == 0 and enc.oov_tokens == enc.raw_tokens == 11
        assert len(enc.ids()) == 0 and enc.block_starts.tolist() == [0]
        assert enc.block_words.size == 0 and enc.longest_block == 0
        assert enc.vocab.words == ["unrelated"] and enc.corpus_counts.tolist() == [0]


def test_fingerprint_is_the_same_for_the_same_encoded_corpus_only(tmp_path):
    path = write(tmp_path, varied_corpus(5))
    first = encoded(path, min_count=2)["fingerprint"]
    assert len(first) == 64 and int(first, 16) >= 0
    assert encoded(path, min_count=2, workers=2)["fingerprint"] == first
    assert encoded(path, min_count=2, max_vocab=10)["fingerprint"] != first  # fewer words
    changed = write(tmp_path, varied_corpus(5).replace(b"w1 ", b"w2 ", 1), "d.txt")
    assert encoded(changed, min_count=2)["fingerprint"] != first  # one token differs
    # Out-of-vocabulary tokens are not part of what is trained on; token order is.
    base = Vocabulary(["a", "b"], np.array([9, 9]))
    one = encoded([["a", "b"], ["b", "c"]], vocabulary=Fixed(base))
    two = encoded([["a", "b", "zz"], ["b"]], vocabulary=Fixed(base))
    assert one["ids"] == two["ids"] and one["fingerprint"] == two["fingerprint"]
    three = encoded([["b", "a"], ["b"]], vocabulary=Fixed(base))
    assert three["corpus_counts"] == one["corpus_counts"]
    assert three["fingerprint"] != one["fingerprint"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_while_encoding_raises_an_errno_the_no_space_message_knows():
    """ndarray.tofile reports a full disk with errno None; the id writer keeps ENOSPC."""
    from w2v_nce.io.atomic import NO_SPACE_ERRNOS
    from w2v_nce.io.idfile import write_ids

    with open("/dev/full", "wb", buffering=0) as full:
        with pytest.raises(OSError) as info:
            write_ids(np.arange(1 << 16, dtype=np.int32), full)
    assert info.value.errno in NO_SPACE_ERRNOS


def test_a_full_tmp_dir_is_one_error_line(tmp_path):
    """Through the real command on a 1 MiB tmpfs (needs root and mount; skipped otherwise)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        corpus = tmp_path / "c.txt"
        corpus.write_text("the cat sat on the mat and the dog sat on the log\n" * 40_000)
        result = run_cli(
            "train", corpus, "--epochs", "1", "-q", "--tmp-dir", mount,
            "-o", tmp_path / "v.txt", "--min-count", "1",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: no space left"), (
            result.stderr
        )
        assert os.listdir(mount) == []
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
