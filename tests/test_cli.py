"""The command line, through its installed entry point, in subprocesses."""

import json

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import run_cli

CORPUS = "\n".join(
    ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the mat and the log"]
    * 40
)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS + "\n")
    return path


def train_small(corpus, *extra, cwd=None):
    return run_cli(
        "train",
        corpus,
        "--dim",
        "16",
        "--epochs",
        "2",
        "--min-count",
        "2",
        "--threads",
        "1",
        *extra,
        cwd=cwd,
    )


def no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_train_writes_text_vectors_that_gensim_loads(corpus, tmp_path):
    result = train_small(corpus, cwd=tmp_path)  # default output: ./vectors.txt
    assert result.returncode == 0, result.stderr
    assert (
        "trained" in result.stderr and "words/s" in result.stderr and "final loss" in result.stderr
    )
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.txt"))
    assert kv.index_to_key[:2] == ["the", "a"]  # by count: the 240, a 80 ... (ties by word)
    assert kv.vector_size == 16 and len(kv) == 9
    assert not list(tmp_path.glob(".*.tmp"))


def test_binary_text_and_npz_hold_the_same_vectors(corpus, tmp_path):
    train_small(
        corpus,
        "--binary",
        "-o",
        tmp_path / "v.bin",
        "--save-model",
        tmp_path / "m.npz",
        "--seed",
        "7",
        "--quiet",
    )
    result = train_small(corpus, "-o", tmp_path / "v.txt", "--seed", "7", "--quiet")
    assert result.returncode == 0 and result.stderr == ""  # --quiet prints nothing
    binary = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    text = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    model = np.load(tmp_path / "m.npz")
    assert sorted(model.files) == ["config", "counts", "input", "output", "vocab"]
    assert model["input"].dtype == np.float32 and model["output"].dtype == np.float32
    assert model["counts"].dtype == np.int64
    assert list(model["vocab"]) == binary.index_to_key == text.index_to_key
    np.testing.assert_array_equal(binary.vectors, model["input"])
    np.testing.assert_array_equal(text.vectors, model["input"])  # text round-trips float32
    assert np.all(np.diff(model["counts"]) <= 0)
    config = json.loads(str(model["config"]))
    for key, value in dict(
        loss="neg", k=5, dim=16, window=5, noise_power=0.75, sample=1e-3, epochs=2, seed=7
    ).items():
        assert config[key] == value


def test_threads_1_with_a_seed_is_bit_reproducible(corpus, tmp_path):
    for name in ("a", "b"):
        train_small(corpus, "--binary", "-o", tmp_path / f"{name}.bin", "--seed", "3", "--quiet")
    train_small(corpus, "--binary", "-o", tmp_path / "c.bin", "--seed", "4", "--quiet")
    a, b, c = ((tmp_path / f"{n}.bin").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_nce_loss_trains_and_is_recorded(corpus, tmp_path):
    result = train_small(
        corpus,
        "--loss",
        "nce",
        "--k",
        "64",
        "--save-model",
        tmp_path / "m.npz",
        "-o",
        tmp_path / "v.txt",
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(str(np.load(tmp_path / "m.npz")["config"]))
    assert config["loss"] == "nce" and config["k"] == 64
    assert config["base"] == "unigram" and config["interrupted"] is False
    assert config["words_trained"] == config["epochs"] * config["corpus_words"]
    assert config["noise_group"] == 4  # nce's default, resolved


def test_noise_group_trains_and_is_recorded(corpus, tmp_path):
    model = tmp_path / "m.npz"
    result = train_small(
        corpus, "--noise-group", "3", "--save-model", model, "-o", tmp_path / "v.txt"
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(str(np.load(model)["config"]))
    assert config["loss"] == "neg" and config["noise_group"] == 3
    assert config["words_trained"] == config["epochs"] * config["corpus_words"]


def test_stdin_corpus(corpus, tmp_path):
    result = run_cli(
        "train",
        "-",
        "--dim",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "2",
        "--quiet",
        "-o",
        tmp_path / "v.txt",
        input=CORPUS,
    )
    assert result.returncode == 0, result.stderr
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt")).vector_size == 8


def test_most_similar_prints_neighbours_from_text_binary_and_npz(demo_model):
    lines = {}
    for name in ("vectors.txt", "model.npz"):
        result = run_cli("most-similar", "dog", "--vectors", demo_model / name, "--topn", "5")
        assert result.returncode == 0, result.stderr
        lines[name] = result.stdout.splitlines()
        assert len(lines[name]) == 5
        word, similarity = lines[name][0].split("\t")
        assert -1 <= float(similarity) <= 1
    assert lines["vectors.txt"] == lines["model.npz"]


def test_most_similar_with_several_words_and_negative(demo_model):
    result = run_cli(
        "most-similar",
        "king",
        "woman",
        "--negative",
        "man",
        "--vectors",
        demo_model / "vectors.txt",
        "--topn",
        "20",
    )
    assert result.returncode == 0, result.stderr
    words = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert "king" not in words and "woman" not in words and "man" not in words
    # The same answer as gensim's most_similar on the same file (where "queen" ranks
    # depends on the run: between 3rd and 40th over seeds, for us and for word2vec).
    kv = KeyedVectors.load_word2vec_format(str(demo_model / "vectors.txt"))
    want = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=20)
    assert words == [w for w, _ in want]


def test_unknown_word_is_one_line_with_close_matches_and_exit_2(demo_model):
    result = run_cli("most-similar", "kinng", "--vectors", demo_model / "vectors.txt")
    assert result.returncode == 2
    no_traceback(result)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "kinng" in result.stderr and "king" in result.stderr


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["train", "no-such-file.txt"], 1, "no-such-file.txt"),
        (["train", "CORPUS", "--k", "0"], 2, "--k"),
        (["train", "CORPUS", "--loss", "hinge"], 2, "hinge"),
        (["train", "CORPUS", "--alpha", "0"], 2, "--alpha"),
        (["train", "CORPUS", "-o", "missing-dir/v.txt"], 1, "missing-dir"),
        (["most-similar", "cat", "--vectors", "nothing.txt"], 1, "nothing.txt"),
        # a command's own options say a range as the training options do
        (
            ["most-similar", "cat", "--vectors", "CORPUS", "--topn", "0"],
            2,
            "--topn must be an integer ≥ 1, not 0",
        ),
        (["vocab", "CORPUS", "--top", "-1"], 2, "--top must be an integer ≥ 0, not -1"),
        (
            ["nce-table", "CORPUS", "--max-vocab", "0"],
            2,
            "--max-vocab must be an integer ≥ 1, not 0",
        ),
        (
            ["map", "cat", "--vectors", "CORPUS", "-o", "m.png", "--neighbours", "51"],
            2,
            "≤ 50, not 51",
        ),
        # a missing value is found before click knows the command: the hint still names it
        (["train", "CORPUS", "--dim"], 2, "requires an argument. (see 'w2v-nce train --help')"),
    ],
)
def test_user_mistakes_are_one_line_without_traceback(corpus, tmp_path, args, code, fragment):
    args = [str(corpus) if a == "CORPUS" else a for a in args]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    no_traceback(result)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and fragment in result.stderr
    assert not (tmp_path / "vectors.txt").exists()


def test_help_and_version():
    result = run_cli("--help")
    assert result.returncode == 0 and "train" in result.stdout and "most-similar" in result.stdout
    result = run_cli("train", "--help")
    assert "--loss" in result.stdout and "[default: 100; x>=1]" in result.stdout
    assert run_cli("--version").stdout.startswith("w2v-nce, version")


def test_demo_vectors_put_related_words_close(demo_model):
    """Measured on the demo corpus: these pairs are each other's near neighbours."""
    kv = KeyedVectors.load_word2vec_format(str(demo_model / "vectors.txt"))
    assert len(kv) == 18492  # words with count >= 5, the same set gensim keeps

    def rank(word, neighbour):
        return [w for w, _ in kv.most_similar(word, topn=100)].index(neighbour) + 1

    assert rank("king", "queen") <= 10
    assert rank("dog", "cat") <= 5
    assert rank("music", "musical") <= 10
    assert kv.similarity("king", "queen") > kv.similarity("king", "water") + 0.3


def test_most_similar_by_context_prints_probabilities(demo_model):
    result = run_cli(
        "most-similar",
        "dog",
        "--by",
        "context",
        "--vectors",
        demo_model / "model.npz",
        "--topn",
        "5",
    )
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("#") and len(rows) == 5
    probabilities = [float(row.split("\t")[2]) for row in rows]
    scores = [float(row.split("\t")[1]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < p < 1 for p in probabilities) and sum(probabilities) < 1
    result = run_cli(
        "most-similar", "dog", "--by", "context", "--vectors", demo_model / "vectors.txt"
    )
    assert result.returncode == 2 and ".npz" in result.stderr
    no_traceback(result)


def notes_of(result) -> list[str]:
    """The ``note:`` lines of a run that succeeded."""
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("note: ")]


def test_an_option_that_acts_only_beside_another_says_it_is_ignored(corpus, tmp_path):
    """--buckets without --subwords, --checkpoint-every without --checkpoint and
    --sync-every without --workers or --scheduler change nothing: a note says so (as -k
    with hs does) and the run trains; given with their partner, no such note."""
    result = train_small(
        corpus, "--buckets", 10, "--checkpoint-every", "5m", "--sync-every", 100,
        "-o", tmp_path / "v.txt",
    )  # fmt: skip
    assert notes_of(result) == [
        "note: --buckets acts only with --subwords; it is ignored",
        "note: --checkpoint-every acts only with --checkpoint; it is ignored",
        "note: --sync-every acts only with --workers or --scheduler; it is ignored",
    ]
    paired = train_small(
        corpus, "--checkpoint-every", "5m", "--checkpoint", tmp_path / "ck.npz",
        "-o", tmp_path / "v.txt",
    )  # fmt: skip
    assert paired.returncode == 0 and "note:" not in paired.stderr, paired.stderr


def test_an_option_the_loss_does_not_use_says_it_is_ignored(corpus, tmp_path):
    """hs draws no noise words, so -k, --noise-power, --(no-)share-negatives and
    --noise-group change nothing (the output was byte-identical, silently); nor does
    --noise-group without shared draws. A note per option, as for -k."""
    result = train_small(
        corpus, "--loss", "hs", "-k", 3, "--noise-power", 2, "--no-share-negatives",
        "--noise-group", 4, "-o", tmp_path / "v.txt",
    )  # fmt: skip
    assert notes_of(result) == [
        "note: --loss hs draws no noise words; -k is ignored",
        "note: --loss hs draws no noise words; --noise-power is ignored",
        "note: --loss hs has no noise words to share; --no-share-negatives is ignored",
        "note: --loss hs scores one centre word at a time; --noise-group is ignored",
    ]
    unshared = train_small(
        corpus, "--no-share-negatives", "--noise-group", 4, "-o", tmp_path / "v.txt"
    )
    assert "note: --noise-group acts only with --share-negatives; it is ignored" in (
        notes_of(unshared)
    )
    used = train_small(corpus, "--loss", "nce", "--noise-group", 2, "-o", tmp_path / "v.txt")
    assert used.returncode == 0 and "note:" not in used.stderr, used.stderr


def test_no_command_prints_the_help_not_an_error_line():
    """`w2v-nce` alone: the commands' overview (click >= 8.2 raises it as a usage
    error, which was printed as "error: Usage: ..." with the whole help inside)."""
    result = run_cli()
    assert result.returncode == 2
    assert result.stderr.startswith("Usage: w2v-nce [OPTIONS] COMMAND")
    assert "error:" not in result.stderr and "Commands:" in result.stderr


@pytest.mark.parametrize(
    ("typed", "ours"),
    [(["-size", "50"], "--dim"), (["--negative", "5"], "-k"), (["-dim", "50"], "--dim"),
     (["--hs"], "--loss hs"), (["-iter", "3"], "--epochs"), (["--min_count", "2"], "--min-count")],
)  # fmt: skip
def test_a_word2vec_gensim_or_fasttext_option_name_says_ours(tmp_path, typed, ours):
    """click guessed --base for --size and -d for fastText's -dim: say our name."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    result = run_cli("train", corpus, *typed)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no such option {typed[0]} (a word2vec, gensim or fastText name): use {ours} "
        "(see 'w2v-nce train --help')"
    ]
