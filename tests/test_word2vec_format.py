import os
import tempfile

import numpy as np
import pytest
from gensim.models import KeyedVectors
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from w2v_nce.errors import UserError
from w2v_nce.io import word2vec_format
from w2v_nce.io.word2vec_format import check_finite, read_word2vec, write_word2vec
from w2v_nce.model import Model, load

UNICODE_WORDS = [
    "the",
    "naïve",  # precomposed
    "nai\u0308ve",  # combining diaeresis
    "e\u0301\u0301",  # stacked combining marks
    "日本語",
    "слово",
    "مرحبا",  # right-to-left
    "שָׁלוֹם",  # RTL with points
    "\u200fמילה",  # right-to-left mark at the start
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",  # non-BMP letters
    "😀",  # non-BMP emoji
    "👩\u200d💻",  # ZWJ sequence
    "123",
    "-1.5e3",
    "nan",
    "a'b\"c\\",
    "\x00nul",
    "no\xa0break",  # non-ASCII whitespace stays inside a word, as the corpus reader keeps it
    "ideographic\u3000space",
    "line\u2028separator",
    "next\x85line",
    "\x1cfile\x1dgroup\x1erecord\x1funit",
    "trailing\xa0",
]


def _bits(array):
    return np.asarray(array, dtype=np.float32).view(np.uint32)


def _sample_vectors(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    vectors = (rng.standard_normal((n, dim)) * 0.4).astype(np.float32)
    # Values that stress decimal formatting: tiny, huge, subnormal, signed zero.
    special = np.array(
        [1e-45, -1.17549435e-38, 3.4028235e38, -0.0, 0.0, 1.0, -1e-8, 123456.789],
        dtype=np.float32,
    )
    vectors.flat[: len(special)] = special
    return vectors


def _gensim_kv(words, vectors):
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, vectors)
    return kv


# ----------------------------------------------------------------- gensim compatibility


@pytest.mark.parametrize("binary", [False, True])
def test_our_files_load_in_gensim(tmp_path, binary):
    words = UNICODE_WORDS
    vectors = _sample_vectors(len(words), 7)
    path = tmp_path / ("v.bin" if binary else "v.txt")
    write_word2vec(path, words, vectors, binary=binary)

    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == words
    assert kv.vectors.dtype == np.float32
    # Bit-exact in both formats: %.9g text round-trips every float32.
    np.testing.assert_array_equal(_bits(kv.vectors), _bits(vectors))


@pytest.mark.parametrize("binary", [False, True])
def test_a_gz_name_is_written_gzipped(tmp_path, binary):
    """-o vectors.txt.gz: gzipped, as gensim writes such a name (plain text under it
    made gensim's reader fail with BadGzipFile); gensim and we read it back bit for
    bit, and the same vectors give the same bytes (no timestamp in the gzip header)."""
    words = UNICODE_WORDS
    vectors = _sample_vectors(len(words), 7)
    path = tmp_path / ("v.bin.gz" if binary else "v.txt.gz")
    write_word2vec(path, words, vectors, binary=binary)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == words
    np.testing.assert_array_equal(_bits(kv.vectors), _bits(vectors))
    read_words, read_vectors = read_word2vec(path)
    assert list(read_words) == words
    np.testing.assert_array_equal(_bits(read_vectors), _bits(vectors))
    first = path.read_bytes()
    write_word2vec(path, words, vectors, binary=binary)
    assert path.read_bytes() == first


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_files_load_with_us(tmp_path, binary):
    words = UNICODE_WORDS
    vectors = _sample_vectors(len(words), 5, seed=1)
    path = tmp_path / ("g.bin" if binary else "g.txt")
    _gensim_kv(words, vectors).save_word2vec_format(str(path), binary=binary)

    got_words, got = read_word2vec(path)
    reference = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert got_words == words == reference.index_to_key
    assert got.dtype == np.float32
    assert got.shape == (len(words), 5)
    np.testing.assert_array_equal(_bits(got), _bits(reference.vectors))
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_exact(tmp_path, binary):
    words = [f"w{i}" for i in range(300)] + UNICODE_WORDS
    vectors = _sample_vectors(len(words), 16, seed=2)
    path = tmp_path / "v"
    write_word2vec(path, words, vectors, binary=binary)
    got_words, got = read_word2vec(path)
    assert got_words == words
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


def test_text_layout(tmp_path):
    path = tmp_path / "v.txt"
    write_word2vec(path, ["a", "ü"], np.array([[0.5, -2], [1e-3, 0]], np.float32), binary=False)
    assert path.read_bytes() == "2 2\na 0.5 -2\nü 0.00100000005 0\n".encode()


def test_binary_layout(tmp_path):
    path = tmp_path / "v.bin"
    vectors = np.array([[0.5, -2], [1, 0]], np.float32)
    write_word2vec(path, ["a", "ü"], vectors, binary=True)
    expected = (
        b"2 2\n"
        + b"a "
        + vectors[0].astype("<f4").tobytes()
        + b"\n"
        + "ü ".encode()
        + vectors[1].astype("<f4").tobytes()
        + b"\n"
    )
    assert path.read_bytes() == expected


def test_reads_word2vec_c_text_with_trailing_spaces_and_crlf(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"2 3\r\nfoo 0.1 0.2 0.3 \r\nbar -1 2e-3 4 \r\n")
    words, vectors = read_word2vec(path)
    assert words == ["foo", "bar"]
    np.testing.assert_array_equal(
        vectors, np.array([[0.1, 0.2, 0.3], [-1, 2e-3, 4]], dtype=np.float32)
    )


def test_trailing_blank_lines_are_fine(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 2\na 1 2\n\n  \n")
    assert read_word2vec(path)[0] == ["a"]


def test_duplicate_words_keep_first_like_gensim(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_bytes(b"3 2\na 1 2\nb 3 4\na 5 6\n")
    words, vectors = read_word2vec(path)
    reference = KeyedVectors.load_word2vec_format(str(path))
    assert words == ["a", "b"]
    # gensim 4.4 leaves a stray None in index_to_key here, so compare its mapping.
    assert reference.key_to_index == {"a": 0, "b": 1}
    np.testing.assert_array_equal(vectors, reference.vectors[:2])
    np.testing.assert_array_equal(vectors, [[1, 2], [3, 4]])


def test_binary_whose_first_vector_is_printable_bytes(tmp_path):
    # The first vector's bytes are all printable ASCII ("abcd") so the file starts
    # out looking like text; detection must still read it as binary.
    first = np.frombuffer(b"abcd", dtype="<f4")
    second = np.array([0.5], np.float32)
    path = tmp_path / "tricky.bin"
    write_word2vec(path, ["x", "y"], np.stack([first, second]), binary=True)
    words, vectors = read_word2vec(path)
    assert words == ["x", "y"]
    np.testing.assert_array_equal(_bits(vectors), _bits(np.stack([first, second])))


def test_binary_whose_first_vector_spells_a_text_number_is_read_as_text(tmp_path):
    # b"nan\t" is a float32 whose bytes make the first row "x nan": a word and one
    # number, so the file is text, and its NaN is refused with the text error. (It
    # used to be reread as binary after the text error; that fallback also read
    # malformed text files as binary garbage.) Forcing binary reads it.
    first = np.frombuffer(b"nan\t", dtype="<f4")
    vectors = np.stack([first, np.array([-3.0], np.float32)])
    path = tmp_path / "tricky"
    write_word2vec(path, ["x", "y"], vectors, binary=True)
    with pytest.raises(UserError, match=r"line 2: value 1 of 'x' is nan"):
        read_word2vec(path)
    words, got = read_word2vec(path, binary=True)
    assert words == ["x", "y"]
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


def test_forced_format(tmp_path):
    # "w 1234\n" is valid both as text (1234.0) and as binary (b"1234" + newline).
    path = tmp_path / "ambiguous"
    path.write_bytes(b"1 1\nw 1234\n")
    assert read_word2vec(path)[1][0, 0] == 1234.0
    assert read_word2vec(path, binary=False)[1][0, 0] == 1234.0
    forced = read_word2vec(path, binary=True)[1]
    assert forced.tobytes() == b"1234"


# ----------------------------------------------------------------- property tests

# Any character but the ASCII whitespace that separates fields: no-break space, U+3000,
# U+2028, U+0085 and the \x1c-\x1f separators are ordinary characters of a word.
_word_chars = st.characters(exclude_categories=("Cs",)).filter(lambda ch: ch not in " \t\n\r\v\f")
_words = st.lists(
    st.text(_word_chars, min_size=1, max_size=8), min_size=1, max_size=12, unique=True
)
_float32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def _vocab_and_vectors(draw):
    words = draw(_words)
    dim = draw(st.integers(1, 6))
    values = draw(st.lists(_float32, min_size=len(words) * dim, max_size=len(words) * dim))
    return words, np.array(values, dtype=np.float32).reshape(len(words), dim)


def _write_and_read(words, vectors, binary, read):
    """What ``read(path)`` makes of the file we write at ``path`` (a fresh temporary
    directory: hypothesis runs an example many times, a pytest tmp_path only once)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        write_word2vec(path, words, vectors, binary=binary)
        return read(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_vocab_and_vectors(), binary=st.booleans())
def test_property_round_trip(data, binary):
    words, vectors = data
    got_words, got = _write_and_read(words, vectors, binary, read_word2vec)
    assert got_words == words
    assert got.shape == vectors.shape
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_vocab_and_vectors(), binary=st.booleans())
def test_property_gensim_reads_our_files(data, binary):
    words, vectors = data
    kv = _write_and_read(
        words, vectors, binary, lambda path: KeyedVectors.load_word2vec_format(path, binary=binary)
    )
    assert kv.index_to_key == words
    np.testing.assert_array_equal(_bits(kv.vectors), _bits(vectors))


# ----------------------------------------------------------------- writer contract


@pytest.mark.parametrize("bad", ["two words", "tab\there", "nl\n", "cr\r", "ff\x0c", "", "\ud800"])
def test_writer_rejects_words_that_break_the_format(tmp_path, bad):
    with pytest.raises(ValueError):
        write_word2vec(tmp_path / "v", ["ok", bad], np.zeros((2, 2), np.float32))
    assert not (tmp_path / "v").exists()


def test_writer_rejects_duplicates_and_shape_mismatch(tmp_path):
    with pytest.raises(ValueError):
        write_word2vec(tmp_path / "v", ["a", "a"], np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError):
        write_word2vec(tmp_path / "v", ["a"], np.zeros((2, 2), np.float32))


# ----------------------------------------------------------------- malformed files

TEXT_CASES = [
    (b"hello\n", "line 1"),
    (b"2\n", "line 1"),
    (b"0 3\n", "line 1"),
    (b"2 -3\n", "line 1"),
    (b"2 3 4\na 1 2 3\n", "line 1"),
    (b"2 3\na 1 2 3\nb 1 2\n", "line 3"),  # too few values
    (b"2 3\na 1 2 3 4\nb 1 2 3\n", "line 2"),  # too many values
    (b"3 3\na 1 2 3\nb 1 2 3\nc\n", "line 4"),  # no values at all
    (b"2 3\na 1 2 3\nb 1 x 3\n", "line 3"),  # non-numeric
    (b"3 3\na 1 2 3\nb 1 2 3\nc 1 2 1.5.5\n", "line 4"),
    (b"2 3\na 1,5 2 3\nb 1 2 3\n", "line 2"),
    (b"3 3\na 1 2 3\nb 4 5 6\n", "line 4"),  # fewer rows than the header says
    (b"2 3\n", "line 2"),  # header only
    (b"2 3\na 1 2 3\n\xff\xfe 1 2 3\n", "line 3"),  # invalid UTF-8 word
    (b"2 3\na 1 2 3\n 1 2 3\n", "line 3"),  # empty word
    (b"2 3\na 1 2 3\n\nb 1 2 3\n", "line 3"),  # blank line inside the data
    (b"1 3\na 1 2 3\nb 1 2 3\n", "line 3"),  # more rows than the header says
]


def test_malformed_messages_say_what_is_wrong(tmp_path):
    cases = {
        b"2 3\na 1 2 3\nb 1 2\n": "expected 3 values",
        b"2 3\na 1 2 3\nb 1 x 3\n": "not a number: 'x'",
        b"3 3\na 1 2 3\nb 4 5 6\n": "2 of the 3 rows",
        b"2 3\na 1 2 3\n\xff 1 2 3\n": "UTF-8",
        b"x y\n": "bad header",
    }
    for content, expected in cases.items():
        path = tmp_path / "bad.txt"
        path.write_bytes(content)
        with pytest.raises(UserError, match=expected):
            read_word2vec(path)


def _record(word: bytes, values) -> bytes:
    return word + b" " + np.asarray(values, dtype="<f4").tobytes() + b"\n"


BINARY_CASES = [
    # truncated vector in the 2nd record
    (b"2 2\n" + _record(b"a", [0.5, -1]) + b"b " + b"\x00\x00\x00\x3f\x00", "record 2"),
    # fewer records than the header says
    (b"3 2\n" + _record(b"a", [0.5, -1]) + _record(b"b", [1, 2]), "record 3"),
    # file ends inside a word
    (b"2 2\n" + _record(b"a", [0.5, -1]) + b"bcd", "record 2"),
    # invalid UTF-8 word
    (b"2 2\n" + _record(b"a", [0.5, -1]) + _record(b"\xff\xfe", [1, 2]), "record 2"),
    # more data than the header says
    (b"1 2\n" + _record(b"a", [0.5, -1]) + _record(b"b", [1, 2]), "record 2"),
]


MALFORMED_CASES = [("bad.txt", *case) for case in TEXT_CASES] + [
    ("bad.bin", *case) for case in BINARY_CASES
]


@pytest.mark.parametrize(("name", "content", "where"), MALFORMED_CASES)
def test_malformed_files(tmp_path, name, content, where):
    """Text or binary: one line naming the file and the line or record, exit code 1."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_word2vec(path)
    message = str(info.value)
    assert f"{where}:" in message
    assert str(path) in message
    assert "\n" not in message
    assert info.value.exit_code == 1


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_word2vec(tmp_path / "missing.txt")


def test_directory(tmp_path):
    with pytest.raises(UserError, match="is a directory"):
        read_word2vec(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        read_word2vec(fifo)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(UserError, match="empty"):
        read_word2vec(path)


@pytest.mark.parametrize("header", [b"999999999999 999999", b"1 999999999999"])
def test_huge_header_does_not_allocate(tmp_path, header):
    path = tmp_path / "v.txt"
    path.write_bytes(header + b"\na 1\n")
    with pytest.raises(UserError, match="line 2"):
        read_word2vec(path)


# ----------------------------------------------------------------- load


def _model(words, dim=4):
    rng = np.random.default_rng(3)
    return Model(
        vocab=list(words),
        counts=np.arange(len(words), 0, -1, dtype=np.int64),
        input=rng.standard_normal((len(words), dim)).astype(np.float32),
        output=rng.standard_normal((len(words), dim)).astype(np.float32),
        config={"dim": dim, "loss": "nce"},
    )


def test_load_vectors_npz(tmp_path):
    model = _model(["a", "ü", "😀"])
    path = tmp_path / "model.npz"
    np.savez(path, **model.to_npz_arrays())
    loaded = load(path)
    assert loaded.vocab == ["a", "ü", "😀"]
    np.testing.assert_array_equal(loaded.input, model.input)
    np.testing.assert_array_equal(loaded.counts, model.counts)
    assert loaded.config == {"dim": 4, "loss": "nce"}
    np.testing.assert_array_equal(loaded.output, model.output)


def test_load_vectors_word2vec(tmp_path):
    path = tmp_path / "v.bin"
    write_word2vec(path, ["a", "b"], np.eye(2, dtype=np.float32), binary=True)
    model = load(path)
    assert model.vocab == ["a", "b"]
    assert model.output is None and model.counts is None and model.config == {}
    np.testing.assert_array_equal(model.input, np.eye(2))


def test_load_vectors_npz_missing_key(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    del arrays["output"]
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="missing arrays: output"):
        load(path)


@pytest.mark.parametrize(
    "content", [b"", b"this is not a zip file", b"PK\x03\x04garbage"], ids=["empty", "text", "zip"]
)
def test_load_vectors_npz_garbage(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load(path)
    assert "\n" not in str(info.value)


def test_load_vectors_npz_refuses_pickles(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    arrays["vocab"] = np.array(["a", "b"], dtype=object)
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="not a valid"):
        load(path)


def test_load_vectors_npz_inconsistent_shapes(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    arrays["vocab"] = np.array(["a", "b", "c"])
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="inconsistent"):
        load(path)


def test_load_vectors_npz_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load(tmp_path / "nope.npz")


# ----------------------------------------------------------------- format detection


def _stderr_error(result):
    """The one ``error:`` line of a failed run (and no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_malformed_text_that_also_parses_as_binary_gives_the_text_error(tmp_path):
    # Each row's values are 12 bytes with the newline, so the file is also a valid
    # word2vec binary file of dimension 3 (gensim's layout); it used to be read so.
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\nthe 0.1 0.2 0.3\ncat 0.1 abc 0.3\n")
    assert read_word2vec(path, binary=True)[0] == ["the", "cat"]  # really valid as binary
    result = run_cli("most-similar", "the", "--vectors", path, cwd=tmp_path)
    assert _stderr_error(result) == (
        f"error: {path}: line 3: value 2 of 'cat' is not a number: 'abc'"
    )


def test_malformed_first_text_row_is_not_read_as_binary(tmp_path):
    # Valid as binary too (4*3 bytes per row); the first row decides: malformed text.
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\nthe 0.1 abc 0.3\ncat 0.1 0.2 0.3\n")
    assert read_word2vec(path, binary=True)[0] == ["the", "cat"]
    with pytest.raises(UserError, match=r"line 2: value 2 of 'the' is not a number: 'abc'$"):
        read_word2vec(path)


def test_text_preferred_for_a_bin_name_says_so(tmp_path, caplog):
    # "w 1234\n": text (1234.0) and binary (b"1234" + newline) alike.
    for name, warned in (("ambiguous.bin", True), ("ambiguous.txt", False)):
        caplog.clear()
        path = tmp_path / name
        path.write_bytes(b"1 1\nw 1234\n")
        assert read_word2vec(path)[1][0, 0] == 1234.0
        assert ("name ends in .bin" in caplog.text) == warned
    caplog.clear()
    write_word2vec(tmp_path / "real.bin", ["a"], np.array([[0.5, -2]], np.float32), binary=True)
    read_word2vec(tmp_path / "real.bin")
    assert caplog.text == ""


def test_gensim_layout_binary_with_a_printable_first_vector(tmp_path):
    # No newline after the records: the first line runs into the second record,
    # whose vector has bytes no text file has, so the file is binary.
    vectors = np.stack([np.frombuffer(b"abcd", "<f4"), np.array([0.5], np.float32)])
    path = tmp_path / "g.bin"
    path.write_bytes(b"2 1\nx " + vectors[0].tobytes() + b"y " + vectors[1].tobytes())
    words, got = read_word2vec(path)
    assert words == ["x", "y"]
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


# Numbers as people write them; the 3-character ones make rows exactly 4*D bytes long
# with the newline, so that such a text file also parses as gensim-layout binary.
_number_tokens = st.one_of(
    st.sampled_from(["0.1", "-.5", "1e3", "123", "0", "-0", "+1.", "1E-5", "-0.25", "3.4e38"]),
    _float32.map(lambda x: f"{x:.9g}"),
    _float32.map(repr),
    st.integers(-999, 999).map(str),
)


@st.composite
def _text_file(draw):
    """A valid text file's bytes and its words and vectors (as float32 reads each token)."""
    words = draw(_words)
    dim = draw(st.integers(1, 6))
    tokens = [draw(st.lists(_number_tokens, min_size=dim, max_size=dim)) for _ in words]
    newline = draw(st.sampled_from(["\n", "\r\n", " \n"]))  # " \n": word2vec.c
    lines = [f"{w} {' '.join(row)}{newline}" for w, row in zip(words, tokens, strict=True)]
    if draw(st.booleans()):
        lines[-1] = lines[-1].rstrip()  # no newline at the end of the file
    content = f"{len(words)} {dim}\n{''.join(lines)}".encode()
    return content, words, np.array([[np.float32(t) for t in row] for row in tokens], np.float32)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_text_file())
def test_property_text_files_are_never_read_as_binary(data):
    content, words, vectors = data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        with open(path, "wb") as fh:
            fh.write(content)
        got_words, got = read_word2vec(path)
    assert got_words == words
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_text_file(),
    where=st.integers(min_value=1),
    bad=st.sampled_from(["abc", "x", "nan", "-inf", "1e39", "1,5", "0.1.2", "--1"]),
    column=st.integers(min_value=0),
)
def test_property_a_bad_value_after_the_first_row_is_a_text_error(data, where, bad, column):
    content, words, vectors = data
    assume(len(words) > 1)
    header, *rows = content.split(b"\n")
    row = 1 + where % (len(words) - 1)  # any row but the first, which decides the format
    column = 1 + column % vectors.shape[1]
    fields = rows[row].split(b" ")
    fields[column] = bad.encode()
    rows[row] = b" ".join(fields)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        with open(path, "wb") as fh:
            fh.write(b"\n".join([header, *rows]))
        with pytest.raises(UserError) as info:
            read_word2vec(path)
    assert f": line {row + 2}: value {column} of {words[row]!r} is " in str(info.value)


_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\x0b\x0c"  # what a text file is made of
_printable_bytes = st.lists(st.sampled_from(list(_TEXT_BYTES)), min_size=4, max_size=4).map(bytes)
_digit_bytes = st.lists(st.sampled_from(list(b"0123456789.-+e \t")), min_size=4, max_size=4).map(
    bytes
)


@st.composite
def _binary_file(draw):
    """A valid binary file's bytes, its layout, words and vectors.

    Many vectors are made of printable bytes (a binary file that starts out looking
    like text), some of bytes that spell numbers.
    """
    words = draw(
        st.one_of(
            _words,
            st.lists(
                st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
                min_size=1,
                max_size=6,
                unique=True,
            ),
        )
    )
    dim = draw(st.integers(1, 4))
    value = st.one_of(
        _float32.map(lambda x: np.float32(x).tobytes()), _printable_bytes, _digit_bytes
    )
    raw = b"".join(draw(st.lists(value, min_size=len(words) * dim, max_size=len(words) * dim)))
    vectors = np.frombuffer(raw, "<f4").reshape(len(words), dim)
    assume(np.isfinite(vectors).all())
    layout = draw(st.sampled_from(["word2vec.c", "gensim"]))
    end = b"\n" if layout == "word2vec.c" else b""
    content = f"{len(words)} {dim}\n".encode() + b"".join(
        w.encode() + b" " + v.tobytes() + end for w, v in zip(words, vectors, strict=True)
    )
    return content, layout, words, vectors


def _as_text(content):
    """The file read as text by a plain reader, or None if it is not valid text."""
    try:
        lines = content.decode("utf-8").split("\n")
        n_words, dim = map(int, lines[0].split())
        rows = [line.rstrip().split(" ", 1) for line in lines[1:] if line.strip()]
        values = [[np.float32(t) for t in rest.split()] for _, rest in rows]
        if len(rows) != n_words or any(len(v) != dim for v in values):
            return None
        return [w for w, _ in rows], np.array(values, np.float32)
    except ValueError:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_binary_file())
def test_property_binary_files_are_never_read_as_text(data):
    content, layout, words, vectors = data
    first_line = content.split(b"\n", 1)[1].split(b" ", 1)[1].split(b"\n", 1)[0]
    printable = not first_line.translate(None, _TEXT_BYTES)
    tokens = first_line.split()
    spells_numbers = len(tokens) == vectors.shape[1] and all(_is_float(t) for t in tokens)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        with open(path, "wb") as fh:
            fh.write(content)
        try:
            got = read_word2vec(path)
        except UserError as exc:
            got = exc
    exact = (
        not isinstance(got, UserError)
        and got[0] == words
        and (_bits(got[1]).tolist() == _bits(vectors).tolist())
    )
    if not printable:
        event("first line has a byte no text file has: read as binary")
        assert exact
    elif layout == "word2vec.c" and not spells_numbers:
        event("printable first vector, word2vec.c layout: read as binary")
        assert exact
    elif exact:
        event("first line reads as text, yet the file was read as binary")
    elif isinstance(got, UserError):
        # The first line reads as a (possibly malformed) text row: a text error.
        event("first line reads as text: refused with a text error")
        assert ": line " in str(got)
    else:
        # Read as text: only if the whole file is valid text as well.
        event("valid text as well: read as text")
        text = _as_text(content)
        assert text is not None and got[0] == text[0]
        np.testing.assert_array_equal(_bits(got[1]), _bits(text[1]))


def _is_float(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------- NaN and infinity

_NOT_FINITE = "word vectors must be finite"


def test_nan_in_a_text_file_is_refused_through_the_cli(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"3 2\nthe 0.1 nan\ncat 0.1 0.2\ndog 0.3 0.1\n")
    message = _stderr_error(run_cli("most-similar", "cat", "--vectors", path))
    assert message.startswith(f"error: {path}: line 2: value 2 of 'the' is nan; {_NOT_FINITE}")


@pytest.mark.parametrize(
    ("token", "shown"),
    [("inf", "inf"), ("-Infinity", "-inf"), ("1e39", "inf"), ("-3.5e38", "-inf"), ("NaN", "nan")],
)
def test_non_finite_text_values_name_line_and_word(tmp_path, token, shown):
    path = tmp_path / "v.txt"
    path.write_bytes(f"3 2\nnan 1 2\ninf 3 4\ncat 0.5 {token}\n".encode())
    with pytest.raises(UserError) as info:
        read_word2vec(path)
    assert str(info.value).startswith(f"{path}: line 4: value 2 of 'cat' is {shown}; ")


def test_words_spelled_nan_and_inf_are_ordinary_words(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 2\nnan 1 2\ninf 3.4e38 -3.4e38\n")
    words, vectors = read_word2vec(path)
    assert words == ["nan", "inf"]
    assert np.isfinite(vectors).all()


def test_non_finite_binary_values_name_record_and_word(tmp_path):
    path = tmp_path / "v.bin"
    vectors = np.array([[0.5, 1], [np.nan, 2], [3, np.inf]], np.float32)
    write_word2vec(path, ["a", "b", "c"], vectors, binary=True)
    result = run_cli("most-similar", "a", "--vectors", path)
    assert _stderr_error(result).startswith(f"error: {path}: record 2: value 1 of 'b' is nan; ")


def test_the_first_problem_in_the_file_is_reported(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"3 2\na 1 inf\nb 1 2\nc 1 x\n")  # an infinity before a malformed line
    with pytest.raises(UserError, match=r"line 2: value 2 of 'a' is inf"):
        read_word2vec(path)
    path.write_bytes(b"3 2\na 1 2\nb 1 x\nc 1 inf\n")
    with pytest.raises(UserError, match=r"line 3: value 2 of 'b' is not a number"):
        read_word2vec(path)


def test_check_finite_finds_the_first_bad_row_in_a_later_block(monkeypatch):
    monkeypatch.setattr(word2vec_format, "_FINITE_BLOCK_VALUES", 6)  # 2 rows of 3 per block
    matrix = np.ones((9, 3), np.float32)
    matrix[7, 1] = np.inf
    matrix[5, 2] = np.nan
    with pytest.raises(UserError, match=r"^row 5: value 3 of 'w5' is nan; "):
        check_finite(matrix, [f"w{i}" for i in range(9)], lambda row: f"row {row}")
    check_finite(matrix[:5], [f"w{i}" for i in range(5)], lambda row: f"row {row}")


@pytest.mark.parametrize("matrix", ["input", "output"])
def test_non_finite_npz_values_name_matrix_and_word(tmp_path, matrix):
    model = _model(["a", "b", "c"])
    getattr(model, matrix)[2, 3] = -np.inf
    path = tmp_path / "model.npz"
    np.savez(path, **model.to_npz_arrays())
    result = run_cli("most-similar", "a", "--vectors", path)
    assert _stderr_error(result).startswith(
        f"error: {path}: {matrix} matrix: value 4 of 'c' is -inf; {_NOT_FINITE}"
    )
