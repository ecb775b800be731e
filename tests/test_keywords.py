"""Keywords: log p(text | w) per word of a text, through the library and the command line.

The scores are checked against plain numpy on tiny models whose matrices are
written out (every loss's reading of p(c|w)), and the ranking on corpora where
the answer is known: a word that determines its context ranks first, a word
seen next to uniformly random words last.
"""

import numpy as np
import pytest

from w2v_nce.model import Model
from w2v_nce.trainer import huffman_tree


def random_model(loss, vocab_size=40, dim=6, seed=0):
    """A model with random matrices (hs: a Huffman tree over random counts)."""
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 1000, size=vocab_size))[::-1]
    tree = huffman_tree(counts) if loss == "hs" else None
    outputs = vocab_size - 1 if tree else vocab_size
    return Model(
        [f"w{i}" for i in range(vocab_size)],
        counts,
        rng.normal(scale=1.5, size=(vocab_size, dim)).astype(np.float32),
        rng.normal(scale=1.5, size=(outputs, dim)).astype(np.float32),
        {"loss": loss, "base": "none" if loss in ("hs", "neg") else "unigram"},
        tree,
    )


@pytest.mark.parametrize("loss", ["nce", "hs"])
def test_scores_at_some_columns_are_those_columns_of_the_full_rows(loss):
    model = random_model(loss)
    rows, columns = np.array([3, 0, 39, 3]), np.array([39, 5, 5, 0, 17])
    np.testing.assert_allclose(
        model.scores(rows, columns), model.scores(rows)[:, columns], rtol=1e-12, atol=1e-12
    )
