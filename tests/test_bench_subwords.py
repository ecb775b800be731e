"""The subwords section's rare-word scoring without training: every pair scored with a
null vector for a word a model has none for, and two models compared on the pairs
both know."""

import numpy as np
import pytest

from benchmarks.sections.subwords import null_vectors, on_pairs
from w2v_nce.evaluation.cosine import evaluate_pairs
from w2v_nce.evaluation.stats import spearman

GOLD = [9.0, 7.0, 5.0, 3.0, 1.0, 8.0]
PAIRS = [("a", "b"), ("a", "c"), ("b", "c"), ("a", "rare"), ("b", "rare"), ("c", "d")]


@pytest.fixture
def pairs_path(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{g}\n" for (a, b), g in zip(PAIRS, GOLD, strict=True)))
    return path


def vectors(words, seed):
    return np.random.default_rng(seed).normal(size=(len(words), 8)).astype(np.float32)


def cosine(x, y):
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_a_word_without_a_vector_scores_its_pairs_at_zero(pairs_path):
    words = ["a", "b", "c", "d"]  # "rare" has no vector
    matrix = vectors(words, 0)
    known = evaluate_pairs(words, matrix, str(pairs_path))
    assert known.skipped == 2 and known.pairs == 4
    every = null_vectors(known, pairs_path)
    row = {w: matrix[i] for i, w in enumerate(words)}
    expected = [cosine(row[a], row[b]) if b != "rare" else 0.0 for a, b in PAIRS]
    assert every.pairs == 6 and every.skipped == 0 and every.oov == 0.0
    assert every.spearman == pytest.approx(spearman(np.array(GOLD), np.array(expected)))
    assert every.spearman != pytest.approx(known.spearman)
    # the same items as a model that knows every word: the two pair up
    full = evaluate_pairs([*words, "rare"], vectors([*words, "rare"], 1), str(pairs_path))
    assert every.difference(full)["diff"] == pytest.approx(every.spearman - full.spearman)


def test_two_models_compared_on_the_pairs_both_know(pairs_path):
    few = evaluate_pairs(["a", "b", "c", "d"], vectors("abcd", 2), str(pairs_path))
    every_word = ["a", "b", "c", "d", "rare"]
    full = evaluate_pairs(every_word, vectors(every_word, 3), str(pairs_path))
    mine, theirs = on_pairs(full, few.index), on_pairs(few, full.index)
    assert list(mine.index) == list(theirs.index) == list(few.index)
    assert mine.pairs == theirs.pairs == 4 and mine.items == full.items
    kept = np.isin(full.index, few.index)
    assert mine.spearman == pytest.approx(spearman(full.gold[kept], full.cosine[kept]))
    assert theirs.spearman == pytest.approx(few.spearman)
    assert mine.difference(theirs)["diff"] == pytest.approx(mine.spearman - theirs.spearman)
