"""The contrastive family through the real command line and the API: the options,
what a saved model records and ``--init`` carries, the usage errors of senseless
combinations, and what the consumers of p(c|w) do with a ranking model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import w2v_nce
from w2v_nce import losses
from w2v_nce.errors import UsageError

from .conftest import run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("contrastive")
    rng = np.random.default_rng(0)
    words = [f"w{i:02d}" for i in range(30)]
    path = out / "corpus.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, size=12)) for _ in range(800)) + "\n")
    return path


def train(corpus, out, *options, check=True):
    return run_cli(
        "train", corpus, "--min-count", "1", "--dim", "8", "--epochs", "1", "--threads", "1",
        "--quiet", "-o", out / "v.txt", "--save-model", out / "m.npz", *options, check=check,
    )  # fmt: skip


def config_of(path):
    return w2v_nce.load(path).config


@pytest.fixture(scope="module")
def triplet_model(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("triplet")
    train(corpus, out, "--loss", "triplet", "--similarity", "cosine", "--margin", "0.3",
          "--mining", "semi-hard")  # fmt: skip
    return out / "m.npz"


def test_a_model_records_the_options_and_init_carries_them(corpus, triplet_model, tmp_path):
    config = config_of(triplet_model)
    assert (config["loss"], config["similarity"], config["mining"]) == (
        "triplet", "cosine", "semi-hard"
    )  # fmt: skip
    assert config["margin"] == pytest.approx(0.3) and config["temperature"] is None
    assert config["base"] == "none"
    train(corpus, tmp_path, "--init", triplet_model)
    continued = config_of(tmp_path / "m.npz")
    for name in ("similarity", "margin", "mining"):
        assert continued[name] == config[name]


def test_defaults_are_recorded_resolved(corpus, tmp_path):
    train(corpus, tmp_path, "--loss", "infonce", "--similarity", "cosine")
    config = config_of(tmp_path / "m.npz")
    record = losses.get("infonce")
    assert config["temperature"] == record.default_temperature("cosine") == 0.1
    assert config["margin"] is None and config["mining"] is None
    assert config["alpha"] == pytest.approx(losses.DEFAULT_ALPHA["skipgram"])


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--loss", "nce", "--margin", "1"), "--margin applies to --loss triplet/contrastive only"),
        (("--loss", "triplet", "--temperature", "0.1"), "--temperature applies to --loss infonce"),
        (("--loss", "infonce", "--mining", "hard"), "--mining applies to --loss triplet only"),
        (("--loss", "contrastive", "--similarity", "cosine"), "not cosine"),
        (("--loss", "neg", "--similarity", "euclidean"), "takes --similarity dot only"),
        (("--loss", "triplet", "--noise-group", "2"), "--noise-group must be 1"),
        (("--loss", "contrastive", "--base", "unigram"), "a per-word offset would break it"),
        (("--loss", "triplet", "--margin", "0"), "--margin must be a finite number > 0"),
    ],
)
def test_senseless_combinations_are_usage_errors(corpus, tmp_path, options, says):
    result = train(corpus, tmp_path, *options, check=False)
    assert result.returncode != 0
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert says in result.stderr and "Traceback" not in result.stderr


def test_the_api_gives_the_same_errors(corpus):
    with pytest.raises(UsageError, match="--temperature applies to --loss infonce"):
        w2v_nce.train(corpus, loss="contrastive", temperature=0.5, min_count=1, progress=False)


def test_keywords_refuse_a_ranking_model(triplet_model):
    result = run_cli("keywords", "w01", "w02", "w03", "--vectors", triplet_model)
    assert result.returncode != 0 and result.stderr.startswith(
        "error: keywords needs probabilities"
    )
    assert "learns a ranking" in result.stderr and "Traceback" not in result.stderr


def test_context_neighbours_of_a_ranking_model_rank_with_a_note(triplet_model):
    result = run_cli("most-similar", "w01", "--by", "context", "--vectors", triplet_model)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"# word\tscore\t{losses.RANKING.header}"
    assert result.stderr == f"note: {losses.reading_note(losses.get('triplet'))}\n"
    assert "a ranking of the contexts, not probabilities" in result.stderr


def test_evaluate_skips_the_pmi_check_of_a_ranking_model_with_a_note(corpus, triplet_model):
    result = run_cli("evaluate", triplet_model, "--corpus", corpus, "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["alignment"] is not None and scores["uniformity"] is not None
    assert "no PMI check" in result.stderr
