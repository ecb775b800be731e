"""Every user mistake, through the installed entry point in a subprocess: one line on
stderr starting with ``error:`` that names the problem, the documented exit code,
no traceback, nothing written and no temporary file left behind."""

import gzip
import os
import random

import numpy as np
import pytest

from tests.conftest import run_cli

CORPUS = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n" * 30


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS)
    return path


def assert_error(result, code, *fragments, lines=1):
    """Exit ``code``; stderr is ``lines`` lines, the last one ``error: ...`` with
    every fragment; no traceback anywhere."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    err = result.stderr.strip().splitlines()
    assert len(err) == lines, result.stderr
    assert err[-1].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in err[-1], (fragment, err[-1])
    return err[-1]


def assert_nothing_written(directory, *keep):
    """Only the files the test made itself: no output, no .tmp, no encoded corpus."""
    left = sorted(p.name for p in directory.iterdir() if p.name not in keep)
    assert left == [], left


def train(corpus, *extra, cwd, input=None):
    return run_cli(
        "train", corpus, "--dim", "8", "--epochs", "1", "--min-count", "1", *extra,
        cwd=cwd, input=input,
    )  # fmt: skip


# -- the corpus ---------------------------------------------------------------------------


def write_bytes(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


CORPUS_CASES = {
    "empty": (b"\n  \n\t\n", ["the corpus is empty"]),
    "invalid-utf8": (b"fine line\nok\nbad \xff byte here\n", ["line 3", "not valid UTF-8"]),
    "nul-garbage": (bytes(range(256)) * 64, ["looks like a binary file"]),
    "random-garbage": (
        random.Random(0).randbytes(1 << 16).replace(b"\0", b"\1"),
        ["looks like a binary file", "control bytes"],
    ),
    "utf16": ("hello world\n".encode("utf-16"), ["binary", "iconv"]),
    "xz": (b"\xfd7zXZ\x00\x00\x04rest", ["xz-compressed", "xz -dc"]),
    "zip": (b"PK\x03\x04" + b"x" * 100, ["zip archive"]),
    "corrupt-gzip": (gzip.compress(CORPUS.encode())[:40] + b"\xff" * 64, ["not a valid gzip"]),
    "token-over-100kB": (b"ok\n" + b"z" * 100_001 + b"\n", ["line 2", "100,000 bytes"]),
}


@pytest.mark.parametrize("case", CORPUS_CASES)
def test_bad_corpus(tmp_path, case):
    content, fragments = CORPUS_CASES[case]
    path = write_bytes(tmp_path, "corpus.txt", content)
    result = train(path, cwd=tmp_path)
    assert_error(result, 1, "corpus.txt", *fragments)
    assert_nothing_written(tmp_path, "corpus.txt")


def test_missing_corpus(tmp_path):
    assert_error(train("missing.txt", cwd=tmp_path), 1, "missing.txt", "no such file")
    assert_nothing_written(tmp_path)


def test_directory_as_corpus(tmp_path):
    (tmp_path / "adir").mkdir()
    assert_error(train("adir", cwd=tmp_path), 1, "adir is a directory", "--workers")


def test_a_glob_on_one_process_says_where_globs_are_read(tmp_path):
    """The README's 'shards/*.txt' (quoted, so the shell leaves it) is read by --workers;
    on one process the message says so rather than only 'no such file'."""
    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "a.txt").write_text("a b c\n")
    result = train("shards/*.txt", cwd=tmp_path)
    assert_error(result, 1, "shards/*.txt: no such file", "--workers", "cat FILES")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_corpus(corpus, tmp_path):
    corpus.chmod(0)
    try:
        assert_error(train(corpus, cwd=tmp_path), 1, "permission denied")
    finally:
        corpus.chmod(0o644)


def test_no_word_reaches_min_count(corpus, tmp_path):
    result = run_cli("train", corpus, "--min-count", "1000", cwd=tmp_path)
    assert_error(result, 1, "--min-count 1000", "lower --min-count")
    assert_nothing_written(tmp_path, "corpus.txt")


def test_stdin_errors_name_stdin(tmp_path):
    assert_error(train("-", cwd=tmp_path, input=""), 1, "<stdin>", "empty")


def test_vocab_command_reports_the_same_corpus_errors(tmp_path):
    path = write_bytes(tmp_path, "c.txt", b"ok\n\xc3\x28 bad\n")
    assert_error(run_cli("vocab", path), 1, "line 2", "not valid UTF-8")
    assert_error(run_cli("vocab", tmp_path / "missing.txt"), 1, "no such file")
    assert_error(run_cli("vocab", write_bytes(tmp_path, "e.txt", b" \n")), 1, "empty")


# -- option values ------------------------------------------------------------------------

OPTION_CASES = [
    (["-k", "0"], "--k must be an integer ≥ 1, not 0"),
    (["--loss", "nce", "-k", "-3"], "--k must be an integer ≥ 1, not -3"),
    (["--dim", "0"], "--dim must be an integer ≥ 1, not 0"),
    (["--window", "0"], "--window must be an integer ≥ 1 and ≤ 10000, not 0"),
    (["--window", "10001"], "--window must be an integer ≥ 1 and ≤ 10000, not 10001"),
    (["--epochs", "0"], "--epochs must be an integer ≥ 1, not 0"),
    (["--threads", "0"], "--threads must be an integer ≥ 1, not 0"),
    (["--min-count", "0"], "--min-count must be an integer ≥ 1, not 0"),
    (["--max-vocab", "0"], "--max-vocab must be an integer ≥ 1, not 0"),
    (["--alpha", "0"], "--alpha must be a finite number > 0, not 0"),
    (["--alpha", "-0.1"], "--alpha must be a finite number > 0, not -0.1"),
    (["--alpha", "nan"], "--alpha must be a finite number > 0, not nan"),
    (["--alpha", "inf"], "--alpha must be a finite number > 0, not inf"),
    (["--min-alpha", "0.5"], "--min-alpha (0.5) must be at most --alpha (0.025)"),
    (
        ["--model", "cbow", "--min-alpha", "0.06"],
        "--min-alpha (0.06) must be at most --alpha (0.05)",
    ),
    (["--sample", "-1e-3"], "--sample must be a finite number ≥ 0, not -1e-3"),
    (["--sample", "nan"], "--sample must be a finite number ≥ 0, not nan"),
    (["--noise-power", "inf"], "--noise-power must be a finite number ≥ 0 and ≤ 10, not inf"),
    (["--noise-power", "1000"], "--noise-power must be a finite number ≥ 0 and ≤ 10, not 1000"),
    (["--noise-group", "0"], "--noise-group must be an integer ≥ 1 and ≤ 16, not 0"),
    (["--noise-group", "17"], "--noise-group must be an integer ≥ 1 and ≤ 16, not 17"),
    (["--seed", "-1"], "--seed must be an integer ≥ 0, not -1"),
    (["--dim", "ten"], "--dim must be an integer ≥ 1, not ten"),
    (["--dim", "2.5"], "--dim must be an integer ≥ 1, not 2.5"),
    (
        ["--loss", "hinge"],
        "--loss must be one of neg, nce, softmax, infonce, hs, triplet, contrastive, not hinge",
    ),
    (["--model", "glove"], "--model must be one of skipgram, cbow, not glove"),
    (["--encoding-errors", "skip"], "--encoding-errors must be one of strict, replace, ignore"),
    (["--checkpoint-every", "soon"], "--checkpoint-every must be a duration in seconds"),
    (["--loss", "hs", "--base", "unigram"], "--loss hs scores inner nodes of a tree"),
    (["--update-vocab"], "--update-vocab adds words to a model: give the model with --init"),
    (["--no-such-option"], "No such option"),
]


@pytest.mark.parametrize(("args", "fragment"), OPTION_CASES, ids=lambda v: " ".join(v))
def test_invalid_option_values_are_usage_errors(corpus, tmp_path, args, fragment):
    # stdin is empty: had the corpus been read, the error would be "empty corpus".
    result = train("-", *args, cwd=tmp_path, input="")
    assert_error(result, 2, fragment)
    assert_nothing_written(tmp_path, "corpus.txt")


def test_usage_errors_outside_train():
    assert_error(run_cli("no-such-command"), 2, "No such command")
    assert_error(run_cli("most-similar"), 2, "Missing argument")
    assert_error(run_cli("analogy", "a", "b"), 2, "Missing argument")
    assert_error(
        run_cli("most-similar", "x", "--topn", "0"), 2, "--topn must be an integer ≥ 1, not 0"
    )
    assert_error(
        run_cli("vocab", "c.txt", "--top", "-1"), 2, "--top must be an integer ≥ 0, not -1"
    )


# -- output paths: checked before the corpus is read ----------------------------------------


def test_missing_output_directory_is_reported_before_reading(tmp_path):
    result = train("-", "-o", "missing-dir/v.txt", cwd=tmp_path, input="")
    assert_error(result, 1, "missing-dir", "does not exist")


def test_output_under_a_file_and_the_apis_save_into_a_missing_directory(corpus, tmp_path):
    """-o corpus.txt/v.txt: a part of the path is a file (the message said only 'Not a
    directory'); Model.save into a missing directory says what the CLI says (it said
    'cannot write ...: No such file or directory')."""
    result = train(corpus, "-o", "corpus.txt/v.txt", cwd=tmp_path)
    assert_error(result, 1, "corpus.txt is a file, not a directory", "choose another output")
    import w2v_nce

    model = w2v_nce.train(str(corpus), epochs=1, dim=8, min_count=1, threads=1)
    missing = tmp_path / "missing"
    for save in (model.save, model.save_word2vec_format):
        with pytest.raises(w2v_nce.UserError) as raised:
            save(missing / "m.npz")
        expected = f"output directory {missing} does not exist; create it or choose another"
        assert str(raised.value).startswith(expected)


def test_output_that_is_a_directory(tmp_path):
    (tmp_path / "out").mkdir()
    result = train("-", "-o", "out", cwd=tmp_path, input="")
    assert_error(result, 1, "out is a directory")
    result = train("-", "--save-model", "out", cwd=tmp_path, input="")
    assert_error(result, 1, "out is a directory")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_output_where_no_file_can_be_created(tmp_path):
    # /proc accepts no new files, even from root (for whom access() always says yes).
    result = train("-", "-o", "/proc/vectors.txt", cwd=tmp_path, input="")
    assert_error(result, 1, "cannot create files in output directory /proc")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_output_directory_not_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = train("-", "-o", locked / "v.txt", cwd=tmp_path, input="")
        assert_error(result, 1, "not writable")
    finally:
        locked.chmod(0o700)


def test_output_paths_that_would_destroy_something(corpus, tmp_path):
    result = train(corpus, "-o", "m.npz", "--save-model", "./m.npz", cwd=tmp_path)
    assert_error(result, 2, "same file")
    original = corpus.read_bytes()
    assert_error(train(corpus, "-o", corpus, cwd=tmp_path), 2, "is the corpus")
    assert corpus.read_bytes() == original
    assert_nothing_written(tmp_path, "corpus.txt")


@pytest.mark.parametrize(
    "option", ["-o", "--save-model", "--fasttext-bin", "--checkpoint", "--loss-log", "--tmp-dir"]
)
def test_an_empty_path_is_refused_before_training(corpus, tmp_path, option):
    """An unset shell variable (-o "$OUT"): -o "" trained the whole run and wrote
    nothing; the other options were silently off. Refused at once, nothing written."""
    result = train(corpus, option, "", cwd=tmp_path)
    assert_error(result, 2, f"{option} is empty")
    assert_nothing_written(tmp_path, "corpus.txt")


def test_an_empty_path_in_the_api_is_a_usage_error(corpus, tmp_path):
    import w2v_nce
    from w2v_nce.errors import UsageError

    for option in ("checkpoint", "loss_log", "tmp_dir", "init"):
        with pytest.raises(UsageError, match=f"--{option.replace('_', '-')} is empty"):
            w2v_nce.train(str(corpus), **{option: ""})


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_tmp_dir(corpus, tmp_path, kind):
    target = tmp_path / "scratch"
    if kind == "file":
        target.write_text("")
    result = train(corpus, "--tmp-dir", target, cwd=tmp_path)
    assert_error(result, 1, "temporary directory", "--tmp-dir")


# -- divergence -----------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hs", "neg"])
def test_divergence_stops_and_keeps_the_previous_output(corpus, tmp_path, loss):
    """hs turns NaN at --alpha 1e6; neg stays finite (the noise losses' step bound,
    kernels/block.bound_steps) but its loss rises far above where it started."""
    previous = b"previous vectors, untouched\n"
    (tmp_path / "vectors.txt").write_bytes(previous)
    result = train(
        corpus, "--loss", loss, "--alpha", "1e6", "-q", "--save-model", "m.npz", cwd=tmp_path
    )
    assert_error(result, 1, "diverged", "lower --alpha", "nothing was written")
    assert (tmp_path / "vectors.txt").read_bytes() == previous
    assert_nothing_written(tmp_path, "corpus.txt", "vectors.txt")


# -- vectors files --------------------------------------------------------------------------


def _record(word, values):
    return word + b" " + np.asarray(values, dtype="<f4").tobytes() + b"\n"


VECTOR_CASES = {
    "bad-header": (b"three 2\ncat 1 2\n", ["line 1", "bad header"]),
    "too-few-values": (b"2 3\ncat 1 2 3\ndog 1 2\n", ["line 3", "expected 3 values", "found 2"]),
    "too-many-values": (b"2 2\ncat 1 2 3\ndog 1 2\n", ["line 2", "expected 2 values"]),
    "not-a-number": (b"2 2\ncat 1 2\ndog 1 x2\n", ["line 3", "not a number: 'x2'"]),
    "fewer-rows": (b"3 2\ncat 1 2\ndog 3 4\n", ["line 4", "2 of the 3 rows"]),
    "more-rows": (b"1 2\ncat 1 2\ndog 3 4\n", ["line 3", "more rows than the 1"]),
    "empty": (b"", ["file is empty"]),
    "truncated-binary": (
        b"2 2\n" + _record(b"cat", [0.5, -1]) + b"dog " + b"\x00\x00\x80",
        ["record 2", "truncated vector"],
    ),
    "binary-missing-records": (
        b"3 2\n" + _record(b"cat", [0.5, -1]) + _record(b"dog", [1, 2]),
        ["record 3", "2 of the 3 records"],
    ),
    "bad-npz": (b"PK\x03\x04 not really a zip", ["not a valid w2v-nce model"]),
    # Not a zip at all: np.load would read it as a pickle and talk about allow_pickle.
    "not-a-zip-npz": (b"x", ["not a w2v-nce model", "zip archives"]),
    # fastText's .bin (train --fasttext-bin): its magic int32, then its header's numbers
    "fasttext-bin": (
        (793712314).to_bytes(4, "little") + (12).to_bytes(4, "little") + bytes(40),
        ["a fastText .bin model", "--save-model .npz"],
    ),
}


@pytest.mark.parametrize("case", VECTOR_CASES)
@pytest.mark.parametrize("command", ["most-similar", "analogy"])
def test_malformed_vectors_file(tmp_path, case, command):
    content, fragments = VECTOR_CASES[case]
    name = "v.npz" if case.endswith("npz") else "v.txt"
    path = write_bytes(tmp_path, name, content)
    words = ["cat"] if command == "most-similar" else ["cat", "dog", "cow"]
    result = run_cli(command, *words, "--vectors", path)
    message = assert_error(result, 1, name, *fragments)
    assert "pickle" not in message


def test_missing_or_directory_vectors_file(tmp_path):
    assert_error(run_cli("most-similar", "cat", "--vectors", tmp_path / "no.txt"), 1, "no such")
    assert_error(run_cli("analogy", "a", "b", "c", "--vectors", tmp_path), 1, "is a directory")
    # the default is ./vectors.txt: the message names the option and what writes the file
    result = run_cli("most-similar", "cat", cwd=tmp_path)
    assert_error(result, 1, "vectors.txt: no such file", "--vectors FILE", "train -o")
    result = run_cli("keywords", "a", "dog", cwd=tmp_path)  # its default, ./model.npz
    assert_error(result, 1, "model.npz: no such file", "--vectors FILE", "--save-model")
    result = run_cli("train", "c.txt", "--init", "nothere.npz", cwd=tmp_path)
    assert_error(result, 1, "--init nothere.npz: no such file", "--save-model")
    result = run_cli("train", "c.txt", "--init", tmp_path, cwd=tmp_path)
    assert_error(result, 1, f"--init {tmp_path} is a directory", "--save-model")


@pytest.fixture
def vectors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("4 2\nking 1 1\nqueen 1 0.9\nkings 0.9 1\nwater -1 0\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["most-similar", "kinng"],
        ["most-similar", "king", "--negative", "kinng"],
        ["analogy", "king", "kinng", "queen"],
    ],
)
def test_word_not_in_vocabulary(vectors, args):
    message = assert_error(run_cli(*args, "--vectors", vectors), 2, "'kinng'", "not in the")
    assert "close matches: king" in message


def test_help_is_not_an_error():
    result = run_cli("train", "--help")
    assert result.returncode == 0 and result.stderr == ""


def test_a_run_that_trains_no_pair_is_an_error_not_untrained_vectors(tmp_path):
    """Subsampling can leave no two words in a sentence: the run trained nothing, and
    writing its random vectors with a 'final loss nan' would pass them off as trained.
    With --sample 0 the same corpus trains (the error is about that, not the corpus)."""
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("hello world cafe the the the\n" * 20)
    args = ("train", corpus, "--min-count", 1, "--dim", 10, "--epochs", 1, "--seed", 1)
    result = run_cli(*args, "-o", tmp_path / "v.txt", "--quiet")
    assert_error(result, 1, "nothing was trained", "--sample")
    assert_nothing_written(tmp_path, "tiny.txt")
    run_cli(*args, "--sample", 0, "-o", tmp_path / "v.txt", "--quiet", check=True)
    assert (tmp_path / "v.txt").exists()
