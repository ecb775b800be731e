import difflib

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import run_cli
from w2v_nce.errors import UsageError
from w2v_nce.query import Neighbours, loose_key

VOCAB_SIZE = 3000
DIM = 24


@pytest.fixture(scope="module")
def space():
    rng = np.random.default_rng(42)
    words = [f"w{i}" for i in range(VOCAB_SIZE - 6)] + [
        "king",
        "kings",
        "kin",
        "queen",
        "man",
        "woman",
    ]
    vectors = rng.standard_normal((VOCAB_SIZE, DIM)).astype(np.float32)
    # Varying norms, so that forgetting to normalise would change the answers.
    vectors *= rng.uniform(0.1, 5.0, size=(VOCAB_SIZE, 1)).astype(np.float32)
    kv = KeyedVectors(DIM)
    kv.add_vectors(words, vectors)
    return words, vectors, Neighbours(words, vectors), kv


def _assert_same(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.parametrize(
    ("positive", "negative", "topn"),
    [
        (["king"], [], 10),
        (["w7"], [], 1),
        (["w7"], [], 25),
        (["king", "woman"], ["man"], 10),
        (["w1", "w2", "w3"], ["w4", "w5"], 15),
        ([], ["w10"], 5),
        (["w11", "w11"], ["w12"], 7),
    ],
)
def test_matches_gensim_most_similar(space, positive, negative, topn):
    _, _, nb, kv = space
    ours = nb.most_similar(positive=positive, negative=negative, topn=topn)
    theirs = kv.most_similar(positive=positive, negative=negative, topn=topn)
    assert len(ours) == topn
    _assert_same(ours, theirs)


def test_results_sorted_and_exclude_query_words(space):
    _, _, nb, _ = space
    result = nb.most_similar(["king", "woman"], ["man"], topn=50)
    words = [w for w, _ in result]
    scores = [s for _, s in result]
    assert not {"king", "woman", "man"} & set(words)
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(s, float) and -1.0001 <= s <= 1.0001 for s in scores)


def test_analogy_matches_gensim(space):
    _, _, nb, kv = space
    ours = nb.analogy("man", "king", "woman", topn=10)
    theirs = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=10)
    _assert_same(ours, theirs)


def test_single_string_argument(space):
    _, _, nb, _ = space
    assert nb.most_similar("king", topn=3) == nb.most_similar(["king"], topn=3)


def test_topn_larger_than_vocabulary():
    words = ["a", "b", "c"]
    vectors = np.array([[1, 0], [0.9, 0.1], [-1, 0]], dtype=np.float32)
    result = Neighbours(words, vectors).most_similar(["a"], topn=10)
    assert [w for w, _ in result] == ["b", "c"]
    assert result[1][1] == pytest.approx(-1.0)


def test_zero_vectors_are_left_out():
    words = ["a", "zero", "b", "nil", "c"]
    vectors = np.array([[1, 0], [0, 0], [1, 1], [0, 0], [-1, 0.1]], dtype=np.float32)
    nb = Neighbours(words, vectors)
    assert nb.zero_vectors == 2
    assert not np.isnan(nb.unit).any()
    # gensim ranks a zero vector's 0.0 above every negative cosine; here it is not a neighbour.
    result = nb.most_similar(["a"], topn=5)
    assert [w for w, _ in result] == ["b", "c"]
    assert result[0][1] == pytest.approx(np.sqrt(0.5))
    assert [w for w, _ in nb.analogy("a", "b", "c", topn=5)] == []
    assert [w for w, _ in nb.most_similar(["b"], topn=1)] == ["a"]
    # A word minus itself would rank every word at cosine 0: an error (issue 27).
    with pytest.raises(UsageError, match="both a positive and a negative word"):
        nb.most_similar(["a"], ["a"], topn=5)


@pytest.mark.parametrize(("positive", "negative"), [(["zero"], []), (["a"], ["zero"])])
def test_a_query_word_with_a_zero_vector_is_an_error(positive, negative):
    nb = Neighbours(["a", "zero", "b"], np.array([[1, 0], [0, 0], [1, 1]], dtype=np.float32))
    with pytest.raises(UsageError) as info:
        nb.most_similar(positive, negative)
    assert str(info.value) == (
        "the vector of 'zero' is all zeros, so its cosine with any word is undefined; "
        "ask about another word"
    )


def test_unit_rows(space):
    words, vectors, nb, _ = space
    assert nb.unit.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(nb.unit, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(nb.unit[5], vectors[5] / np.linalg.norm(vectors[5]), rtol=1e-6)
    assert nb.index["king"] == words.index("king")


def test_unknown_word_suggests_close_matches(space):
    _, _, nb, _ = space
    with pytest.raises(UsageError) as info:
        nb.most_similar(["kinng"])
    err = info.value
    assert err.exit_code == 2
    message = str(err)
    assert message.startswith("'kinng' is not in the vocabulary (3,000 words); close matches: ")
    matches = message.split("close matches: ")[1].split(", ")
    assert matches[0] == "king"
    assert set(matches) <= {"king", "kings", "kin"}
    assert "\n" not in message


def test_unknown_negative_word(space):
    _, _, nb, _ = space
    with pytest.raises(UsageError, match="'quen' is not in the vocabulary.*queen"):
        nb.most_similar(["king"], negative=["quen"])


def test_unknown_word_without_close_matches(space):
    _, _, nb, _ = space
    with pytest.raises(UsageError, match="no close matches") as info:
        nb.analogy("man", "king", "zzzzzzzzzzzz")
    assert info.value.exit_code == 2


def test_unknown_word_message_stays_on_one_line(space):
    _, _, nb, _ = space
    with pytest.raises(UsageError) as info:
        nb.most_similar(["bad\nword"])
    assert "\n" not in str(info.value)


def test_no_words_and_bad_topn(space):
    _, _, nb, _ = space
    with pytest.raises(UsageError):
        nb.most_similar([], [])
    with pytest.raises(UsageError):
        nb.most_similar(["king"], topn=0)


def test_non_ascii_words():
    words = ["日本", "日本語", "😀", "naïve"]
    vectors = np.array([[1, 0], [0.9, 0.2], [0, 1], [-1, 0]], dtype=np.float32)
    nb = Neighbours(words, vectors)
    assert nb.most_similar(["日本"], topn=1)[0][0] == "日本語"
    with pytest.raises(UsageError, match="日本"):
        nb.most_similar(["日本人"])


# -- close matches ignoring case and accents ---------------------------------------------------


def test_loose_key_ignores_case_accents_and_compatibility_forms():
    assert loose_key("Café") == loose_key("CAFE") == loose_key("cafe\u0301") == "cafe"
    assert loose_key("Straße") == loose_key("STRASSE") == "strasse"
    assert loose_key("ﬁancé") == "fiance"
    assert loose_key("日本") == "日本" and loose_key("naïve") != loose_key("naive!")


def test_close_matches_put_case_and_accent_variants_first():
    words = ["the", "then", "The", "théâtre", "theatre", "tHe", "cat"]
    nb = Neighbours(words, np.eye(len(words), dtype=np.float32))
    # Three variants of THE, in vocabulary order, fill the list before "then".
    assert nb.close_matches("THE") == ["the", "The", "tHe"]
    # The variants first, then difflib's spelling matches without repeating one.
    spelling = difflib.get_close_matches("Theatre", words)
    assert "theatre" in spelling and "The" in spelling
    assert nb.close_matches("Theatre") == ["théâtre", "theatre", "The"]
    # Without a variant, the spelling matches alone, as before.
    assert nb.close_matches("thena") == difflib.get_close_matches("thena", words) != []


def test_close_matches_are_at_most_three_and_distinct(space):
    _, _, nb, _ = space
    for word in ("KING", "Kings", "kinng", "w1"):
        matches = nb.close_matches(word)
        assert 1 <= len(matches) <= 3 and len(set(matches)) == len(matches)
    assert nb.close_matches("KING")[0] == "king"


def test_most_similar_suggests_the_lower_case_word(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("4 2\nthe 1 0\ncat 0.5 0.5\nnaïve 0.9 0.1\ncafé 0 1\n")
    for query, match in (("THE", "the"), ("NAIVE", "naïve"), ("Cafe", "café")):
        result = run_cli("most-similar", query, "--vectors", path)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (
            f"error: {query!r} is not in the vocabulary (4 words); close matches: {match}\n"
        )


# -- zero vectors through the CLI ------------------------------------------------------------


def test_most_similar_notes_and_skips_zero_vectors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("5 2\nthe 1 0\ncat 0 0\ndog -1 0.2\nnil 0 -0\nsun 0.8 0.3\n")
    result = run_cli("most-similar", "the", "--vectors", path)
    assert result.returncode == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["sun", "dog"]
    assert result.stderr == (
        f"note: {path} has 2 zero vectors (all components 0); they are left out of the neighbours\n"
    )
    answers = run_cli("analogy", "the", "sun", "dog", "--vectors", path, check=True).stdout
    assert answers == ""  # cat and nil are no answers; the three query words are excluded
    result = run_cli("most-similar", "nil", "--vectors", path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.endswith(
        "error: the vector of 'nil' is all zeros, so its cosine with any word is undefined; "
        "ask about another word\n"
    )


@pytest.mark.parametrize(
    ("rows", "note"), [("", ""), ("nil 0 0\n", "has 1 zero vector (all components 0);")]
)
def test_most_similar_note_counts_zero_vectors(tmp_path, rows, note):
    path = tmp_path / "v.txt"
    path.write_text(f"{2 + bool(rows)} 2\nthe 1 0\n{rows}sun 0.8 0.3\n")
    result = run_cli("most-similar", "the", "--vectors", path, check=True)
    assert result.stdout.splitlines() == [f"sun\t{0.8 / np.hypot(0.8, 0.3):.4f}"]
    assert (note in result.stderr) and result.stderr.count("\n") == bool(rows)
