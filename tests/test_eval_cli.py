"""``w2v-nce evaluate`` and ``w2v-nce compare`` end to end, through the installed entry point.

The corpus is built from gensim's own evaluation files (the analogy questions,
half of them lower-cased, and the similarity pairs, one per line), so that a
few seconds of training give vectors whose vocabulary covers all three data
sets -- in two cases, which exercises gensim's case folding -- and every score
is a real number to compare with gensim's.
"""

import importlib.util
import json

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from scipy import stats

from tests.conftest import run_cli
from w2v_nce.cli.evaluate import compare_table, report_lines
from w2v_nce.evaluation.bootstrap import resample_indices

BENCHMARKS = ("ws353", "simlex999", "analogy")
COSINE_KEYS = tuple(f"{key}{part}" for key in BENCHMARKS for part in ("", "_ci", "_oov"))
SCORE_KEYS = tuple(key for key in COSINE_KEYS if not key.endswith("_ci"))
PMI_KEYS = {"target", "pearson", "spearman", "rmse", "pairs", "mean_logz", "std_logz"}


def no_traceback(result):
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    lines = []
    for i, line in enumerate(open(datapath("questions-words.txt"), encoding="utf-8")):
        if not line.startswith(":"):
            lines.append(line.strip().lower() if i % 2 else line.strip())
    for name in ("wordsim353.tsv", "simlex999.txt"):
        for line in open(datapath(name), encoding="utf-8"):
            if not line.startswith("#"):
                lines.append(" ".join(line.split("\t")[:2]))
    path = tmp_path_factory.mktemp("eval-corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(corpus):
    out = corpus.parent
    run_cli(
        "train", corpus, "--dim", "24", "--epochs", "3", "--min-count", "2", "--threads", "1",
        "--sample", "0", "--quiet", "-o", out / "vectors.txt", "--save-model", out / "model.npz",
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def evaluated(trained, corpus):
    result = run_cli(
        "evaluate", trained / "model.npz", "--corpus", corpus, "--json", "--pmi-min-count", "2",
        check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_evaluate_json_has_exactly_the_documented_keys(evaluated):
    geometry = ["alignment", "alignment_ci", "uniformity", "uniformity_ci"]  # with --corpus
    assert list(evaluated) == [*COSINE_KEYS, "pmi", *geometry]
    for key in SCORE_KEYS:
        assert isinstance(evaluated[key], float)
    for key in BENCHMARKS:
        assert 0 <= evaluated[f"{key}_oov"] <= 1
        low, high = evaluated[f"{key}_ci"]
        assert low < evaluated[key] < high
    pmi = evaluated["pmi"]
    assert set(pmi) == PMI_KEYS
    assert pmi["target"] == "shifted PMI" and isinstance(pmi["pairs"], int) and pmi["pairs"] > 100
    assert all(isinstance(pmi[key], float) for key in ("pearson", "spearman", "rmse"))
    assert pmi["mean_logz"] is None and pmi["std_logz"] is None  # neg is not normalised


def test_cosine_scores_equal_gensims_on_the_same_vectors(evaluated, trained):
    kv = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    for key, name in (("ws353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        _, (spearman, _), oov = kv.evaluate_word_pairs(datapath(name))
        assert evaluated[key] == pytest.approx(spearman, abs=1e-6)
        assert evaluated[f"{key}_oov"] == pytest.approx(oov / 100, abs=1e-6)
    accuracy, sections = kv.evaluate_word_analogies(
        datapath("questions-words.txt"), restrict_vocab=30000
    )
    assert len(sections[-1]["correct"]) > 0
    assert evaluated["analogy"] == pytest.approx(accuracy, abs=1e-6)
    assert evaluated["analogy_oov"] == 0  # every question word is in the corpus


def test_word2vec_files_get_the_cosine_part_only(trained, evaluated):
    result = run_cli("evaluate", trained / "vectors.txt", "--json", check=True)
    scores = json.loads(result.stdout)
    assert scores["pmi"] is None
    for key in COSINE_KEYS:  # the intervals too: the same resamples every time
        assert scores[key] == pytest.approx(evaluated[key], abs=1e-12)

    text = run_cli("evaluate", trained / "vectors.txt", check=True).stdout
    assert "WordSim-353" in text and "SimLex-999" in text and "analogies" in text
    assert "PMI" not in text


def test_evaluate_intervals_equal_a_resampling_loop_over_gensims_similarities(evaluated, trained):
    """ws353_ci from the CLI against scipy's Spearman of gensim's cosines on each resample."""
    kv = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    folded = {}
    for word in kv.index_to_key:
        folded.setdefault(word.upper(), word)  # gensim's case folding: the most frequent
    lines = [line.split("\t") for line in open(datapath("wordsim353.tsv")) if line[0] != "#"]
    lines = [(a.upper(), b.upper(), float(s)) for a, b, s in lines]
    index = resample_indices(len(lines))  # the default seed and 1000 resamples
    resampled = []
    for row in index:
        drawn = [lines[i] for i in row if lines[i][0] in folded and lines[i][1] in folded]
        cosines = [kv.similarity(folded[a], folded[b]) for a, b, _ in drawn]
        resampled.append(stats.spearmanr([s for *_, s in drawn], cosines).statistic)
    np.testing.assert_allclose(
        evaluated["ws353_ci"], np.percentile(resampled, [2.5, 97.5]), atol=1e-6
    )


def test_evaluate_text_report_has_the_interval_column(evaluated, trained):
    text = run_cli("evaluate", trained / "model.npz", check=True).stdout
    for label, key in (
        ("WordSim-353", "ws353"),
        ("SimLex-999", "simlex999"),
        ("analogies", "analogy"),
    ):
        line = next(line for line in text.splitlines() if line.startswith(label))
        low, high = evaluated[f"{key}_ci"]
        assert f"{evaluated[key]:.4f}   95% CI [{low:.3f}, {high:.3f}]   OOV" in line


def test_evaluate_text_report(trained, corpus):
    result = run_cli(
        "evaluate", trained / "model.npz", "--corpus", corpus, "--pmi-min-count", "2", check=True
    )
    assert "loss neg" in result.stdout
    assert "target shifted PMI" in result.stdout and "Pearson" in result.stdout
    assert result.stderr == ""  # trained with --sample 0 on this corpus: nothing to warn about


def test_extra_pair_files_and_other_analogies(trained, tmp_path):
    pairs = tmp_path / "mine.tsv"
    pairs.write_text(
        "king\tqueen\t9\nking\tcar\t1\nman\twoman\t8\nunknownword\tking\t2\n"
        "boy\tgirl\t8.5\nman\tcar\t0.5\nqueen\twoman\t7\nboy\tking\t4\n"
    )
    questions = tmp_path / "questions.txt"
    questions.write_text(": mine\nman king woman queen\nboy girl unknownword x\n")
    result = run_cli(
        "evaluate", trained / "model.npz", "--pairs", pairs, "--analogies", questions, "--json",
        check=True,
    )  # fmt: skip
    scores = json.loads(result.stdout)
    mine = scores["pairs"][str(pairs)]
    assert list(mine) == ["spearman", "ci", "oov"]
    assert mine["oov"] == pytest.approx(0.125)
    assert isinstance(mine["spearman"], float)
    assert mine["ci"] is None  # 8 pairs: too few for an interval (issue 27)
    assert scores["analogy_oov"] == pytest.approx(0.5) and scores["analogy"] in (0.0, 1.0)
    # two questions (one answered): too few for an interval
    assert scores["analogy_ci"] is None

    text = run_cli("evaluate", trained / "model.npz", "--pairs", pairs, check=True).stdout
    assert f"{pairs}: Spearman {mine['spearman']:.4f}   95% CI no CI" in text


def test_usage_errors_are_one_line(trained, corpus, tmp_path):
    cases = [
        (["evaluate", trained / "vectors.txt", "--corpus", corpus], 2, "needs the output vectors"),
        (["evaluate", trained / "model.npz", "--plot", tmp_path / "p.png"], 2, "give --corpus"),
        (["evaluate", tmp_path / "missing.npz"], 1, "no such file"),
        (["evaluate", trained / "model.npz", "--pmi-top", "0"], 2, "--pmi-top"),
        (
            ["compare", corpus, "--loss", "nope", "--quiet"],
            2,
            "--loss must be one of neg, nce, softmax, infonce, hs, triplet, contrastive, not nope",
        ),
    ]
    for args, code, message in cases:
        result = run_cli(*args)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr and result.stderr.startswith("error: ")
        assert len(result.stderr.strip().splitlines()) == 1
        no_traceback(result)


def test_a_missing_pairs_or_analogies_file_is_no_such_file(trained, corpus, tmp_path):
    """Exit 1 and the package's message, as for every other missing input (docs/errors.md),
    before the corpus pass."""
    for option in ("--pairs", "--analogies"):
        missing = tmp_path / "nothere.tsv"
        result = run_cli("evaluate", trained / "model.npz", "--corpus", corpus, option, missing)
        assert result.returncode == 1, result.stderr
        assert result.stderr == f"error: {missing}: no such file\n"
        no_traceback(result)


def test_plot_writes_a_png_or_says_how_to_get_matplotlib(trained, corpus, tmp_path):
    plot = tmp_path / "pmi.png"
    result = run_cli(
        "evaluate", trained / "model.npz", "--corpus", corpus, "--pmi-min-count", "2",
        "--plot", plot,
    )  # fmt: skip
    no_traceback(result)
    if importlib.util.find_spec("matplotlib") is None:
        assert result.returncode == 1
        assert "pip install matplotlib" in result.stderr
        assert not plot.exists()
    else:
        assert result.returncode == 0, result.stderr
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def compared(corpus):
    result = run_cli(
        "compare", corpus, "--loss", "nce", "--k", "5", "--dim", "16", "--epochs", "2",
        "--min-count", "2", "--threads", "1", "--pmi-min-count", "2", "--json", "--quiet",
        check=True,
    )  # fmt: skip
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_compare_json(compared):
    assert set(compared) == {
        "w2v_nce",
        "gensim",
        "differences",
        "neighbour_overlap_at_10",
        "settings",
    }
    for side in ("w2v_nce", "gensim"):
        scores = compared[side]
        assert list(scores) == [*COSINE_KEYS, "pmi", "seconds", "words_per_sec"]
        assert scores["seconds"] > 0 and scores["words_per_sec"] > 0
        assert set(scores["pmi"]) == PMI_KEYS
    assert compared["w2v_nce"]["pmi"]["target"] == "log P(c|w)"
    assert isinstance(compared["w2v_nce"]["pmi"]["mean_logz"], float)  # nce: log Z reported
    assert compared["gensim"]["pmi"]["target"] == "shifted PMI"  # gensim trained neg
    assert compared["gensim"]["pmi"]["mean_logz"] is None
    assert 0 <= compared["neighbour_overlap_at_10"] <= 1
    settings = compared["settings"]
    assert settings["loss"] == "nce" and settings["gensim_loss"] == "neg"
    assert settings["subwords"] is None and settings["gensim_class"] == "Word2Vec"
    assert (settings["k"], settings["dim"], settings["epochs"], settings["threads"]) == (
        5,
        16,
        2,
        1,
    )


def test_compare_table_says_gensim_used_negative_sampling(compared):
    table = "\n".join(compare_table(compared))
    for row in ("training seconds", "words/s", "WordSim-353", "analogy accuracy", "PMI Pearson"):
        assert row in table
    assert "w2v-nce (nce)" in table and "gensim Word2Vec (neg)*" in table
    assert "gensim has no 'nce' loss: it trained with negative sampling" in table
    assert "neighbour overlap@10" in table


def test_compare_differences_are_paired_intervals(compared):
    differences = compared["differences"]
    assert list(differences) == list(BENCHMARKS)
    for key in BENCHMARKS:
        ours, theirs = compared["w2v_nce"][key], compared["gensim"][key]
        entry = differences[key]
        assert set(entry) == {"diff", "ci"}
        assert entry["diff"] == pytest.approx(ours - theirs, abs=1e-12)
        low, high = entry["ci"]
        assert low < entry["diff"] < high
        # pairing: narrower than the two models' own intervals combined
        widths = [np.subtract(*compared[side][f"{key}_ci"][::-1]) for side in ("w2v_nce", "gensim")]
        assert high - low < sum(widths)


def test_compare_table_marks_the_differences_the_data_resolve(compared):
    header, *rows = compare_table(compared)
    assert "w2v-nce − gensim, 95% CI" in header
    marked = any(row.endswith("†") for row in rows)
    assert any(row.startswith("†") for row in rows) == marked  # the footnote only for a mark
    resolved = dict(compared)
    resolved["differences"] = {
        "ws353": {"diff": 0.05, "ci": [0.01, 0.09]},  # excludes 0
        "simlex999": {"diff": 0.01, "ci": [-0.02, 0.04]},  # includes 0
        "analogy": {"diff": None, "ci": None},
    }
    lines = compare_table(resolved)
    ws353 = next(line for line in lines if line.startswith("WordSim-353"))
    simlex = next(line for line in lines if line.startswith("SimLex-999"))
    analogy = next(line for line in lines if line.startswith("analogy accuracy"))
    assert ws353.endswith("+0.0500 [+0.010, +0.090] †")
    assert simlex.rstrip().endswith("+0.0100 [-0.020, +0.040]") and "†" not in simlex
    assert analogy.endswith("n/a")
    footnote = next(line for line in lines if line.startswith("†"))
    assert "interval excludes 0" in footnote and "same 1,000 resamples" in footnote


# --------------------------------------------------------------------------- compare --subwords

SUBWORDS = ("3", "5")  # MIN, MAX
BUCKETS = 20_000
EPOCHS = 3  # after one, a FastText's cosines all lie near 1


@pytest.fixture(scope="module")
def compared_subwords(corpus):
    result = run_cli(
        "compare", corpus, "--subwords", "-".join(SUBWORDS), "--buckets", BUCKETS, "--dim", "16",
        "--epochs", EPOCHS, "--min-count", "2", "--threads", "1", "--seed", "7", "--alpha", "0.025",
        "--sample", "0", "--pmi-min-count", "2", "--json", "--quiet",
        check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_compare_with_subwords_trains_gensims_fasttext(compared_subwords):
    settings = compared_subwords["settings"]
    assert settings["gensim_class"] == "FastText"
    assert (settings["subwords"], settings["buckets"]) == ("-".join(SUBWORDS), BUCKETS)
    table = compare_table(compared_subwords)
    assert "gensim FastText (neg)" in table[0] and "Word2Vec" not in "\n".join(table)


def test_compare_scores_the_vectors_of_gensims_fasttext(compared_subwords, corpus, tmp_path):
    """The gensim column's scores are those of gensim's own word vectors (``wv.vectors``,
    its means of word and n-gram rows) of a FastText trained here with the same settings
    (one thread and a seed make gensim deterministic): so compare trained FastText with
    these n-gram lengths and buckets, and the Model it scored has gensim's vectors.

    The scorer is compare's own (its agreement with gensim's evaluate_word_pairs is
    test_cosine_scores_equal_gensims_on_the_same_vectors): gensim scores in float32, and
    a barely trained model's cosines crowd near 1, where float32 ties change the ranks."""
    from gensim.models import FastText

    from w2v_nce.evaluation import evaluate_embeddings
    from w2v_nce.evaluation.baseline import write_plain_copy

    settings = compared_subwords["settings"]
    plain = str(tmp_path / "plain.txt")
    write_plain_copy(str(corpus), plain)
    fasttext = FastText(
        sg=1, hs=0, negative=settings["k"], window=settings["window"], vector_size=16,
        sample=0, epochs=EPOCHS, alpha=0.025, min_alpha=settings["min_alpha"], min_count=2,
        ns_exponent=settings["noise_power"], workers=1, seed=7,
        min_n=int(SUBWORDS[0]), max_n=int(SUBWORDS[1]), bucket=BUCKETS,
    )  # fmt: skip
    fasttext.build_vocab(corpus_file=plain)
    fasttext.train(
        corpus_file=plain,
        total_words=fasttext.corpus_total_words,
        total_examples=fasttext.corpus_count,
        epochs=EPOCHS,
    )
    evaluation = evaluate_embeddings(fasttext.wv.index_to_key, fasttext.wv.vectors)
    scores = evaluation.as_json()
    theirs = compared_subwords["gensim"]
    for key in COSINE_KEYS:
        # compare composes the vectors itself, differing from gensim's in the last bit
        # (x * (1/n) against x / n): enough to change 3CosAdd's answer to a question
        # whose two best candidates tie to 1e-9, of ~20,000 (one did), never a rank
        # among the few hundred pairs.
        questions = 2 / evaluation.items["analogy"].questions if key.startswith("analogy") else 0
        assert theirs[key] == pytest.approx(scores[key], abs=questions + 1e-9), key
    assert theirs["ws353"] is not None and theirs["simlex999"] is not None


# Words whose n-grams exercise fastText's hashing: multi-byte UTF-8 (bytes above 127 are
# signed chars there), the end-of-sentence word (no n-grams in fastText and w2v-nce).
CONVERTED_WORDS = ["cat", "cats", "café", "naïve", "straße", "日本語", "a", "</s>"]
UNSEEN_WORDS = ["catss", "cafés", "日本", "straßen", "zq"]


@pytest.mark.parametrize("hs", [0, 1])
def test_gensims_fasttext_converts_to_the_same_vectors(hs):
    """gensim's FastText n-gram hashing equals w2v-nce's (fastText's), so its word rows
    and n-gram rows, as a w2v-nce subword Model, give gensim's vectors: w2v-nce's mean
    of a word's row and its n-gram rows equals gensim's ``wv[word]``, in and out of the
    vocabulary."""
    from gensim.models import FastText
    from gensim.models.fasttext import ft_ngram_hashes

    from w2v_nce.evaluation.baseline import gensim_as_model

    sentences = [CONVERTED_WORDS, ["cat", "dog", "dogs", "café"]] * 20
    fasttext = FastText(
        sentences, vector_size=16, min_n=2, max_n=5, bucket=997, min_count=1, epochs=1,
        workers=1, seed=3, hs=hs, negative=0 if hs else 5,
    )  # fmt: skip
    model = gensim_as_model(fasttext)
    assert (model.subwords.minn, model.subwords.maxn, model.subwords.buckets) == (2, 5, 997)
    assert model.output.shape[0] == len(model.vocab) - hs
    for word in CONVERTED_WORDS + UNSEEN_WORDS:
        if word != "</s>":  # w2v-nce gives it no n-grams; gensim does
            ids = list(model.subwords.ngram_ids(word))
            assert ids == ft_ngram_hashes(word, 2, 5, 997) and ids
    index = model.index()
    assert set(CONVERTED_WORDS) <= set(index)
    for word in CONVERTED_WORDS:
        np.testing.assert_allclose(
            model.vectors[index[word]], fasttext.wv[word], rtol=1e-6, atol=1e-7
        )
    unseen = model.oov_vectors(UNSEEN_WORDS)
    for word, vector in zip(UNSEEN_WORDS, unseen, strict=True):
        assert word not in index and np.abs(vector).max() > 0
        np.testing.assert_allclose(vector, fasttext.wv[word], rtol=1e-6, atol=1e-7)


def test_report_lines_show_undefined_scores_as_na():
    scores = dict.fromkeys(COSINE_KEYS)
    scores["pmi"] = None
    assert all("n/a" in line for line in report_lines(scores))
