"""Subword n-grams: the ids are fastText's own (its ``get_subwords``), Unicode included."""

import fasttext
import numpy as np
import pytest

from w2v_nce.errors import UsageError
from w2v_nce.subwords import Subwords

WORDS = [
    "hello", "a", "ab", "the", "x" * 20, "café", "naïve", "Ünïcödé", "日本語", "москва",
    "e\u0301te\u0301",  # combining accents: code points, not graphemes
    "🙂ok🙂", "ﬁ", "straße", "</s>", "never-seen", "dog's",
]  # fmt: skip
TRAIN_WORDS = WORDS[:6]


@pytest.fixture(scope="module")
def fasttext_model(tmp_path_factory):
    """A tiny fastText model: only its dictionary (and so get_subwords) is used."""
    corpus = tmp_path_factory.mktemp("ft") / "corpus.txt"
    corpus.write_text((" ".join(TRAIN_WORDS) + "\n") * 20, encoding="utf-8")
    return fasttext.train_unsupervised(
        str(corpus), model="skipgram", minn=2, maxn=5, minCount=1, dim=4, epoch=1,
        bucket=100_003, thread=1, verbose=0,
    )  # fmt: skip


@pytest.mark.parametrize("word", WORDS)
def test_ngram_ids_are_fasttexts(fasttext_model, word):
    """fastText's ids are the word's own id (in its vocabulary) then nwords + bucket."""
    subwords = Subwords(2, 5, 100_003)
    names, ids = fasttext_model.get_subwords(word)
    nwords = len(fasttext_model.words)
    in_vocabulary = word in fasttext_model.words
    if in_vocabulary:
        assert ids[0] < nwords
        names, ids = names[1:], ids[1:]
    if word == "</s>":  # fastText's end of sentence: no n-grams in its dictionary
        assert subwords.ngram_ids(word).size == 0
        return
    np.testing.assert_array_equal(subwords.ngram_ids(word), ids - nwords)
    assert subwords.ngrams(word) == list(names)


def test_the_table_is_every_words_ids_in_order():
    subwords = Subwords(3, 6, 2_000_000)
    table = subwords.table(WORDS)
    assert table.starts[0] == 0 and table.starts[-1] == table.rows.size
    for i, word in enumerate(WORDS):
        np.testing.assert_array_equal(table.of(i), subwords.ngram_ids(word))
    assert subwords.ngrams("ab") == ["<ab", "<ab>", "ab>"]


@pytest.mark.parametrize(("text", "want"), [("3-6", (3, 6)), ("4", (4, 4)), (" 1 - 2 ", (1, 2))])
def test_parse(text, want):
    got = Subwords.parse(text, 10)
    assert (got.minn, got.maxn, got.buckets) == (*want, 10)


@pytest.mark.parametrize("text", ["6-3", "0-2", "three", "3-", "-3"])
def test_parse_refuses(text):
    with pytest.raises(UsageError, match="--subwords"):
        Subwords.parse(text)
