import numpy as np
import pytest
from gensim.models import KeyedVectors

from w2v_nce.errors import UsageError
from w2v_nce.query import Neighbours

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


def test_zero_vectors_give_zero_not_nan():
    words = ["a", "zero", "b"]
    vectors = np.array([[1, 0], [0, 0], [1, 1]], dtype=np.float32)
    nb = Neighbours(words, vectors)
    assert not np.isnan(nb.unit).any()
    result = dict(nb.most_similar(["a"], topn=5))
    assert result["zero"] == 0.0
    assert result["b"] == pytest.approx(np.sqrt(0.5))
    # A zero query vector (a word minus itself) is not an error either.
    assert all(s == 0.0 for _, s in nb.most_similar(["a"], ["a"], topn=5))


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
