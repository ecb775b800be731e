"""The figures: ``plot-loss`` and ``nce-table --plot`` through the installed entry
point on tiny corpora, their errors, and the loss-log reader by calling
:mod:`w2v_nce.plots` directly."""

import json
import struct

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import run_cli
from w2v_nce.pipeline import LossLog
from w2v_nce.plots import read_loss_log

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

WORDS = "king queen prince royal throne dog cat puppy kitten pet music song dance tune".split()


def png_size(path) -> tuple[int, int]:
    """(width, height) of a real PNG of a real figure, or an assertion error."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 2000 and 300 <= height <= 1500, (width, height)
    assert len(data) > 8_000, len(data)  # axes, text and lines, not an empty canvas
    assert data.endswith(b"IEND\xaeB`\x82")  # complete: atomic_output renamed a whole file
    return width, height


def one_error_line(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two topics of words, each line drawn from one, so neighbours are within a topic."""
    rng = np.random.default_rng(0)
    topics = [WORDS[:5], WORDS[5:10], WORDS[10:]]
    lines = [" ".join(rng.choice(topics[i % 3], 12)) for i in range(600)]
    path = tmp_path_factory.mktemp("plots") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- nce-table --plot


def test_nce_table_plot_with_json(corpus, tmp_path):
    png = tmp_path / "table.png"
    result = run_cli(
        "nce-table", corpus, "--ks", "1,4", "--dim", "8", "--epochs", "1", "--threads", "1",
        "--quiet", "--json", "--plot", png, check=True,
    )  # fmt: skip
    rows = json.loads(result.stdout)["rows"]  # nothing else on stdout
    assert [(row["loss"], row["k"]) for row in rows] == [
        ("softmax", None), ("hs", None), ("nce", 1), ("nce", 4)
    ]  # fmt: skip
    width, height = png_size(png)
    assert width > 1.8 * height  # the two panels side by side


def test_nce_table_checks_the_plot_path_before_training(corpus, tmp_path):
    missing = tmp_path / "no" / "table.png"
    result = run_cli("nce-table", corpus, "--ks", "1", "--plot", missing)
    # one line, and none of the vocabulary line printed once the corpus is encoded
    one_error_line(result, 1, "does not exist")
    result = run_cli("nce-table", corpus, "--ks", "1", "--plot", corpus)
    one_error_line(result, 2, "is the corpus")


@pytest.fixture(scope="module")
def trained(corpus):
    """The corpus trained once: text, binary and .npz vectors and a loss log."""
    out = corpus.parent
    run_cli(
        "train", corpus, "--dim", "12", "--epochs", "3", "--threads", "1", "--quiet",
        "--loss-log", out / "neg.tsv", "-o", out / "vectors.txt", "--save-model", out / "model.npz",
        check=True,
    )  # fmt: skip
    KeyedVectors.load_word2vec_format(str(out / "vectors.txt")).save_word2vec_format(
        str(out / "vectors.bin"), binary=True
    )
    return out


def write_log(path, rows, header=LossLog.HEADER):
    path.write_text(header + "".join("\t".join(map(str, row)) + "\n" for row in rows))
    return path


# --------------------------------------------------------------------------- plot-loss


def test_plot_loss_draws_several_logs(trained, tmp_path):
    other = write_log(
        tmp_path / "nce.tsv",
        [(1.0, 1000, 0.02, 4.1), (2.0, 2000, 0.01, 3.5), (3.1, 3000, 1e-4, 3.2)],
    )
    for extra in ([], ["--x", "seconds", "--label", "neg, k=5", "--label", "nce, k=25"]):
        png = tmp_path / f"loss{len(extra)}.png"
        result = run_cli("plot-loss", trained / "neg.tsv", other, "-o", png, *extra, check=True)
        assert result.stdout == f"wrote {png}\n"
        png_size(png)


@pytest.mark.parametrize(
    "content, fragments",
    [
        (None, ["missing.tsv: no such file"]),
        ("word\t0.1\t0.2\n", ["not a loss log", "train --loss-log"]),
        ("", ["not a loss log"]),
        (LossLog.HEADER + "1.0\t100\t0.02\t4.0\n2.0\t200\t0.02\n", ["line 3", "malformed"]),
        (LossLog.HEADER + "1.0\t100\t0.02\tlots\n", ["line 2", "'1.0\\t100\\t0.02\\tlots'"]),
        (LossLog.HEADER + "1.0\t100\t0.02\tnan\n", ["line 2"]),
        (LossLog.HEADER + "1.0\t100\t0.02\t4.0\n\n3.0\t300\t0.01\t3.0\n", ["line 3"]),
        (LossLog.HEADER, ["no rows"]),
    ],
    ids=["missing", "header", "empty", "short row", "word", "nan", "blank line", "no rows"],
)
def test_plot_loss_errors_name_the_file_and_line(trained, tmp_path, content, fragments):
    log = tmp_path / "missing.tsv"
    if content is not None:
        log = tmp_path / "bad.tsv"
        log.write_text(content)
    png = tmp_path / "loss.png"
    result = run_cli("plot-loss", trained / "neg.tsv", log, "-o", png)
    one_error_line(result, 1, str(log), *fragments)
    assert not png.exists()


def test_plot_loss_usage_errors(trained, tmp_path):
    log = trained / "neg.tsv"
    before = log.read_bytes()
    one_error_line(run_cli("plot-loss", log, "-o", log), 2, "is also an input")
    assert log.read_bytes() == before
    one_error_line(
        run_cli("plot-loss", log, log, "--label", "a", "-o", tmp_path / "x.png"),
        2,
        "one --label per log: 2 logs, 1 labels",
    )
    one_error_line(run_cli("plot-loss", log, "-o", tmp_path / "no" / "x.png"), 1, "does not exist")


def test_read_loss_log_reads_what_train_writes(tmp_path):
    writer = LossLog(str(tmp_path / "log.tsv"))
    writer.add(1.25, 1000, 0.0245, 4.15)
    writer.add(2.5, 2000, 0.0125, 3.5)
    writer.close()
    curve = read_loss_log(tmp_path / "log.tsv")
    assert curve.seconds.tolist() == [1.25, 2.5]
    assert curve.words.tolist() == [1000, 2000]
    assert curve.learning_rate.tolist() == [0.0245, 0.0125]
    assert curve.loss.tolist() == [4.15, 3.5]
