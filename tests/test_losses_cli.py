"""What the loss records decide, seen where a user sees it: the real command line.

The header of ``most-similar --by context`` and its note, the training summary's
description of the loss, the help texts listing per-loss defaults, the message of
an hs model file without its tree: each comes from the loss's record in
:mod:`w2v_nce.losses`, so each is checked here against the record.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import w2v_nce
from w2v_nce import losses
from w2v_nce.evaluation.baseline import gensim_settings
from w2v_nce.params import TrainConfig
from w2v_nce.training.pipeline import W2VNceWarning

from .conftest import run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """nce, softmax and hs models of a small corpus through ``train``, and its stderr."""
    out = tmp_path_factory.mktemp("losses")
    rng = np.random.default_rng(0)
    words = [f"w{i:02d}" for i in range(30)]
    lines = (" ".join(rng.choice(words, size=12)) for _ in range(800))
    corpus = out / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n")
    stderr = {}
    for loss in ("nce", "softmax", "hs"):
        result = run_cli(
            "train", corpus, "--loss", loss, "--min-count", "1", "--dim", "8", "--epochs", "1",
            "--threads", "1", "-o", out / f"{loss}.txt", "--save-model", out / f"{loss}.npz",
            check=True,
        )  # fmt: skip
        stderr[loss] = result.stderr
    return out, stderr


def by_context(path, word="w01"):
    result = run_cli("most-similar", word, "--by", "context", "--vectors", path, "--topn", "3")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert len(rows) == 3
    return header, result.stderr


def test_by_context_on_a_neg_model_says_its_p_is_a_reading(demo_model):
    header, stderr = by_context(demo_model / "model.npz", "dog")
    assert header == f"# word\tscore\t{losses.READING.header}"
    assert "exactly normalised" not in header and "a reading" in header
    assert stderr == f"note: {losses.reading_note(losses.get('neg'))}\n"
    assert stderr.startswith("note: a neg model is not a normalised model")


@pytest.mark.parametrize(
    ("loss", "says"),
    [("nce", "self-normalised"), ("softmax", "exactly normalised"), ("hs", "Huffman path")],
)
def test_by_context_on_a_normalised_model_prints_its_record_header_and_no_note(trained, loss, says):
    out, _ = trained
    header, stderr = by_context(out / f"{loss}.npz")
    assert header == f"# word\tscore\t{losses.get(loss).distribution.header}"
    assert says in header and stderr == ""


def test_model_context_warns_as_keywords_does(demo_model, trained):
    neg = w2v_nce.load(demo_model / "model.npz")
    with pytest.warns(W2VNceWarning, match="a neg model is not a normalised model"):
        rows = neg.context("dog", topn=3)
    assert len(rows) == 3
    nce = w2v_nce.load(trained[0] / "nce.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(nce.context("w01", topn=3)) == 3


@pytest.mark.parametrize("loss", ["nce", "softmax", "hs"])
def test_the_training_summary_says_what_its_loss_is(trained, loss):
    summary = next(line for line in trained[1][loss].splitlines() if "final loss" in line)
    assert summary.endswith(f"per pair ({losses.get(loss).loss_printed})")


def help_text(*command) -> str:
    """``--help`` of ``command`` as one line (click wraps the lines)."""
    return " ".join(run_cli(*command, "--help", check=True).stdout.split())


def per_loss(listed: str, sep: str) -> dict[str, str]:
    """``unigram for nce, softmax; none for neg`` read back as {loss name: value}."""
    values = {}
    for group in listed.split(sep):
        value, _, names = group.rpartition(" for ")
        values.update(dict.fromkeys(names.split(", "), value))
    return values


def test_the_help_lists_the_records_defaults():
    text = help_text("train")
    sharing = [loss for loss in losses.LOSSES.values() if loss.share_negatives]
    assert "/".join(loss.name for loss in sharing) + " with --share-negatives" in text
    groups = text.partition("--noise-group")[2].partition("[default: ")[2].partition(" (")[0]
    assert per_loss(groups, ", ") == {loss.name: str(loss.default_noise_group) for loss in sharing}
    auto = text.partition("auto: ")[2].partition(".")[0]
    assert per_loss(auto, "; ") == {loss.name: loss.default_base for loss in losses.LOSSES.values()}


def test_evaluate_and_compare_list_the_losses_from_their_records():
    evaluate = help_text("evaluate")
    targets = evaluate.partition("should learn (")[2].partition("), over pairs")[0]
    assert per_loss(targets, "; ") == {loss.name: loss.target for loss in losses.LOSSES.values()}
    missing = help_text("compare").partition("gensim has no ")[2].partition(":")[0]
    assert sorted(missing.replace(" or ", ", ").split(", ")) == sorted(
        loss.name for loss in losses.LOSSES.values() if loss.gensim_name != loss.name
    )


def test_a_tree_model_without_its_tree_is_refused_by_name(trained, tmp_path):
    out, _ = trained
    with np.load(out / "hs.npz") as arrays:
        kept = {key: arrays[key] for key in arrays.files if not key.startswith("tree_")}
    # one output row per word, as a model without a tree has: only the loss says otherwise
    kept["output"] = np.vstack([kept["output"], np.zeros_like(kept["output"][:1])])
    broken = tmp_path / "broken.npz"
    np.savez(broken, **kept)
    result = run_cli("most-similar", "w01", "--by", "context", "--vectors", broken)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("an hs model without its tree (tree_points, ...)")


@pytest.mark.parametrize("loss", losses.LOSS_NAMES)
def test_gensim_trains_the_records_gensim_loss(loss):
    record = losses.get(loss)
    settings = gensim_settings(TrainConfig(loss=loss, k=7))
    assert settings["hs"] == int(losses.get(record.gensim_name).tree)
    assert settings["negative"] == (0 if settings["hs"] else 7)
    assert losses.gensim_native(tree=bool(settings["hs"])).name == record.gensim_name
