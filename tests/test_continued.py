"""Continued training: --init model.npz [--update-vocab], through the CLI and the API."""

import json

import numpy as np
import pytest

import w2v_nce
from tests.conftest import run_cli

FIRST = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n" * 30
SECOND = "the bird sat on the tree\nthe cat saw a bird\nthe fish swam\n" * 30
OPTIONS = ["--dim", "16", "--epochs", "2", "--min-count", "5", "--threads", "1", "--quiet"]


@pytest.fixture
def first(tmp_path):
    (tmp_path / "a.txt").write_text(FIRST)
    (tmp_path / "b.txt").write_text(SECOND)
    result = run_cli("train", tmp_path / "a.txt", *OPTIONS, "--loss", "nce", "-o",
                     tmp_path / "a.vec", "--save-model", tmp_path / "a.npz")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return tmp_path, w2v_nce.load(tmp_path / "a.npz")


def continue_cli(tmp_path, *extra):
    return run_cli(
        "train", tmp_path / "b.txt", "--init", tmp_path / "a.npz", "--dim", "16", "--epochs",
        "1", "--min-count", "5", "--threads", "1", "-o", tmp_path / "b.vec", "--save-model",
        tmp_path / "b.npz", *extra,
    )  # fmt: skip


def test_without_update_vocab_the_vocabulary_is_the_models(first):
    tmp_path, a = first
    result = continue_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    b = w2v_nce.load(tmp_path / "b.npz")
    assert sorted(b.vocab) == sorted(a.vocab)
    # bird, tree, saw, fish, swam are not the model's words: skipped and counted
    skipped = SECOND.split().count("bird") + sum(
        SECOND.split().count(w) for w in ("tree", "saw", "fish", "swam")
    )
    assert f"{skipped:,} tokens of the corpus outside the vocabulary skipped" in result.stderr
    counts = dict(zip(b.vocab, b.counts.tolist(), strict=True))
    old = dict(zip(a.vocab, a.counts.tolist(), strict=True))
    for word in a.vocab:
        assert counts[word] == old[word] + SECOND.split().count(word)  # old + new
    assert list(b.counts) == sorted(b.counts, reverse=True)  # still sorted by count
    assert b.config["loss"] == "nce"  # the model's, not the default
    assert [stage["corpus_words"] for stage in b.config["lineage"]] == [
        a.config["corpus_words"],
        b.config["corpus_words"],
    ]
    assert [stage["epochs"] for stage in b.config["lineage"]] == [2, 1]


def test_update_vocab_adds_the_new_words_initialised_as_a_new_model(first):
    tmp_path, a = first
    result = continue_cli(tmp_path, "--update-vocab", "--alpha", "1e-9", "--min-alpha", "0")
    assert result.returncode == 0, result.stderr
    b = w2v_nce.load(tmp_path / "b.npz")
    new = set(b.vocab) - set(a.vocab)
    assert new == {"bird", "the", "tree", "saw", "fish", "swam"} - set(a.vocab)
    assert "bird" in new and len(b.vocab) == len(a.vocab) + len(new)
    old_rows = a.index()
    for word in b.vocab:  # with alpha ~ 0 training moves nothing: the starting point
        row = b.vocab.index(word)
        if word in old_rows:
            np.testing.assert_allclose(b.input[row], a.input[old_rows[word]], atol=1e-6)
            np.testing.assert_allclose(b.output[row], a.output[old_rows[word]], atol=1e-6)
        else:
            assert np.all(np.abs(b.input[row]) <= 0.5 / 16) and np.any(b.input[row] != 0)
            np.testing.assert_allclose(b.output[row], 0, atol=1e-6)
    assert b.config["lineage"][-1]["update_vocab"] is True


def test_a_conflicting_option_is_a_usage_error_naming_both_values(first):
    tmp_path, _ = first
    for option, message in (
        (["--dim", "30"], "--dim 30 conflicts with the --init model's dim 16"),
        (["--loss", "neg"], "--loss neg conflicts with the --init model's loss nce"),
        (["--model", "cbow"], "--model cbow conflicts with the --init model's model skipgram"),
    ):
        result = continue_cli(tmp_path, *option)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines()[-1].startswith(f"error: {message}")
        assert not (tmp_path / "b.npz").exists()


def test_init_must_be_a_whole_model(first):
    tmp_path, _ = first
    result = run_cli("train", tmp_path / "b.txt", "--init", tmp_path / "a.vec", "-o",
                     tmp_path / "b.vec")  # fmt: skip
    assert result.returncode == 2 and "needs the whole model" in result.stderr
    # a file that is no model at all (here a corpus): the same advice, not a word2vec
    # reader's complaint about its header
    for name in ("b.txt", "b.npz"):
        if name == "b.npz":
            (tmp_path / name).write_bytes((tmp_path / "b.txt").read_bytes())
        result = run_cli("train", tmp_path / "b.txt", "--init", tmp_path / name, "-o",
                         tmp_path / "c.vec")  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: --init {tmp_path / name}: not a w2v-nce model; continued training needs "
            "the whole model (both matrices and the counts): give the .npz written by "
            "'train --save-model'"
        ]
    result = run_cli("train", tmp_path / "b.txt", "--update-vocab", "-o", tmp_path / "b.vec")
    assert result.returncode == 2 and "give the model with --init" in result.stderr


def test_hs_models_continue_without_new_words(tmp_path):
    (tmp_path / "a.txt").write_text(FIRST)
    (tmp_path / "b.txt").write_text(SECOND)
    a = w2v_nce.train(str(tmp_path / "a.txt"), loss="hs", dim=8, epochs=1, min_count=5,
                      threads=1, progress=False)  # fmt: skip
    with pytest.raises(w2v_nce.UsageError, match="cannot add words to an hs model"):
        w2v_nce.train(str(tmp_path / "b.txt"), init=a, update_vocab=True, progress=False)
    b = w2v_nce.train(str(tmp_path / "b.txt"), init=a, epochs=1, progress=False)
    assert b.config["loss"] == "hs" and b.output.shape == a.output.shape
    total = np.exp(b.scores(np.arange(len(b.vocab)))).sum(axis=1)
    np.testing.assert_allclose(total, 1.0, rtol=1e-9)  # the tree is still a tree


def test_api_init_with_a_model_or_a_path_is_the_same(first):
    tmp_path, a = first
    options = dict(epochs=1, threads=1, seed=5, progress=False, update_vocab=True)
    from_object = w2v_nce.train(str(tmp_path / "b.txt"), init=a, **options)
    from_path = w2v_nce.train(str(tmp_path / "b.txt"), init=str(tmp_path / "a.npz"), **options)
    assert from_object.vocab == from_path.vocab
    np.testing.assert_array_equal(from_object.input, from_path.input)
    assert json.dumps(from_object.config["lineage"]) == json.dumps(from_path.config["lineage"])
