"""The figures: ``plot-loss``, ``map`` and ``nce-table --plot`` through the installed
entry point on tiny corpora, their errors, and the data work behind them (the PCA,
the loss-log reader, the label placement, the shared-neighbour rule) by calling
:mod:`w2v_nce.evaluation.plots` directly."""

import json
import struct

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import run_cli
from w2v_nce.evaluation.plots import pca_2d, place_labels, read_loss_log, word_map
from w2v_nce.io.loss_log import LossLog
from w2v_nce.query import Neighbours

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
        "one --label per log: 2 logs, 1 label",
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


# --------------------------------------------------------------------------- map


@pytest.mark.parametrize("vectors", ["vectors.txt", "vectors.bin", "model.npz"])
def test_map_draws_every_vectors_format(trained, tmp_path, vectors):
    png = tmp_path / "map.png"
    result = run_cli(
        "map", "king", "dog", "music", "--vectors", trained / vectors, "-o", png,
        "--neighbours", "4", check=True,
    )  # fmt: skip
    assert result.stdout == f"wrote {png}\n" and result.stderr == ""
    png_size(png)


def test_map_unknown_word_is_most_similars_error(trained, tmp_path):
    png = tmp_path / "map.png"
    vectors = trained / "vectors.txt"
    result = run_cli("map", "king", "doog", "--vectors", vectors, "-o", png)
    one_error_line(result, 2, "'doog' is not in the vocabulary", "close matches: dog")
    assert result.stderr == run_cli("most-similar", "doog", "--vectors", vectors).stderr
    assert not png.exists()


def test_map_usage_errors(trained, tmp_path):
    vectors = trained / "vectors.txt"
    eleven = [*WORDS[:11]]
    result = run_cli("map", *eleven, "--vectors", vectors, "-o", tmp_path / "m.png")
    one_error_line(result, 2, "at most 10 query words")
    result = run_cli("map", "king", "--vectors", vectors, "-o", vectors)
    one_error_line(result, 2, "is also an input")
    result = run_cli("map", "king", "--vectors", vectors, "-o", tmp_path, "--neighbours", "3")
    one_error_line(result, 1, "is a directory")
    png = tmp_path / "m.png"
    result = run_cli("map", "king", "--vectors", vectors, "-o", png, "--neighbours", "0")
    one_error_line(result, 2, "--neighbours")


def test_pca_keeps_collinear_points_on_a_line():
    rng = np.random.default_rng(1)
    start, direction = rng.normal(size=30), rng.normal(size=30)
    steps = rng.normal(size=20)
    coords, explained = pca_2d(start + steps[:, None] * direction)
    assert explained[0] == pytest.approx(1.0) and explained[1] == pytest.approx(0.0, abs=1e-12)
    assert np.abs(coords[:, 1]).max() < 1e-9
    # distances along the line are kept: the step sizes times |direction|
    along = np.abs(steps - steps.mean()) * np.linalg.norm(direction)
    assert np.abs(coords[:, 0]) == pytest.approx(along)


def test_pca_finds_the_directions_of_largest_variance():
    """A plane in 40 dimensions, stretched 3:1 along known axes, with a little noise."""
    rng = np.random.default_rng(2)
    basis, _ = np.linalg.qr(rng.normal(size=(40, 40)))
    plane = rng.normal(size=(500, 2)) * [3.0, 1.0]
    points = 5 + plane @ basis[:, :2].T + 0.01 * rng.normal(size=(500, 40))
    coords, explained = pca_2d(points)
    assert coords[:, 0].var() > coords[:, 1].var()
    assert explained.sum() == pytest.approx(1.0, abs=1e-3)
    assert explained[0] / explained[1] == pytest.approx(
        plane[:, 0].var() / plane[:, 1].var(), rel=0.01
    )
    # the same plane: pairwise distances are kept (up to the noise)
    i, j = rng.integers(0, 500, size=(2, 200))
    original = np.linalg.norm(points[i] - points[j], axis=1)
    assert np.linalg.norm(coords[i] - coords[j], axis=1) == pytest.approx(original, abs=0.1)


def test_pca_of_two_points_and_of_one_dimension():
    coords, explained = pca_2d(np.array([[0.0, 0.0], [2.0, 0.0]]))
    assert sorted(coords[:, 0]) == [-1.0, 1.0] and coords[:, 1].tolist() == [0.0, 0.0]
    assert explained.tolist() == [1.0, 0.0]
    coords, explained = pca_2d(np.array([[1.0], [3.0], [5.0]]))
    assert sorted(coords[:, 0]) == [-2.0, 0.0, 2.0] and coords[:, 1].tolist() == [0, 0, 0]
    assert pca_2d(-np.array([[1.0], [3.0], [6.0]]))[0][:, 0].max() == pytest.approx(8 / 3)


def test_a_shared_neighbour_is_drawn_once_in_the_colour_of_the_closest_query():
    vectors = {
        "a": [1.0, 0.0, 0.0],
        "b": [0.0, 1.0, 0.0],
        "ab": [0.6, 0.8, 0.0],  # closer to b
        "a1": [1.0, 0.0, 0.3],
        "far": [0.0, 0.0, 1.0],
    }
    index = Neighbours(list(vectors), np.array(list(vectors.values())))
    points = word_map(index, ["a", "b", "a"], 2)
    assert points.queries == ["a", "b"]  # a repeated query word counts once
    assert points.words == ["a", "b", "a1", "ab"]  # a is b's neighbour but stays a query
    assert points.colour.tolist() == [0, 1, 0, 1]
    assert points.shared.tolist() == [False, False, False, True]
    assert points.coords.shape == (4, 2)


def test_labels_are_placed_apart_inside_the_frame():
    rng = np.random.default_rng(3)
    anchors = rng.normal(300, 15, size=(40, 2))  # 40 points piled up in the middle
    boxes = np.hstack([anchors + [6, -6], anchors + [66, 6]])  # 60 × 12, right of each
    markers = np.hstack([anchors - 4, anchors + 4])
    bounds = (0, 0, 600, 500)
    moved = boxes + np.tile(place_labels(boxes, anchors, markers, bounds), 2)
    assert (moved[:, :2] >= 0).all() and (moved[:, 2] <= 600).all() and (moved[:, 3] <= 500).all()
    assert np.allclose(moved[:, 2:] - moved[:, :2], [60, 12])  # moved, not resized
    for others in (moved, markers):
        ox = np.minimum(moved[:, None, 2], others[:, 2]) - np.maximum(
            moved[:, None, 0], others[:, 0]
        )
        oy = np.minimum(moved[:, None, 3], others[:, 3]) - np.maximum(
            moved[:, None, 1], others[:, 1]
        )
        overlapping = (ox > 0) & (oy > 0)
        if others is moved:
            np.fill_diagonal(overlapping, False)
        assert not overlapping.any()
    # a label with room stays where it is; one whose spot is taken moves as little as it can
    alone = place_labels(boxes[:1], anchors[:1], markers[:1], bounds)
    assert alone.tolist() == [[0.0, 0.0]]
    twice = place_labels(
        np.vstack([boxes[:1]] * 2), np.vstack([anchors[:1]] * 2), markers[:1], bounds
    )
    assert twice.tolist() == [[0.0, 0.0], [-72.0, 0.0]]  # the mirror spot, left of the point
