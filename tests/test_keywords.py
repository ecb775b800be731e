"""Keywords: log p(text | w) per word of a text, through the library and the command line.

The scores are checked against plain numpy on tiny models whose matrices are
written out (every loss's reading of p(c|w)), and the ranking on corpora where
the answer is known: a word that determines its context ranks first, a word
seen next to uniformly random words last.
"""

import gzip
import json
import warnings

import numpy as np
import pytest

import w2v_nce
from tests.conftest import run_cli
from w2v_nce import W2VNceWarning
from w2v_nce import keywords as keywords_module
from w2v_nce.errors import UsageError, UserError
from w2v_nce.io.corpus import iter_sentences
from w2v_nce.keywords import document_keywords, text_keywords, tokenize
from w2v_nce.model import Model, huffman_tree


def random_model(loss, vocab_size=40, dim=6, seed=0):
    """A model with random matrices (hs: a Huffman tree over random counts)."""
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1000, size=vocab_size))[::-1]
    tree = huffman_tree(counts) if loss == "hs" else None
    outputs = vocab_size - 1 if tree else vocab_size
    return Model(
        [f"w{i}" for i in range(vocab_size)],
        counts,
        rng.normal(scale=1.5, size=(vocab_size, dim)).astype(np.float32),
        rng.normal(scale=1.5, size=(outputs, dim)).astype(np.float32),
        {"loss": loss, "base": "none" if loss in ("hs", "neg") else "unigram"},
        tree,
    )


@pytest.mark.parametrize("loss", ["nce", "hs"])
def test_scores_at_some_columns_are_those_columns_of_the_full_rows(loss):
    model = random_model(loss)
    rows, columns = np.array([3, 0, 39, 3]), np.array([39, 5, 5, 0, 17])
    np.testing.assert_allclose(
        model.scores(rows, columns), model.scores(rows)[:, columns], rtol=1e-12, atol=1e-12
    )


# -- the scores against plain numpy ----------------------------------------------------------


def reference_log_probs(model):
    """log p(c|w) for every w, c, written out per loss from the matrices."""
    u, out = model.input.astype(np.float64), model.output.astype(np.float64)
    if model.config["loss"] == "hs":
        points, codes, lengths = model.tree
        log_p = np.zeros((len(u), len(u)))
        for w in range(len(u)):
            for c in range(len(u)):
                for d in range(lengths[c]):
                    x = (1 - 2 * codes[c, d]) * (u[w] @ out[points[c, d]])
                    log_p[w, c] += -np.log1p(np.exp(-x))
        return log_p
    scores = u @ out.T
    if model.config["base"] == "unigram":
        scores += np.log(model.counts / model.counts.sum())
    if model.config["loss"] == "nce":
        return scores  # self-normalised: exp(s) as it is
    return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))


def reference_keywords(model, tokens):
    """Σ_{j≠i} log p(t_j | w) at w's first position i, over the known tokens; ties by position."""
    log_p = reference_log_probs(model)
    ids = [model.vocab.index(t) for t in tokens if t in model.vocab]
    ranked = []
    for i, w in enumerate(ids):
        if w not in ids[:i]:
            score = sum(log_p[w, c] for j, c in enumerate(ids) if j != i)
            ranked.append((-score, i, model.vocab[w]))
    return [(word, -negated) for negated, _, word in sorted(ranked)]


LOSSES = ["nce", "softmax", "infonce", "neg", "hs"]
TEXT = "w7 w3 unknown w12 w7 w0 w39 w3 w7 W5"


@pytest.mark.parametrize("loss", LOSSES)
def test_scores_are_log_p_of_the_text_given_the_word(loss, monkeypatch):
    model = random_model(loss)
    expected = reference_keywords(model, TEXT.split())
    got, _ = text_keywords(model, TEXT, topn=None)
    assert [w for w, _ in got] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-10)
    # The same in blocks of a few rows (a long text's distinct words).
    monkeypatch.setattr(keywords_module, "SCORE_CELLS", 7)
    blocks, _ = text_keywords(model, TEXT.split(), topn=None)
    np.testing.assert_allclose([s for _, s in blocks], [s for _, s in got], rtol=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_each_line_of_a_document_scores_as_the_text_alone(loss):
    model = random_model(loss)
    lines = ["w1 w2 w3", "", "w3 w9 w1 w1", "w4 nothing", "  \t ", "w2 w9"]
    per_line, notes = document_keywords(model, lines, topn=2)
    assert [len(r) if r is not None else None for r in per_line] == [2, None, 2, 0, None, 2]
    for i in (0, 2, 5):
        alone, _ = text_keywords(model, lines[i], topn=2)
        assert [w for w, _ in per_line[i]] == [w for w, _ in alone]
        # (log Z of a word computed beside other rows: BLAS may differ in the last bit)
        np.testing.assert_allclose([s for _, s in per_line[i]], [s for _, s in alone], rtol=1e-12)
    assert "line 4 has fewer than two tokens in the vocabulary: no keywords for it" in notes


def test_ties_go_to_the_word_that_comes_first():
    model = random_model("nce")
    model.config["base"] = "none"
    model.output[:] = 0  # every score 0: every word ties
    got, _ = text_keywords(model, "w9 w2 w30 w2 w1", topn=None)
    assert got == [("w9", 0.0), ("w2", 0.0), ("w30", 0.0), ("w1", 0.0)]


def test_topn_and_every_word():
    model = random_model("softmax")
    everything, _ = text_keywords(model, TEXT, topn=None)
    assert [w for w, _ in everything] == ["w12", "w7", "w0", "w39", "w3"]  # each known word once
    assert text_keywords(model, TEXT, topn=0)[0] == everything
    assert text_keywords(model, TEXT, topn=2)[0] == everything[:2]
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(UsageError, match="topn must be an integer ≥ 0"):
            text_keywords(model, TEXT, topn=bad)


def test_tokens_are_split_as_the_training_reader_splits(tmp_path):
    line = "Dog\u00a0house  the\tcat\x0bsat\x0con\rthe\x1cmat café\u3000x ﬁ"
    path = tmp_path / "line.txt"
    path.write_text(line + "\n", encoding="utf-8")
    assert tokenize(line) == next(iter_sentences(str(path)))
    assert tokenize(line) == ["Dog\u00a0house", "the", "cat", "sat", "on", "the\x1cmat",
                              "café\u3000x", "ﬁ"]  # fmt: skip


# -- notes, warnings and errors in the library -----------------------------------------------


def test_model_keywords_warns_about_unknown_tokens_with_their_lower_case_form():
    model = random_model("nce")
    model.vocab[5] = "w5"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = model.keywords(TEXT, topn=3)
    assert got == text_keywords(model, TEXT, topn=3)[0]
    assert [str(w.message) for w in caught] == [
        "not in the vocabulary, skipped: 'unknown', 'W5' (the model has 'w5')"
    ]
    assert all(w.category is W2VNceWarning for w in caught)
    assert caught[0].filename == __file__  # the caller's line


def test_negative_sampling_is_a_reading_and_says_so():
    model = random_model("neg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.keywords("w1 w2 w3")
    assert [str(w.message) for w in caught] == [
        "a neg model is not a normalised model: its p(c|w) here is a reading (the softmax of "
        "its scores over the vocabulary), not the model's own distribution"
    ]
    for loss in ("nce", "softmax", "infonce", "hs"):
        assert text_keywords(random_model(loss), "w1 w2 w3")[1] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("w1", r"the text has 1 token in the vocabulary \(of 1\); keywords need at least two"),
        ("W1 nope w1", r"1 token in the vocabulary \(of 3; not in it: 'W1' \(the model has "
                       r"'w1'\), 'nope'\)"),
        ("", "the text is empty"),
        (" \t", "the text is empty"),
        (["w1", 2], "a text is a str or a list of str tokens, not a list holding 2"),
    ],
)  # fmt: skip
def test_a_text_needs_two_known_tokens(text, message):
    with pytest.raises(UsageError, match=message):
        random_model("nce").keywords(text)


def test_a_document_without_two_known_tokens_on_any_line_is_an_error():
    model = random_model("nce")
    message = r"no line of doc.txt has two tokens in the vocabulary \(2 lines of text; not in"
    with pytest.raises(UsageError, match=message + r" the vocabulary: 'x'\)"):
        document_keywords(model, ["w1", "", "x w2"], name="doc.txt")
    # empty or blank: the data's problem, exit 1 as for train and vocab (not a usage error)
    with pytest.raises(UserError, match=r"doc.txt has no text \(3 lines, all blank\)") as raised:
        document_keywords(model, ["", " ", "\t"], name="doc.txt")
    assert type(raised.value) is UserError and raised.value.exit_code == 1
    with pytest.raises(UserError, match=r"^doc.txt is empty; give one text per line$") as raised:
        document_keywords(model, [], name="doc.txt")
    assert type(raised.value) is UserError


def test_short_lines_are_named_in_one_note():
    lines = ["w1 w2", *(["w1"] * 12)]
    _, notes = document_keywords(random_model("nce"), lines)
    assert notes == [
        "lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more have fewer than two tokens in the "
        "vocabulary: no keywords for them"
    ]
    _, notes = document_keywords(random_model("nce"), ["w1 w2", "w1 z", "y w3 w4 z"])
    assert notes == [
        "not in the vocabulary, skipped: 3 tokens in 2 lines: 'z', 'y'",
        "line 2 has fewer than two tokens in the vocabulary: no keywords for it",
    ]


def test_vectors_alone_are_not_enough():
    model = random_model("nce")
    vectors_only = Model(model.vocab, None, model.input, None, {})
    with pytest.raises(UsageError, match="keywords needs the output vectors.*'train --save-model'"):
        vectors_only.keywords("w1 w2")


# -- a corpus where the answer is known ------------------------------------------------------

CONTEXT = ["c1", "c2", "c3", "c4"]
FILLERS = [f"f{i:02d}" for i in range(20)]


def known_answer_corpus(seed=1):
    """'dee' occurs only with c1..c4, which also occur among 20 filler words; 'you'
    occurs with words drawn uniformly from the whole vocabulary.

    Every sentence is 5 words (within the default window), so in the corpus
    p(c_j | dee) ≈ 0.19 and p(you | dee) ≈ 0.06: log p(text | dee) ≈ -9.3 for the text
    below; each c_i predicts dee and the other c's at about 0.13 (≈ -11.5), and you
    predicts every word at about 1/25 (≈ -16).
    """
    rng = np.random.default_rng(seed)
    everything = ["dee", *CONTEXT, *FILLERS]
    sentences = [list(rng.permutation(["dee", *CONTEXT])) for _ in range(300)]
    sentences += [list(rng.choice(CONTEXT + FILLERS, 5)) for _ in range(1200)]
    sentences += [list(rng.permutation(["you", *rng.choice(everything, 4)])) for _ in range(600)]
    return [sentences[i] for i in rng.permutation(len(sentences))]


KNOWN_TEXT = "c1 you c2 dee c3 c4"


@pytest.mark.parametrize("loss", ["nce", "hs", "neg"])
def test_the_word_that_determines_its_context_ranks_first_and_the_uniform_one_last(loss):
    model = w2v_nce.train(
        known_answer_corpus(), loss=loss, min_count=1, sample=0, dim=16, epochs=10,
        threads=1, seed=1, progress=False,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranked = model.keywords(KNOWN_TEXT, topn=None)
    print(loss, ranked)
    words = [w for w, _ in ranked]
    assert words[0] == "dee" and words[-1] == "you" and sorted(words[1:-1]) == CONTEXT
    scores = dict(ranked)
    assert scores["dee"] > max(scores[c] for c in CONTEXT) + 0.5
    assert scores["you"] < min(scores[c] for c in CONTEXT) - 2
    assert len(caught) == (loss == "neg")  # the note that neg's p(c|w) is a reading


# -- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The known-answer corpus's nce and neg models as .npz, and the nce vectors alone."""
    out = tmp_path_factory.mktemp("keywords")
    for loss in ("nce", "neg"):
        model = w2v_nce.train(
            known_answer_corpus(), loss=loss, min_count=1, sample=0, dim=16, epochs=10,
            threads=1, seed=1, progress=False,
        )  # fmt: skip
        model.save(out / f"{loss}.npz")
    model.save_word2vec_format(out / "vectors.txt")
    return out


def rows(stdout):
    return [(word, float(score)) for word, score in (line.split("\t") for line in stdout)]


def one_error_line(result, code=None):
    assert result.returncode != 0 and (code is None or result.returncode == code)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    return result.stderr


def test_the_command_prints_word_and_score_best_first(saved):
    model = w2v_nce.load(saved / "nce.npz")
    result = run_cli("keywords", *KNOWN_TEXT.split(), "--vectors", saved / "nce.npz", check=True)
    assert result.stderr == ""
    got = rows(result.stdout.splitlines())
    expected = model.keywords(KNOWN_TEXT)
    assert [w for w, _ in got] == [w for w, _ in expected] and got[0][0] == "dee"
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=5e-5)
    two = run_cli("keywords", KNOWN_TEXT, "--topn", "2", "--vectors", saved / "nce.npz")
    assert two.stdout.splitlines() == result.stdout.splitlines()[:2]
    as_json = run_cli("keywords", KNOWN_TEXT, "--json", "--vectors", saved / "nce.npz")
    assert json.loads(as_json.stdout) == [{"word": w, "score": s} for w, s in expected]


DOCUMENT = "\ufeffc1 you c2 dee c3 c4\r\n\nc1 dee\nDee zzz c1\n  \nyou c2 zzz c3"


def test_a_document_gives_the_keywords_of_each_line(saved, tmp_path):
    model = w2v_nce.load(saved / "nce.npz")
    path = tmp_path / "doc.txt"
    path.write_text(DOCUMENT, encoding="utf-8")
    vectors = ("--vectors", saved / "nce.npz", "--topn", "3")
    result = run_cli("keywords", "--file", path, *vectors, check=True)
    blocks = result.stdout.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "# line 1", "# line 3", "# line 4", "# line 6"
    ]  # fmt: skip
    assert blocks[2] == "# line 4"  # one known token: no keywords
    for block, text in zip(
        blocks, ("c1 you c2 dee c3 c4", "c1 dee", None, "you c2 c3"), strict=True
    ):
        if text is not None:
            expected = [(w, round(s, 4)) for w, s in model.keywords(text, topn=3)]
            assert rows(block.splitlines()[1:]) == expected
    assert result.stderr == (
        "note: not in the vocabulary, skipped: 3 tokens in 2 lines: 'Dee' (the model has "
        "'dee'), 'zzz'\n"
        "note: line 4 has fewer than two tokens in the vocabulary: no keywords for it\n"
    )
    # One list per line of the input, blank and short lines empty: line n is item n - 1.
    listed = json.loads(run_cli("keywords", "--file", path, *vectors, "--json").stdout)
    assert [len(item) for item in listed] == [3, 0, 2, 0, 0, 3]
    assert [d["word"] for d in listed[2]] == [w for w, _ in model.keywords("c1 dee")]
    # Standard input (- alone, or --file -) and a gzip file read the same.
    for args, source in (
        (("-",), {"input": DOCUMENT}),
        (("--file", "-"), {"input": DOCUMENT}),
        (("--file", gzipped(path)), {}),
    ):
        again = run_cli("keywords", *args, *vectors, **source)
        assert (again.stdout, again.stderr) == (result.stdout, result.stderr)


def gzipped(path):
    packed = path.with_suffix(".txt.gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    return packed


def test_negative_sampling_gets_one_note(saved):
    result = run_cli("keywords", "zzz", *KNOWN_TEXT.split(), "--vectors", saved / "neg.npz")
    assert result.returncode == 0 and rows(result.stdout.splitlines())[0][0] == "dee"
    assert result.stderr == (
        "note: a neg model is not a normalised model: its p(c|w) here is a reading (the "
        "softmax of its scores over the vocabulary), not the model's own distribution\n"
        "note: not in the vocabulary, skipped: 'zzz'\n"
    )


def test_mistakes_are_one_error_line(saved, tmp_path):
    npz = ("--vectors", saved / "nce.npz")
    message = one_error_line(run_cli("keywords", "c1", "dee", "--vectors", saved / "vectors.txt"))
    assert "keywords needs the output vectors" in message and "'train --save-model'" in message
    message = one_error_line(run_cli("keywords", "c1", "Dee", *npz), code=2)
    assert message == (
        "error: the text has 1 token in the vocabulary (of 2; not in it: 'Dee' (the model has "
        "'dee')); keywords need at least two, a word and the rest of the text it predicts\n"
    )
    message = one_error_line(run_cli("keywords", "--file", tmp_path / "nope.txt", *npz))
    assert "nope.txt: no such file" in message
    (tmp_path / "short.txt").write_text("dee\n\nc1 zzz\n")
    message = one_error_line(run_cli("keywords", "--file", tmp_path / "short.txt", *npz), code=2)
    assert "no line of " in message and "(2 lines of text; not in the vocabulary: 'zzz')" in message
    (tmp_path / "bad.txt").write_bytes(b"c1 dee\nc2 d\xffe\n")
    message = one_error_line(run_cli("keywords", "--file", tmp_path / "bad.txt", *npz))
    assert "bad.txt: line 2 is not valid UTF-8 (byte 0xff at column 5)" in message
    replaced = run_cli(
        "keywords", "--file", tmp_path / "bad.txt", "--encoding-errors", "replace", *npz
    )
    assert replaced.returncode == 0 and "'d\ufffde'" in replaced.stderr
    assert "give TEXT or --file" in one_error_line(
        run_cli("keywords", "dee", "--file", tmp_path / "short.txt", *npz), code=2
    )
    assert "give a TEXT" in one_error_line(run_cli("keywords", *npz), code=2)
    assert "<stdin> is empty" in one_error_line(run_cli("keywords", "-", *npz, input=""), code=1)
    assert "model.npz: no such file" in one_error_line(run_cli("keywords", "a", "b", cwd=tmp_path))
