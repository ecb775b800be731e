"""Cosine scores: the same numbers as gensim's evaluate_word_pairs / evaluate_word_analogies."""

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from scipy import stats

from tests.conftest import run_cli
from w2v_nce.errors import UserError
from w2v_nce.evaluation.bootstrap import resample_indices
from w2v_nce.evaluation.cosine import (
    cosine_scores,
    evaluate_analogies,
    evaluate_pairs,
    folded_index,
    gensim_data,
    read_analogies,
    read_pairs,
)
from w2v_nce.evaluation.stats import pearson, ranks, spearman

PAIR_FILES = ("wordsim353.tsv", "simlex999.txt")


def dataset_words():
    words = set()
    for name in PAIR_FILES:
        for line in open(datapath(name), encoding="utf-8"):
            if not line.startswith("#"):
                words.update(line.split("\t")[:2])
    for line in open(datapath("questions-words.txt"), encoding="utf-8"):
        if not line.startswith(":"):
            words.update(line.split())
    return sorted(words)


@pytest.fixture(scope="module")
def space():
    """Vectors for most words of the three data sets, in mixed case, in low dimension.

    Low dimension makes 3CosAdd right by chance often enough that the accuracy is
    not 0; some words are left out (OOV), some appear twice in different case (the
    first one must win) and the norms vary (so forgetting to normalise would show).
    """
    rng = np.random.default_rng(7)
    words = [w for w in dataset_words() if rng.random() > 0.1]
    rng.shuffle(words)
    words = [w.upper() if i % 7 == 0 else w for i, w in enumerate(words)]
    words += [w.lower() for w in words[:50] if w.lower() != w]  # later case variants
    vectors = rng.normal(size=(len(words), 3)).astype(np.float32)
    vectors *= rng.uniform(0.2, 4.0, size=(len(words), 1)).astype(np.float32)
    kv = KeyedVectors(3)
    kv.add_vectors(words, vectors)
    return words, vectors, kv


@pytest.mark.parametrize("name", PAIR_FILES)
@pytest.mark.parametrize("restrict", [300_000, 1000])
def test_pairs_equal_gensim(space, name, restrict):
    words, vectors, kv = space
    ours = evaluate_pairs(words, vectors, datapath(name), restrict=restrict)
    _, (spearman, _), oov_percent = kv.evaluate_word_pairs(datapath(name), restrict_vocab=restrict)
    assert ours.spearman == pytest.approx(spearman, abs=1e-6)
    assert ours.oov == pytest.approx(oov_percent / 100, abs=1e-12)
    assert 0 < ours.oov < 1 and ours.pairs > 20


@pytest.mark.parametrize("restrict", [30_000, 600])
def test_analogies_equal_gensim(space, restrict):
    words, vectors, kv = space
    path = datapath("questions-words.txt")
    ours = evaluate_analogies(words, vectors, path, restrict=restrict)
    accuracy, sections = kv.evaluate_word_analogies(path, restrict_vocab=restrict)
    total = sections[-1]
    assert ours.correct == len(total["correct"])
    assert ours.questions > 0 and (ours.correct > 0 or restrict < 30_000)
    assert ours.questions == len(total["correct"]) + len(total["incorrect"])
    assert ours.accuracy == pytest.approx(accuracy, abs=1e-6)
    asked = sum(1 for line in open(path) if not line.startswith(":"))
    assert ours.oov == pytest.approx((asked - ours.questions) / asked, abs=1e-12)


@pytest.fixture(scope="module")
def other_space(space):
    """A second model: other vectors, a fifth of the first one's words missing."""
    words, vectors, _ = space
    rng = np.random.default_rng(8)
    keep = rng.random(len(words)) > 0.2
    other = rng.normal(size=vectors.shape).astype(np.float32)[keep]
    return [w for w, k in zip(words, keep, strict=True) if k], other


def loop_scores(per_line, index, score):
    """``score`` of each resample's answered lines, one resample at a time."""
    out = []
    for row in index:
        answered = [per_line[line] for line in row if line in per_line]
        out.append(score(answered))
    return np.array(out)


def loop_spearman(answered):
    return stats.spearmanr(*zip(*answered, strict=True)).statistic


def test_pairs_keep_their_lines_and_resample_them_for_both_models(space, other_space):
    """On the same resampled lines each model scores the pairs it knows (a direct loop)."""
    words, vectors, kv = space
    path = datapath("wordsim353.tsv")
    lines = read_pairs(path)
    ours, theirs = evaluate_pairs(words, vectors, path), evaluate_pairs(*other_space, path)
    assert ours.items == theirs.items == len(lines)
    assert ours.skipped != theirs.skipped  # different OOV sets
    folded = folded_index(words, len(words))
    for line, gold, cosine in zip(ours.index, ours.gold, ours.cosine, strict=True):
        a, b, sim = lines[line]
        assert gold == sim
        assert cosine == pytest.approx(kv.similarity(words[folded[a]], words[folded[b]]), abs=1e-6)
    index = resample_indices(len(lines), resamples=200, seed=0)
    by_line = [
        dict(zip(s.index, zip(s.gold, s.cosine, strict=True), strict=True)) for s in (ours, theirs)
    ]
    a, b = (loop_scores(per_line, index, loop_spearman) for per_line in by_line)
    np.testing.assert_allclose(ours.resampled(index), a, atol=1e-12)
    np.testing.assert_allclose(theirs.resampled(index), b, atol=1e-12)
    np.testing.assert_allclose(ours.interval(200), np.percentile(a, [2.5, 97.5]), atol=1e-12)
    assert ours.interval() == ours.interval()  # seeded
    low, high = ours.interval()
    assert low < ours.spearman < high
    difference = ours.difference(theirs, resamples=200)
    assert difference["diff"] == ours.spearman - theirs.spearman
    np.testing.assert_allclose(difference["ci"], np.percentile(a - b, [2.5, 97.5]), atol=1e-12)
    # every resample of a difference with itself is 0: no interval (bootstrap.interval's rule)
    assert ours.difference(ours) == {"diff": 0.0, "ci": None}
    with pytest.raises(ValueError, match="same items"):
        ours.difference(evaluate_pairs(words, vectors, datapath("simlex999.txt")))


def test_analogies_keep_their_questions_and_resample_them_for_both_models(space, other_space):
    words, vectors, kv = space
    path = datapath("questions-words.txt")
    ours, theirs = evaluate_analogies(words, vectors, path), evaluate_analogies(*other_space, path)
    assert ours.items == theirs.items == len(read_analogies(path))
    assert ours.hits.sum() == ours.correct > 0 and theirs.correct > 0
    assert ours.index.size == ours.questions != theirs.questions
    index = resample_indices(ours.items, resamples=50, seed=0)
    a, b = (
        loop_scores(dict(zip(s.index, s.hits, strict=True)), index, np.mean) for s in (ours, theirs)
    )
    np.testing.assert_allclose(ours.resampled(index), a, atol=1e-12)
    difference = ours.difference(theirs, resamples=50)
    np.testing.assert_allclose(difference["ci"], np.percentile(a - b, [2.5, 97.5]), atol=1e-12)
    low, high = ours.interval()
    assert low < ours.accuracy < high


def test_case_folding_keeps_the_first_variant():
    assert folded_index(["Paris", "paris", "x", "PARIS"], 10) == {"PARIS": 0, "X": 2}
    assert folded_index(["Paris", "paris", "x"], 1) == {"PARIS": 0}


def test_custom_files_follow_gensims_rules(tmp_path):
    words = ["king", "Queen", "man", "woman", "queen", "apple"]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(words), 5)).astype(np.float32)
    vectors[1] = vectors[0] - vectors[2] + vectors[3]  # king - man + woman = Queen
    kv = KeyedVectors(5)
    kv.add_vectors(words, vectors)

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "# a comment\nking\tqueen\t8\nKING\tMAN\t5.5\nman\twoman\t6\n"
        "apple\tKing\t0.5\n\nking\tunicorn\t3\n"
    )
    ours = evaluate_pairs(words, vectors, str(pairs))
    _, (spearman, _), oov = kv.evaluate_word_pairs(str(pairs))
    assert ours.pairs == 4 and ours.skipped == 1
    assert ours.spearman == pytest.approx(spearman) and ours.oov == pytest.approx(oov / 100)

    questions = tmp_path / "questions.txt"
    questions.write_text(": royal\nman king woman queen\n\nMAN KING WOMAN QUEEN\n")
    result = evaluate_analogies(words, vectors, str(questions))
    assert (result.correct, result.questions, result.skipped) == (2, 2, 0)
    assert result.accuracy == kv.evaluate_word_analogies(str(questions))[0] == 1.0

    questions.write_text("man king woman queen\n: royal\n")
    with pytest.raises(UserError, match="section header"):
        evaluate_analogies(words, vectors, str(questions))


def test_everything_out_of_vocabulary_is_undefined_not_zero():
    words, vectors = ["zzz", "yyy"], np.eye(2, dtype=np.float32)
    scores, extra, items = cosine_scores(words, vectors)
    assert scores == {
        "ws353": None,
        "ws353_ci": None,
        "ws353_oov": 1.0,
        "simlex999": None,
        "simlex999_ci": None,
        "simlex999_oov": 1.0,
        "analogy": None,
        "analogy_ci": None,
        "analogy_oov": 1.0,
    }
    assert extra == {}
    assert items["ws353"].difference(items["ws353"]) == {"diff": None, "ci": None}


def test_gensim_data_is_gensims_datapath():
    assert gensim_data("wordsim353.tsv") == datapath("wordsim353.tsv")
    with pytest.raises(UserError, match="missing"):
        gensim_data("no-such-file.txt")


def test_correlations_equal_scipys():
    from scipy import stats

    rng = np.random.default_rng(5)
    x = rng.integers(0, 8, 200).astype(float)  # many ties
    y = x + rng.normal(size=200)
    np.testing.assert_allclose(ranks(x), stats.rankdata(x))
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert pearson([1, 1, 1], [1, 2, 3]) is None and spearman([1], [2]) is None
    assert spearman([1, np.nan, 3], [1, 2, 3]) is None


# -- malformed pair and analogy files --------------------------------------------------------


def test_gensims_files_have_no_line_we_call_malformed():
    # Only '#' comments are skipped: every other line of the shipped files is read.
    for name in PAIR_FILES:
        lines = open(datapath(name), encoding="utf-8").read().splitlines()
        comments = [line for line in lines if line.startswith("#")]
        assert comments and len(read_pairs(datapath(name))) == len(lines) - len(comments)
    lines = open(datapath("questions-words.txt"), encoding="utf-8").read().splitlines()
    headers = [line for line in lines if line.startswith(": ")]
    assert len(read_analogies(datapath("questions-words.txt"))) == len(lines) - len(headers)


def test_pairs_skip_comments_and_blank_lines(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes(b"# comment\n\nking\tqueen\t8\r\n  \t \n#a\tb\tc\nman\twoman\t-6.5e-1\n")
    assert read_pairs(str(pairs)) == [("KING", "QUEEN", 8.0), ("MAN", "WOMAN", -0.65)]


_PAIRS = "# header\nking\tqueen\t8\n\n{}\nman\twoman\t6\n"  # {} is line 4
_FIELDS = "line 4: expected WORD1<TAB>WORD2<TAB>score, found"
_QUESTIONS = ": royal\nman king woman queen\n{}\n"  # {} is line 3
_WORDS = (
    "line 3: expected a section header ': name' or four words A B C D "
    "(A is to B as C is to D), found"
)


@pytest.mark.parametrize(
    ("template", "line", "expected"),
    [
        (_PAIRS, "a\tb", f"{_FIELDS} 2 fields"),
        (_PAIRS, "a b 5", f"{_FIELDS} 1 field"),
        (_PAIRS, "a\tb\t5\t", f"{_FIELDS} 4 fields"),
        (_PAIRS, "a\tb\t5\tfour", f"{_FIELDS} 4 fields"),
        (_PAIRS, "a\tb\tx", "line 4: the score 'x' is not a finite number"),
        (_PAIRS, "a\tb\t", "line 4: the score '' is not a finite number"),
        (_PAIRS, "a\tb\tnan", "line 4: the score 'nan' is not a finite number"),
        (_PAIRS, "a\tb\t-inf", "line 4: the score '-inf' is not a finite number"),
        (_PAIRS, "a\t\t5", "line 4: empty word; expected WORD1<TAB>WORD2<TAB>score"),
        (_QUESTIONS, "a b c", f"{_WORDS} 3 words"),
        (_QUESTIONS, "a b c d e", f"{_WORDS} 5 words"),
        (_QUESTIONS, ":capitals", f"{_WORDS} 1 word"),
        (_QUESTIONS, "# a comment", f"{_WORDS} 3 words"),
    ],
)
def test_malformed_lines_are_errors(tmp_path, template, line, expected):
    path = tmp_path / "data.txt"
    path.write_text(template.format(line))
    with pytest.raises(UserError) as info:
        (read_pairs if template is _PAIRS else read_analogies)(str(path))
    assert str(info.value) == f"{path}: {expected}"


def test_analogies_skip_blank_lines(tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_bytes(b"\n: a\r\n\nman king woman queen\r\n \n: b\nx y z w\n")
    assert read_analogies(str(questions)) == [
        ("MAN", "KING", "WOMAN", "QUEEN"),
        ("X", "Y", "Z", "W"),
    ]


@pytest.fixture
def small_vectors(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("3 2\nking 1 0\nqueen 0.9 0.1\nman 0 1\n")
    return path


def test_evaluate_refuses_a_malformed_pairs_file(tmp_path, small_vectors):
    (tmp_path / "p.tsv").write_text("a\tb\n")
    result = run_cli("evaluate", small_vectors, "--pairs", "p.tsv", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert (
        result.stderr
        == "error: p.tsv: line 1: expected WORD1<TAB>WORD2<TAB>score, found 2 fields\n"
    )


def test_evaluate_refuses_a_malformed_analogies_file(tmp_path, small_vectors):
    (tmp_path / "q.txt").write_text(": royal\nman king woman queen\nman king woman\n")
    result = run_cli("evaluate", small_vectors, "--analogies", "q.txt", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: q.txt: line 3: expected a section header ': name' or ")
    assert result.stderr.endswith(", found 3 words\n") and result.stderr.count("\n") == 1
