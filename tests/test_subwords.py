"""Subword n-grams: the ids are fastText's own (its ``get_subwords``), Unicode included."""

import gzip
import itertools
import json

import fasttext
import numpy as np
import pytest

from tests.conftest import DEMO_CORPUS, run_cli
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


# -- training through the command line -----------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """2,000 lines of the demo corpus trained with --subwords 3-5 into 5,000 buckets."""
    out = tmp_path_factory.mktemp("subwords")
    corpus = out / "corpus.txt"
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        corpus.write_text("".join(itertools.islice(lines, 2000)), encoding="utf-8")
    run_cli(
        "train", corpus, "--subwords", "3-5", "--buckets", "5000", "--dim", "16",
        "--epochs", "1", "--threads", "1", "--min-count", "3", "-q",
        "-o", out / "vectors.txt", "--save-model", out / "model.npz", check=True,
    )  # fmt: skip
    return out


def test_the_model_keeps_its_buckets_and_writes_each_words_mean(trained):
    """--save-model holds the bucket matrix; -o writes each word's mean of its row and
    its n-gram rows (fastText's word vector), which gensim reads."""
    from gensim.models import KeyedVectors

    with np.load(trained / "model.npz") as arrays:
        vocab, input_rows, buckets = list(arrays["vocab"]), arrays["input"], arrays["buckets"]
        config = json.loads(str(arrays["config"]))
    assert buckets.shape == (5000, 16) and (config["subwords"], config["buckets"]) == ("3-5", 5000)
    written = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    subwords = Subwords(3, 5, 5000)
    for i in (0, 7, len(vocab) - 1):
        rows = np.vstack([input_rows[i], buckets[subwords.ngram_ids(vocab[i])]])
        np.testing.assert_allclose(written[vocab[i]], rows.mean(axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--subwords", "6-3"), "error: --subwords 6-3: need 1 <= MIN <= MAX"),
        (("--subwords", "3-6", "--loss", "softmax"), "error: --subwords is not available with"),
        (("--subwords", "3-6", "--workers", "2"), "error: --subwords is not available with --wo"),
    ],
)
def test_refusals_are_one_line(tmp_path, options, message):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    result = run_cli("train", corpus, *options, "-o", tmp_path / "v.txt")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message), result.stderr
