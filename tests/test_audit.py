"""Issue 27, "What a new user's audit found": each defect and rough edge, through the
real entry point (run_cli) or the installed package, failing before the fix."""

import gzip
import json
import os
import subprocess
import threading
import zipfile

import numpy as np
import pytest

import w2v_nce
from tests.conftest import DEMO_CORPUS, entry_point, run_cli
from w2v_nce.errors import UserError, W2VNceWarning

FAST = ("--epochs", "1", "--threads", "1", "--dim", "16", "--seed", "1")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """3,000 lines of the demo corpus as a plain file (about 40,000 tokens)."""
    path = tmp_path_factory.mktemp("audit") / "c.txt"
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as source:
        lines = [next(source) for _ in range(3000)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokens(corpus):
    return len(corpus.read_bytes().split())


@pytest.fixture(scope="module")
def model_noext(corpus, tmp_path_factory):
    """A neg model saved by --save-model under a name without .npz."""
    out = tmp_path_factory.mktemp("model")
    run_cli("train", corpus, *FAST, "-q", "-o", out / "v.txt", "--save-model", out / "mymodel",
            check=True)  # fmt: skip
    return out


def _one_line_error(result, code):
    assert result.returncode == code, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "Traceback" not in result.stderr
    return last


# --------------------------------------------------------------------------- 1. pipes


def test_a_pipe_path_is_read_whole(corpus, tokens, tmp_path):
    """/dev/stdin (as <(cat corpus) is /dev/fd/63) is a pipe: opened twice, the check's
    read ate its first 4 KiB."""
    with subprocess.Popen(["cat", str(corpus)], stdout=subprocess.PIPE) as cat:
        result = run_cli("train", "/dev/stdin", *FAST, "-o", tmp_path / "v.txt", stdin=cat.stdout)
    assert result.returncode == 0, result.stderr
    assert f"corpus: {tokens:,} tokens" in result.stderr


def _feed_fifo(fifo, data: bytes):
    def write():
        try:
            with open(fifo, "wb") as sink:
                sink.write(data)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _release(fifo, thread):
    """A writer still waiting for a reader gets one (and the test no stray thread)."""
    if thread.is_alive():
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(5)


def _run(*args, timeout=240):
    return subprocess.run(
        [entry_point(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )  # fmt: skip


def test_a_fifo_is_read_once_completely(corpus, tokens, tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    writer = _feed_fifo(fifo, corpus.read_bytes())
    try:
        result = _run("train", fifo, *FAST, "-o", tmp_path / "v.txt")
    finally:
        _release(fifo, writer)
    assert result.returncode == 0, result.stderr
    assert f"corpus: {tokens:,} tokens" in result.stderr


def test_a_fifo_with_a_checkpoint_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    result = _run("train", fifo, "-o", tmp_path / "v.txt", "--checkpoint", tmp_path / "ck.npz",
                  timeout=60)  # fmt: skip
    assert "--checkpoint needs a corpus that can be read again" in _one_line_error(result, 2)


# --------------------------------------------------------------------------- 2, 3. same files

SAME = [
    ("-o", "--checkpoint"),
    ("--save-model", "--checkpoint"),
    ("-o", "--loss-log"),
    ("--save-model", "--loss-log"),
    ("--checkpoint", "--loss-log"),
]


@pytest.mark.parametrize("first, second", SAME)
def test_two_outputs_naming_one_file_are_refused(corpus, tmp_path, first, second):
    target = tmp_path / "same"
    target.write_bytes(b"keep me\n")
    outputs = {"-o": tmp_path / "v.txt", first: target, second: target}
    args = [a for option, path in outputs.items() for a in (option, path)]
    result = run_cli("train", corpus, *FAST, *args)
    message = _one_line_error(result, 2)
    assert f"{first} and {second} are the same file" in message
    assert target.read_bytes() == b"keep me\n"


def test_a_hard_link_is_the_same_file(corpus, tmp_path):
    (tmp_path / "v.txt").write_text("keep me\n")
    os.link(tmp_path / "v.txt", tmp_path / "link.txt")
    result = run_cli("train", corpus, *FAST, "-o", tmp_path / "v.txt", "--loss-log",
                     tmp_path / "link.txt")  # fmt: skip
    assert "-o and --loss-log are the same file" in _one_line_error(result, 2)
    assert (tmp_path / "v.txt").read_text() == "keep me\n"


def test_the_loss_log_may_not_be_the_corpus(corpus, tmp_path):
    copy = tmp_path / "c.txt"
    copy.write_bytes(corpus.read_bytes())
    result = run_cli("train", copy, *FAST, "-o", tmp_path / "v.txt", "--loss-log", copy)
    assert "is the corpus" in _one_line_error(result, 2)
    assert copy.read_bytes() == corpus.read_bytes()


def test_the_library_refuses_a_checkpoint_that_is_the_loss_log(tmp_path):
    with pytest.raises(UserError, match="are the same file"):
        w2v_nce.train([["a", "b"]] * 10, min_count=1, checkpoint=str(tmp_path / "x"),
                      loss_log=str(tmp_path / "x"), progress=False)  # fmt: skip


# --------------------------------------------------------------------------- 4. by content


def test_a_model_saved_without_npz_is_read_back_everywhere(model_noext, corpus, tmp_path):
    model = model_noext / "mymodel"
    for args in (["most-similar", "the", "--vectors", model, "--topn", "2"],
                 ["most-similar", "the", "--vectors", model, "--by", "context", "--topn", "2"],
                 ["evaluate", model, "--json"]):  # fmt: skip
        result = run_cli(*args)
        assert result.returncode == 0, (args, result.stderr)
    result = run_cli("train", corpus, *FAST, "-q", "--init", model, "-o", tmp_path / "v2.txt")
    assert result.returncode == 0, result.stderr


def test_the_api_loads_a_model_saved_without_an_extension(model_noext, tmp_path):
    model = w2v_nce.load(model_noext / "mymodel")
    assert model.output is not None
    model.save(tmp_path / "noext")
    again = w2v_nce.load(tmp_path / "noext")
    np.testing.assert_array_equal(again.input, model.input)
    assert again.vocab == model.vocab


@pytest.mark.parametrize(
    "content", [b"PK\x03\x04\x14\x00garbage", bytes(range(256)) * 2, b"\x00\x01\x02 3\n"]
)
def test_messages_never_show_raw_bytes(tmp_path, content):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    message = _one_line_error(run_cli("most-similar", "the", "--vectors", path), 1)
    assert message.isprintable() and "\\x" not in message


# --------------------------------------------------------------------------- 5. --by context


def test_context_on_a_neg_model_says_it_is_a_reading(model_noext):
    result = run_cli("most-similar", "the", "--by", "context", "--vectors",
                     model_noext / "mymodel", check=True)  # fmt: skip
    header = result.stdout.splitlines()[0]
    assert "exactly normalised" not in header and "a reading" in header
    model = w2v_nce.load(model_noext / "mymodel")
    with pytest.warns(W2VNceWarning, match="reading"):
        model.context("the", topn=3)


# --------------------------------------------------------------------------- 7. --k 1000


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_a_large_k_trains_at_the_default_learning_rate(corpus, tmp_path, model):
    """k = 1000 with shared negatives: a frequent word drawn ~50 times into the set of ~10
    hidden rows got all its updates summed from the block's starting point, and training
    diverged at the default learning rate. It must train: finite vectors, and a loss per
    example well below the (k + 1)·log 2 of the untrained model (zero output rows)."""
    k = 1000
    options = ("--epochs", "1", "--threads", "1", "--seed", "1", "--k", str(k), "--model", model)
    result = run_cli("train", corpus, *options, "--json", "-o", tmp_path / "v.txt")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert np.isfinite(report["final_loss"])
    assert report["final_loss"] < 0.5 * (k + 1) * np.log(2)
    vectors = np.loadtxt(tmp_path / "v.txt", skiprows=1, usecols=range(1, 101), comments=None)
    assert np.isfinite(vectors).all()


# --------------------------------------------------------------------------- 8. no pairs


def test_a_corpus_without_context_pairs_is_an_error(tmp_path):
    corpus = tmp_path / "words.txt"
    corpus.write_text("".join(f"word{i % 7}\n" for i in range(100)))
    result = run_cli("train", corpus, *FAST, "-o", tmp_path / "v.txt")
    assert "no line has two words of the vocabulary" in _one_line_error(result, 1)
    assert not (tmp_path / "v.txt").exists()


# --------------------------------------------------------------------------- rough edges


def test_wrong_types_in_the_api_are_user_errors(model_noext):
    model = w2v_nce.load(model_noext / "mymodel")
    calls = {
        "train(123)": lambda: w2v_nce.train(123),
        "train(None)": lambda: w2v_nce.train(None),
        "train(init=3)": lambda: w2v_nce.train([["a", "b"]], init=3),
        "load(123)": lambda: w2v_nce.load(123),
        "most_similar(123)": lambda: model.most_similar(123),
        "most_similar(['the', 5])": lambda: model.most_similar(["the", 5]),
        "keywords(123)": lambda: model.keywords(123),
        "context(5)": lambda: model.context(5),
    }
    for call, run in calls.items():
        with pytest.raises(UserError) as caught:
            run()
        message = str(caught.value)
        assert " a int" not in message and "an int" in message or "None" in message, call


def test_a_changed_option_is_named_as_typed(corpus, tmp_path):
    from w2v_nce.training import pipeline

    ck = tmp_path / "ck.npz"
    options = {"checkpoint": str(ck), "epochs": 1, "threads": 1, "dim": 16, "seed": 1}
    run = pipeline.train(str(corpus), options, progress=False)
    run.save_checkpoint()
    base = ("train", corpus, *FAST, "-o", tmp_path / "v.txt", "--checkpoint", ck)
    message = _one_line_error(run_cli(*base, "--max-vocab", "500"), 2)
    assert "None" not in message and "--max-vocab 500 now, not set" in message
    message = _one_line_error(run_cli(*base, "--sample", "0"), 2)
    assert "--sample 0 now, 0.001" in message


def test_resuming_a_finished_run_says_so(corpus, tmp_path):
    from w2v_nce.training import pipeline

    ck = tmp_path / "ck.npz"
    options = {"checkpoint": str(ck), "epochs": 1, "threads": 1, "dim": 16, "seed": 1}
    pipeline.train(str(corpus), options, progress=False).save_checkpoint()
    result = run_cli("train", corpus, *FAST, "-o", tmp_path / "v.txt", "--checkpoint", ck)
    assert result.returncode == 0, result.stderr
    assert "already complete" in result.stderr and "nan" not in result.stderr
    assert (tmp_path / "v.txt").exists() and not ck.exists()


def test_one_line_is_one_line(tmp_path):
    (tmp_path / "one.txt").write_text("a b c\n")
    result = run_cli("vocab", tmp_path / "one.txt", "--min-count", "1", check=True)
    assert "3 tokens in 1 line\n" in result.stdout


def test_a_nul_byte_is_never_part_of_a_word(corpus, tmp_path):
    text = corpus.read_bytes()
    damaged = tmp_path / "nul.txt"
    damaged.write_bytes(text + b"the\0cat sat\n")  # far below 1% of the first 64 KiB
    message = _one_line_error(run_cli("vocab", damaged), 1)
    line = text.count(b"\n") + 1
    assert f"line {line} contains a NUL byte" in message


def test_a_gzipped_vectors_file_is_read(model_noext, tmp_path):
    packed = tmp_path / "v.txt.gz"
    packed.write_bytes(gzip.compress((model_noext / "v.txt").read_bytes()))
    plain = run_cli("most-similar", "the", "--vectors", model_noext / "v.txt", check=True)
    zipped = run_cli("most-similar", "the", "--vectors", packed, check=True)
    assert zipped.stdout == plain.stdout


def test_most_similar_with_nothing_to_rank_is_an_error(model_noext, tmp_path):
    model = model_noext / "mymodel"
    message = _one_line_error(run_cli("most-similar", "the", "--negative", "the", "--vectors",
                                      model), 2)  # fmt: skip
    assert "both a positive and a negative word" in message
    single = tmp_path / "one.txt"
    single.write_text("1 3\nword 0.1 0.2 0.3\n")
    message = _one_line_error(run_cli("most-similar", "word", "--vectors", single), 2)
    assert "no other word" in message


@pytest.mark.parametrize("name, magic", [("map.pdf", b"%PDF"), ("map.svg", b"<?xml"),
                                         ("map.png", b"\x89PNG")])  # fmt: skip
def test_a_figure_is_written_in_the_format_its_name_says(model_noext, tmp_path, name, magic):
    out = tmp_path / name
    run_cli("map", "the", "of", "and", "a", "--vectors", model_noext / "mymodel", "-o", out,
            check=True)  # fmt: skip
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("name", ["map.jpg", "map"])
def test_a_figure_format_that_cannot_be_written_is_refused(model_noext, corpus, tmp_path, name):
    result = run_cli("map", "the", "of", "--vectors", model_noext / "mymodel", "-o",
                     tmp_path / name)  # fmt: skip
    assert "give the file one of these extensions" in _one_line_error(result, 2)
    result = run_cli("evaluate", model_noext / "mymodel", "--corpus", corpus, "--plot",
                     tmp_path / name)  # fmt: skip
    assert "give the file one of these extensions" in _one_line_error(result, 2)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("damage", ["empty", "broken zip", "bad checksum"])
def test_a_damaged_checkpoint_says_damaged(model_noext, corpus, tmp_path, damage):
    ck = tmp_path / "ck.npz"
    data = bytearray((model_noext / "mymodel").read_bytes())
    if damage == "empty":
        data = b""
    elif damage == "broken zip":
        data = data[:3000]
    else:
        with zipfile.ZipFile(model_noext / "mymodel") as archive:
            member = max(archive.infolist(), key=lambda info: info.compress_size)
        at = member.header_offset
        name, extra = (int.from_bytes(data[at + i : at + i + 2], "little") for i in (26, 28))
        data[at + 30 + name + extra + member.compress_size // 2] ^= 0xFF
    ck.write_bytes(bytes(data))
    result = run_cli("train", corpus, *FAST, "-o", tmp_path / "v.txt", "--checkpoint", ck)
    message = _one_line_error(result, 1)
    assert "damaged checkpoint" in message and "remove it to start over" in message
    assert ck.read_bytes() == bytes(data)


def test_a_model_given_as_the_checkpoint_is_named(model_noext, corpus, tmp_path):
    result = run_cli("train", corpus, *FAST, "-o", tmp_path / "v.txt", "--checkpoint",
                     model_noext / "mymodel")  # fmt: skip
    assert "is a model" in _one_line_error(result, 1)


def test_the_vectors_may_be_discarded(corpus, tmp_path):
    result = run_cli("train", corpus, *FAST, "-o", os.devnull, "--save-model", tmp_path / "m.npz")
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'm.npz'}" in result.stderr
    assert w2v_nce.load(tmp_path / "m.npz").output is not None
    assert "note:" not in result.stderr
    alone = run_cli("train", corpus, *FAST, "-o", os.devnull)
    assert alone.returncode == 0, alone.stderr
    # said before the run, not only "wrote nothing" after it
    assert alone.stderr.splitlines()[0] == (
        "note: -o /dev/null and no --save-model or --fasttext-bin: the trained vectors "
        "will not be kept"
    )


def test_tiny_sets_get_no_interval():
    from w2v_nce.evaluation import bootstrap

    hits = np.zeros(137, dtype=bool)
    known = np.ones(137, dtype=bool)
    assert bootstrap.interval(lambda i: bootstrap.mean_resampled(hits, known, i), 137) is None
    assert bootstrap.interval(lambda i: np.linspace(0, 1, len(i)), 2) is None
    assert bootstrap.interval(lambda i: np.linspace(0, 1, len(i)), 50) is not None


def test_tiny_pair_files_print_no_ci(model_noext, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("the\tof\t5.0\nthe\tand\t3.0\n")
    result = run_cli("evaluate", model_noext / "mymodel", "--pairs", pairs, check=True)
    line = next(line for line in result.stdout.splitlines() if str(pairs) in line)
    assert "no CI" in line and "[1.000, 1.000]" not in line


def test_compare_prints_no_negative_zero_and_no_footnote_for_nothing():
    from w2v_nce.cli.evaluate import compare_table

    side = {"seconds": 1.0, "words_per_sec": 1.0, "pmi": None}
    for key in ("ws353", "simlex999", "analogy"):
        side |= {key: 0.5, f"{key}_oov": 0.1, f"{key}_ci": [0.4, 0.6]}
    result = {
        "w2v_nce": side, "gensim": side, "neighbour_overlap_at_10": 0.5,
        "settings": {"loss": "neg", "gensim_class": "Word2Vec", "gensim_loss": "neg"},
        "differences": {key: {"diff": -0.00001, "ci": [-0.0001, 0.0002]}
                        for key in ("ws353", "simlex999", "analogy")},
    }  # fmt: skip
    table = "\n".join(compare_table(result))
    assert "-0.000" not in table and "†" not in table
