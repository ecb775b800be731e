"""The figures, through the installed entry point on tiny corpora: ``nce-table --plot``."""

import json
import struct

import numpy as np
import pytest

from tests.conftest import run_cli

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
