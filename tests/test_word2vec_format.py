import os
import tempfile

import numpy as np
import pytest
from gensim.models import KeyedVectors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2v_nce.errors import UserError
from w2v_nce.model import Model
from w2v_nce.word2vec_format import load_vectors, read_word2vec, write_word2vec

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


def test_binary_whose_first_vector_parses_as_a_text_number(tmp_path):
    # b"nan\t" is a float32 whose bytes make the first row a valid text row.
    first = np.frombuffer(b"nan\t", dtype="<f4")
    vectors = np.stack([first, np.array([-3.0], np.float32)])
    path = tmp_path / "tricky.bin"
    write_word2vec(path, ["x", "y"], vectors, binary=True)
    words, got = read_word2vec(path)
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_vocab_and_vectors(), binary=st.booleans())
def test_property_round_trip(data, binary):
    words, vectors = data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        write_word2vec(path, words, vectors, binary=binary)
        got_words, got = read_word2vec(path)
    assert got_words == words
    assert got.shape == vectors.shape
    np.testing.assert_array_equal(_bits(got), _bits(vectors))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_vocab_and_vectors(), binary=st.booleans())
def test_property_gensim_reads_our_files(data, binary):
    words, vectors = data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        write_word2vec(path, words, vectors, binary=binary)
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
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


@pytest.mark.parametrize(("content", "where"), TEXT_CASES)
def test_malformed_text_files(tmp_path, content, where):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_word2vec(path)
    message = str(info.value)
    assert f"{where}:" in message
    assert str(path) in message
    assert "\n" not in message
    assert info.value.exit_code == 1


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


@pytest.mark.parametrize(("content", "where"), BINARY_CASES)
def test_malformed_binary_files(tmp_path, content, where):
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        read_word2vec(path)
    message = str(info.value)
    assert f"{where}:" in message
    assert "\n" not in message


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


# ----------------------------------------------------------------- load_vectors


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
    words, vectors, loaded = load_vectors(path)
    assert words == ["a", "ü", "😀"]
    np.testing.assert_array_equal(vectors, model.input)
    assert loaded is not None
    assert loaded.config == {"dim": 4, "loss": "nce"}
    np.testing.assert_array_equal(loaded.output, model.output)


def test_load_vectors_word2vec(tmp_path):
    path = tmp_path / "v.bin"
    write_word2vec(path, ["a", "b"], np.eye(2, dtype=np.float32), binary=True)
    words, vectors, model = load_vectors(path)
    assert words == ["a", "b"]
    assert model is None
    np.testing.assert_array_equal(vectors, np.eye(2))


def test_load_vectors_npz_missing_key(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    del arrays["output"]
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="missing arrays: output"):
        load_vectors(path)


@pytest.mark.parametrize(
    "content", [b"", b"this is not a zip file", b"PK\x03\x04garbage"], ids=["empty", "text", "zip"]
)
def test_load_vectors_npz_garbage(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load_vectors(path)
    assert "\n" not in str(info.value)


def test_load_vectors_npz_refuses_pickles(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    arrays["vocab"] = np.array(["a", "b"], dtype=object)
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="not a valid"):
        load_vectors(path)


def test_load_vectors_npz_inconsistent_shapes(tmp_path):
    arrays = _model(["a", "b"]).to_npz_arrays()
    arrays["vocab"] = np.array(["a", "b", "c"])
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match="inconsistent"):
        load_vectors(path)


def test_load_vectors_npz_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_vectors(tmp_path / "nope.npz")
