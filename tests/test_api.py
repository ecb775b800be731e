"""The Python API through the installed package: every call of the README's session."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors

import w2v_nce
from tests.conftest import DEMO_CORPUS, default_sigint, run_cli, wait_for_training
from w2v_nce.io.corpus import iter_sentences

CORPUS = "\n".join(
    ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the mat and the log"]
    * 40
)
SMALL = dict(dim=16, epochs=2, min_count=2, threads=1, seed=3, progress=False)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS + "\n")
    return path


@pytest.fixture(scope="module")
def demo():
    """The demo corpus, NCE, as the README's session trains it."""
    return w2v_nce.train(str(DEMO_CORPUS), loss="nce", k=5, threads=2, progress=False)


def test_the_package_exports_the_api():
    assert callable(w2v_nce.train) and callable(w2v_nce.load)
    assert issubclass(w2v_nce.UserError, ValueError)
    assert issubclass(w2v_nce.TrainingInterrupted, KeyboardInterrupt)
    assert w2v_nce.Model.__name__ == "Model"
    # Every option of `w2v-nce train` is a keyword of train(), with the CLI's default.
    signature = __import__("inspect").signature(w2v_nce.train)
    for name in ("loss", "k", "dim", "model", "init", "update_vocab", "checkpoint", "tmp_dir"):
        assert name in signature.parameters
    assert signature.parameters["k"].default == 5
    assert signature.parameters["sample"].default == 1e-3


def test_train_returns_a_model_whose_wv_is_gensims_own(corpus):
    model = w2v_nce.train(str(corpus), **SMALL)
    assert isinstance(model.wv, KeyedVectors)
    assert model.wv.index_to_key == model.vocab and model.vocab[:2] == ["the", "a"]
    np.testing.assert_array_equal(model.wv["cat"], model.input[model.vocab.index("cat")])
    assert model.wv.get_vecattr("the", "count") == 240
    ours = model.most_similar("cat", topn=3)
    theirs = model.wv.most_similar("cat", topn=3)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)
    assert model.config["loss"] == "neg" and model.config["dim"] == 16
    assert model.stats.words == 2 * model.config["corpus_words"]


def test_the_api_answers_as_the_command_line(corpus, tmp_path):
    model = w2v_nce.train(str(corpus), **SMALL)
    model.save(tmp_path / "model.npz")
    cli = run_cli("most-similar", "cat", "--vectors", tmp_path / "model.npz", "--topn", "4")
    lines = [line.split("\t") for line in cli.stdout.splitlines()]
    assert [w for w, _ in model.most_similar("cat", topn=4)] == [w for w, _ in lines]
    cli = run_cli("most-similar", "cat", "--by", "context", "--vectors", tmp_path / "model.npz")
    rows = [line.split("\t") for line in cli.stdout.splitlines()[1:]]
    with pytest.warns(w2v_nce.W2VNceWarning, match="a neg model is not a normalised model"):
        got = model.context("cat", topn=10)
    assert [w for w, _, _ in got] == [r[0] for r in rows]
    np.testing.assert_allclose([p for _, _, p in got], [float(r[2]) for r in rows], atol=1e-4)
    cli = run_cli("evaluate", tmp_path / "model.npz", "--json")
    assert w2v_nce.evaluate(model) == json.loads(cli.stdout)


def test_save_load_and_word2vec_files_round_trip(corpus, tmp_path):
    model = w2v_nce.train(str(corpus), loss="nce", **SMALL)
    model.save(tmp_path / "m.npz")
    loaded = w2v_nce.load(tmp_path / "m.npz")
    assert loaded.vocab == model.vocab and loaded.config == model.config
    np.testing.assert_array_equal(loaded.input, model.input)
    np.testing.assert_array_equal(loaded.output, model.output)
    model.save_word2vec_format(tmp_path / "v.txt")
    model.save_word2vec_format(tmp_path / "v.bin", binary=True)
    for name, binary in (("v.txt", False), ("v.bin", True)):
        kv = KeyedVectors.load_word2vec_format(str(tmp_path / name), binary=binary)
        np.testing.assert_array_equal(kv.vectors, model.input)
        vectors_only = w2v_nce.load(tmp_path / name)
        assert vectors_only.output is None and vectors_only.vocab == model.vocab
        assert vectors_only.most_similar("cat", topn=3) == model.most_similar("cat", topn=3)
        with pytest.raises(w2v_nce.UsageError, match="needs the output vectors"):
            vectors_only.context("cat")


def test_token_lists_give_the_same_model_as_the_file_bit_for_bit(corpus):
    from_file = w2v_nce.train(str(corpus), **SMALL)
    sentences = list(iter_sentences(str(corpus)))
    from_lists = w2v_nce.train(sentences, **SMALL)
    from_generator = w2v_nce.train((list(s) for s in sentences), **SMALL)
    for other in (from_lists, from_generator):
        assert other.vocab == from_file.vocab
        np.testing.assert_array_equal(other.input, from_file.input)
        np.testing.assert_array_equal(other.output, from_file.output)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(k=0), "--k must be an integer ≥ 1, not 0"),
        (dict(dim="ten"), "--dim must be an integer ≥ 1, not ten"),
        (
            dict(loss="hinge"),
            "--loss must be one of neg, nce, softmax, infonce, hs, triplet, contrastive, not hinge",
        ),
        (dict(alpha=0.01, min_alpha=0.5), "--min-alpha (0.5) must be at most --alpha (0.01)"),
        (dict(window=10_001), "--window must be an integer ≥ 1 and ≤ 10000, not 10001"),
        (dict(epochs=True), "--epochs must be an integer ≥ 1, not True"),
        (dict(colour="red"), "unknown option colour"),
    ],
)
def test_api_mistakes_raise_the_cli_message(corpus, tmp_path, options, message):
    with pytest.raises(w2v_nce.UserError) as caught:
        w2v_nce.train(str(corpus), progress=False, **options)
    assert message in str(caught.value)
    cli_options = [
        (f"--{name.replace('_', '-')}", str(value)) for name, value in options.items()
    ]  # the same mistake on the command line
    if "colour" not in options and options.get("epochs") is not True:
        args = [part for pair in cli_options for part in pair]
        result = run_cli("train", corpus, *args, "-o", tmp_path / "v.txt")
        assert result.stderr.strip().splitlines()[-1] == f"error: {caught.value}"


def test_api_errors_about_data(tmp_path):
    with pytest.raises(w2v_nce.UserError, match="no such file"):
        w2v_nce.train(str(tmp_path / "missing.txt"), progress=False)
    with pytest.raises(w2v_nce.UserError, match="sentence 2 is a str"):
        w2v_nce.train([["a", "b"], "c d"], progress=False)
    with pytest.raises(w2v_nce.UserError, match="no such file"):
        w2v_nce.load(tmp_path / "missing.npz")


PAIRS = "cat\tdog\t8\nmat\tlog\t6\ncat\tmat\t2\ndog\tlog\t1\nthe\ta\t5\n"


def test_evaluate_takes_paths_for_the_model_and_the_pairs(corpus, tmp_path):
    """A str or Path is one file, for ``pairs`` as for the model (the CLI's MODEL); a
    list several."""
    model = w2v_nce.train(str(corpus), **SMALL)
    model.save(tmp_path / "model.npz")
    good, other = tmp_path / "good.tsv", tmp_path / "other.tsv"
    good.write_text(PAIRS)
    other.write_text(PAIRS)
    cli = run_cli("evaluate", tmp_path / "model.npz", "--pairs", good, "--json", check=True)
    assert w2v_nce.evaluate(model, pairs=str(good)) == json.loads(cli.stdout)
    assert w2v_nce.evaluate(model, pairs=good) == json.loads(cli.stdout)
    assert w2v_nce.evaluate(str(tmp_path / "model.npz"), pairs=good) == json.loads(cli.stdout)
    assert w2v_nce.evaluate(tmp_path / "model.npz") == w2v_nce.evaluate(model)
    both = w2v_nce.evaluate(model, pairs=[good, str(other)])
    assert list(both["pairs"]) == [str(good), str(other)]


@pytest.mark.parametrize(
    ("call", "error", "message", "cli_args", "code"),
    [
        (
            lambda m, c: w2v_nce.evaluate(m, pairs="nothere.tsv"),
            w2v_nce.UserError,
            "nothere.tsv: no such file",
            ["--pairs", "nothere.tsv"],
            1,
        ),
        (
            lambda m, c: w2v_nce.evaluate(m, corpus=str(c), pmi_top=0),
            w2v_nce.UsageError,
            "--pmi-top must be an integer ≥ 1, not 0",
            ["--pmi-top", "0"],
            2,
        ),
        (
            lambda m, c: w2v_nce.evaluate(m, pmi_min_count=0),
            w2v_nce.UsageError,
            "--pmi-min-count must be a finite number > 0, not 0",
            ["--pmi-min-count", "0"],
            2,
        ),
        (
            lambda m, c: w2v_nce.evaluate(m, foo=1),
            w2v_nce.UsageError,
            "unknown option foo; known: pairs, analogies, pmi_top, pmi_min_count, encoding_errors",
            None,
            None,
        ),
        (
            lambda m, c: w2v_nce.evaluate(m, pairs=[3]),
            w2v_nce.UsageError,
            "--pairs must be a path or a list of paths, not [3]",
            None,
            None,
        ),
        (
            lambda m, c: w2v_nce.evaluate(42),
            w2v_nce.UsageError,
            "w2v_nce.evaluate takes a Model or the path of a model file (str or Path), not an int",
            None,
            None,
        ),
    ],
    ids=["missing-pairs", "pmi-top", "pmi-min-count", "unknown", "pairs-type", "model-type"],
)
def test_evaluate_mistakes_raise_the_cli_message(
    corpus, tmp_path, monkeypatch, call, error, message, cli_args, code
):
    monkeypatch.chdir(tmp_path)
    model = w2v_nce.train(str(corpus), **SMALL)
    with pytest.raises(error) as caught:
        call(model, corpus)
    assert str(caught.value) == message
    assert caught.type is error  # a UserError about a file is no UsageError
    if cli_args is not None:  # the same mistake on the command line
        model.save(tmp_path / "model.npz")
        args = ["--corpus", corpus] if "--pmi-top" in cli_args else []
        result = run_cli("evaluate", tmp_path / "model.npz", *args, *cli_args, cwd=tmp_path)
        assert result.returncode == code
        assert result.stderr.strip().splitlines() == [f"error: {message}"]


_SILENT = """
import sys, w2v_nce
model = w2v_nce.train(sys.argv[1], dim=8, epochs=1, min_count=1, threads=1, progress=False)
model.most_similar("cat")
w2v_nce.evaluate(model)
"""


def test_the_library_prints_nothing_without_progress(corpus):
    done = subprocess.run(
        [sys.executable, "-c", _SILENT, str(corpus)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


_INTERRUPTED = """
import sys, w2v_nce
try:
    w2v_nce.train(sys.argv[1], dim=50, epochs=50, threads=2)
except w2v_nce.TrainingInterrupted as stop:
    print(stop.model.config["interrupted"], stop.model.input.shape[0], 0 < stop.fraction < 1)
    stop.model.save(sys.argv[2])
    sys.exit(7)
"""


def test_ctrl_c_raises_keyboard_interrupt_with_the_model(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED, str(DEMO_CORPUS), str(tmp_path / "partial.npz")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    wait_for_training(proc)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 10  # promptly
    assert proc.returncode == 7, err
    assert out.split() == ["True", "18492", "True"]
    assert w2v_nce.load(tmp_path / "partial.npz").config["interrupted"] is True


def test_warnings_are_warnings_not_prints(corpus):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = w2v_nce.train(str(corpus), **SMALL)
        w2v_nce.evaluate(model, corpus=str(corpus))  # trained with subsampling: a note
    assert any(issubclass(w.category, w2v_nce.W2VNceWarning) for w in caught)
    assert os.environ.get("W2V_NCE_TEST_KILL") is None


def test_the_readme_session(demo, tmp_path):
    """train, neighbours, evaluate, save, load in gensim: the README's Python section."""
    assert "cat" in [w for w, _ in demo.most_similar("dog", topn=10)]
    scores = w2v_nce.evaluate(demo)
    assert scores["ws353"] > 0.3 and scores["ws353_ci"][0] < scores["ws353"]
    demo.save_word2vec_format(tmp_path / "vectors.txt")
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.txt"))
    assert kv.most_similar("dog", topn=1)[0][0] == demo.most_similar("dog", topn=1)[0][0]
