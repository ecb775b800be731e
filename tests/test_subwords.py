"""Subword n-grams: the ids are fastText's own (its ``get_subwords``), Unicode included."""

import gzip
import itertools
import json

import fasttext
import numpy as np
import pytest

from tests.conftest import DEMO_CORPUS, run_cli
from w2v_nce import load
from w2v_nce.errors import UsageError, W2VNceWarning
from w2v_nce.model import initial_buckets
from w2v_nce.params import TrainConfig
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
        "-o", out / "vectors.txt", "--save-model", out / "model.npz",
        "--fasttext-bin", out / "model.bin", check=True,
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


# -- words out of the vocabulary --------------------------------------------------------------

UNSEEN = "glossingly"  # not in the 2,000 lines; its n-grams ("<gl", "oss", ...) are


def test_an_oov_words_vector_is_the_mean_of_its_ngram_rows(trained):
    """The API: model.wv is gensim's FastTextKeyedVectors; any word has a vector."""
    from gensim.models.fasttext import FastTextKeyedVectors

    model = load(trained / "model.npz")
    assert UNSEEN not in model.index()
    rows = model.buckets[Subwords(3, 5, 5000).ngram_ids(UNSEEN)]
    want = rows.mean(axis=0)
    np.testing.assert_allclose(model.oov_vectors([UNSEEN])[0], want, rtol=1e-6, atol=1e-7)
    kv = model.wv
    assert isinstance(kv, FastTextKeyedVectors)
    np.testing.assert_allclose(kv[UNSEEN], want, rtol=1e-5, atol=1e-7)
    known = model.vocab[3]
    np.testing.assert_allclose(kv[known], model.vectors[3])
    np.testing.assert_allclose(model.oov_vectors([known])[0], model.vectors[3])
    with pytest.warns(W2VNceWarning, match=f"not in the vocabulary: '{UNSEEN}'"):
        neighbours = model.most_similar(UNSEEN, topn=3)
    assert len(neighbours) == 3 and all(word != UNSEEN for word, _ in neighbours)
    by_gensim = [w for w, _ in kv.most_similar(UNSEEN, topn=3)]
    assert [w for w, _ in neighbours] == by_gensim


def test_most_similar_and_analogy_answer_for_oov_words_with_a_note(trained):
    model = trained / "model.npz"
    result = run_cli("most-similar", UNSEEN, "--vectors", model, "--topn", "4", check=True)
    assert len(result.stdout.splitlines()) == 4
    assert f"note: not in the vocabulary: '{UNSEEN}'; its vector is the mean" in result.stderr
    analogy = run_cli("analogy", "a", UNSEEN, "the", "--vectors", model, check=True)
    assert analogy.stdout.strip() and f"'{UNSEEN}'" in analogy.stderr
    plain = run_cli("most-similar", UNSEEN, "--vectors", trained / "vectors.txt")
    assert plain.returncode != 0 and "is not in the vocabulary" in plain.stderr


def test_evaluate_gives_oov_words_vectors(trained):
    """The pair sets' words out of the vocabulary get vectors: nothing is skipped."""
    result = run_cli("evaluate", trained / "model.npz", "--json", check=True)
    scores = json.loads(result.stdout)
    assert scores["ws353_oov"] == 0 and scores["simlex999_oov"] == 0
    plain = json.loads(run_cli("evaluate", trained / "vectors.txt", "--json", check=True).stdout)
    assert plain["ws353_oov"] > 0.3


def test_init_and_checkpoints_carry_the_buckets(trained, tmp_path):
    from w2v_nce.training import checkpoint
    from w2v_nce.training.trainer import RunState

    corpus = trained / "corpus.txt"
    run_cli(
        "train", corpus, "--init", trained / "model.npz", "--epochs", "1", "--threads", "1",
        "-q", "--save-model", tmp_path / "more.npz", check=True,
    )  # fmt: skip
    before, after = load(trained / "model.npz"), load(tmp_path / "more.npz")
    assert after.subwords == before.subwords and after.buckets.shape == before.buckets.shape
    assert not np.array_equal(after.buckets, before.buckets)  # trained on
    refused = run_cli("train", corpus, "--init", trained / "model.npz", "--subwords", "2-4")
    assert refused.returncode != 0 and "--subwords 2-4 conflicts" in refused.stderr
    checkpoint.save(tmp_path / "ck.npz", after, RunState.fresh(1, 2), {})
    back = checkpoint.load(str(tmp_path / "ck.npz")).model
    np.testing.assert_array_equal(back.buckets, after.buckets)
    np.testing.assert_array_equal(back.vectors, after.vectors)


# -- fastText's .bin ---------------------------------------------------------------------------


def test_the_bin_gives_fasttext_and_gensim_the_same_vectors(trained):
    """In and out of the vocabulary, fastText's and gensim's readers of --fasttext-bin
    give the model's vectors."""
    from gensim.models.fasttext import load_facebook_model

    model = load(trained / "model.npz")
    ours = fasttext.load_model(str(trained / "model.bin"))
    theirs = load_facebook_model(str(trained / "model.bin")).wv
    assert ours.words == model.vocab and (ours.f.getArgs().minn, ours.f.getArgs().maxn) == (3, 5)
    words = [model.vocab[0], model.vocab[9], model.vocab[-1], UNSEEN, "日本語", "x"]
    want = model.oov_vectors(words)
    for word, vector in zip(words, want, strict=True):
        np.testing.assert_allclose(ours.get_word_vector(word), vector, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(theirs[word], vector, rtol=1e-5, atol=1e-6)


def test_a_model_without_subwords_writes_a_bin_too(tmp_path):
    from tests.test_cli import CORPUS

    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS + "\n")
    run_cli(
        "train", corpus, "--dim", "8", "--epochs", "1", "--min-count", "2", "--threads", "1",
        "-q", "--save-model", tmp_path / "m.npz", "--fasttext-bin", tmp_path / "m.bin", check=True,
    )  # fmt: skip
    model = load(tmp_path / "m.npz")
    ours = fasttext.load_model(str(tmp_path / "m.bin"))
    for i, word in enumerate(model.vocab):
        np.testing.assert_allclose(ours.get_word_vector(word), model.input[i], rtol=1e-6)
    assert not ours.get_word_vector("never-seen").any()


def test_two_outputs_naming_one_file_are_refused(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    for other in ("-o", "--save-model", "--checkpoint", "--loss-log"):
        result = run_cli("train", corpus, other, tmp_path / "x", "--fasttext-bin", tmp_path / "x")
        assert result.returncode != 0 and "--fasttext-bin" in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(("model", "loss"), [("cbow", "softmax"), ("skipgram", "hs")])
def test_other_models_and_losses_train_with_subwords(tmp_path, model, loss):
    """The full softmax's batched kernel and the tree take --subwords too: every bucket row
    of the vocabulary's n-grams trains, no other moves."""
    from tests.test_cli import CORPUS

    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS + "\n")
    run_cli(
        "train", corpus, "--model", model, "--loss", loss, "--subwords", "2-4", "--buckets",
        "500", "--dim", "8", "--epochs", "2", "--sample", "0", "--min-count", "2", "-q",
        "--save-model", tmp_path / "m.npz", "-o", tmp_path / "v.txt", check=True,
    )  # fmt: skip
    trained = load(tmp_path / "m.npz")
    assert trained.buckets.shape == (500, 8) and np.isfinite(trained.vectors).all()
    start = initial_buckets(TrainConfig(dim=8, subwords="2-4", buckets=500).validate())
    used = np.unique(trained.subwords.table(trained.vocab).rows)
    moved = np.abs(trained.buckets - start).max(axis=1) > 0
    assert moved[used].all() and not moved.any(where=~np.isin(np.arange(500), used))


def test_keywords_rank_oov_words_by_their_ngrams(trained):
    """A word out of the vocabulary is ranked with the rest: its score is Σ over the text's
    known tokens of s(w, c) (less the log-partition's share for a normalised loss), with
    w's vector from its n-grams; the CLI says so in a note."""

    model = load(trained / "model.npz")
    text = f"the {UNSEEN} of a word"
    with pytest.warns(W2VNceWarning) as caught:
        ranked = dict(model.keywords(text, topn=None))
    assert any("ranked by their n-grams' vectors" in str(w.message) for w in caught)
    known = [w for w in text.split() if w in model.index()]
    assert set(ranked) == set(text.split()) and UNSEEN not in known
    ids = [model.index()[w] for w in known]
    want = model.scores_of(model.oov_vectors([UNSEEN]), ids).sum()  # neg: a reading, no log Z
    if model.loss.distribution.renormalise:
        want -= len(ids) * model.log_partition(None, model.oov_vectors([UNSEEN]))[0]
    assert ranked[UNSEEN] == pytest.approx(want, rel=1e-9)
    result = run_cli("keywords", *text.split(), "--vectors", trained / "model.npz", check=True)
    assert UNSEEN in result.stdout and "ranked by their n-grams' vectors" in result.stderr


def test_context_neighbours_of_an_oov_word_come_from_its_ngrams(trained):
    """most-similar --by context scores a word out of the vocabulary with its n-grams'
    input vector against every output row, as for a known word, and says so."""
    model = load(trained / "model.npz")
    u = model.oov_vectors([UNSEEN])
    with pytest.warns(W2VNceWarning) as caught:
        rows = model.context(UNSEEN, topn=5)
    assert any(f"not in the vocabulary: '{UNSEEN}'" in str(w.message) for w in caught)
    scores = model.scores_of(u)[0]
    log_z = model.log_partition(None, u)[0] if model.loss.distribution.renormalise else 0.0
    best = np.argsort(-scores, kind="stable")[:5]
    assert [word for word, _, _ in rows] == [model.vocab[i] for i in best]
    for (_, score, p), i in zip(rows, best, strict=True):
        assert score == pytest.approx(scores[i], rel=1e-9)
        assert p == pytest.approx(np.exp(scores[i] - log_z), rel=1e-9)
    known = model.vocab[3]  # a word of the vocabulary: the same numbers as before
    with pytest.warns(W2VNceWarning):  # neg's p(c|w) is a reading: the note that says so
        top = model.context(known, topn=3)[0]
    assert top[1] == pytest.approx(model.scores(3)[0].max())
    result = run_cli(
        "most-similar", UNSEEN, "--by", "context", "--vectors", trained / "model.npz", check=True
    )
    assert len(result.stdout.splitlines()) == 1 + 10  # the header and the default topn
    assert f"note: not in the vocabulary: '{UNSEEN}'" in result.stderr
