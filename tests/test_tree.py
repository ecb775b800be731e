"""Hierarchical softmax's Huffman tree: optimal, prefix-free, word2vec.c's, normalised."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference import brute_force_huffman_lengths
from w2v_nce.io.encode import encode_corpus
from w2v_nce.model import Model, huffman_tree
from w2v_nce.vocab import first_seen


def paths(counts):
    points, codes, lengths = huffman_tree(np.sort(np.asarray(counts))[::-1])
    return points, codes, lengths


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=2, max_size=60))
def test_code_lengths_give_the_optimal_expected_length(counts):
    counts = np.sort(np.array(counts, dtype=np.int64))[::-1]
    _, _, lengths = huffman_tree(counts)
    optimal = brute_force_huffman_lengths(counts)
    assert int(counts @ lengths) == int(counts @ optimal)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=2, max_size=40))
def test_codes_are_a_prefix_free_tree_rooted_at_the_last_inner_node(counts):
    points, codes, lengths = paths(counts)
    n = len(counts)
    words = ["".join(str(int(c)) for c in codes[w, : lengths[w]]) for w in range(n)]
    assert len(set(words)) == n
    for a in words:
        for b in words:
            assert a == b or not b.startswith(a)
    assert np.all(points[:, 0] == n - 2)  # every path starts at the root
    for w in range(n):
        assert np.all((points[w, : lengths[w]] >= 0) & (points[w, : lengths[w]] <= n - 2))
        # a parent's index is above its children's: the top rows of syn1 are the
        # root's end of every path (what the kernel's private rows rely on)
        assert np.all(np.diff(points[w, : lengths[w]]) < 0)
    # The same prefix of codes always reaches the same inner node.
    node_of = {}
    for w in range(n):
        for d in range(lengths[w]):
            prefix = words[w][:d]
            assert node_of.setdefault(prefix, points[w, d]) == points[w, d]


def test_ties_follow_word2vec_c():
    """Four equal counts: word2vec.c merges leaves 3+2, then 1+0, then the two inner nodes;
    on a tie it takes the inner node, and the second of a pair gets code 1."""
    points, codes, lengths = huffman_tree(np.array([1, 1, 1, 1]))
    assert lengths.tolist() == [2, 2, 2, 2]
    assert points.tolist() == [[2, 1], [2, 1], [2, 0], [2, 0]]
    assert codes.tolist() == [[1, 1], [1, 0], [0, 1], [0, 0]]
    # A dominant word sits next to the root.
    _, _, lengths = huffman_tree(np.array([100, 3, 2, 1]))
    assert lengths.tolist() == [1, 2, 3, 3]


def test_ties_enter_the_tree_in_order_of_first_appearance():
    """word2vec.c's order of equal counts (its stable qsort): the word seen first in the
    corpus. The tree is word2vec.c's over that order, its rows back in vocabulary order."""
    # counted words 0..6 in order of first appearance; the rule kept 5 of them
    to_vocab = np.array([4, -1, 2, 3, 0, -1, 1], dtype=np.int32)
    assert first_seen(to_vocab, 6).tolist() == [4, 6, 2, 3, 0, 7 + 5]  # word 5 not counted
    counts = np.array([9, 2, 2, 2, 2, 1], dtype=np.int64)
    order = np.array([0, 4, 2, 3, 1, 5])  # count descending, ties as first seen
    points, codes, lengths = huffman_tree(counts, first_seen(to_vocab, 6))
    plain = huffman_tree(counts[order])
    for got, want in zip((points, codes, lengths), plain, strict=True):
        assert np.array_equal(got[order], want)
    # word 1, seen last of the ties, is now the rarest leaf's sibling (word 4 was)
    assert not np.array_equal(codes, huffman_tree(counts)[1])


@pytest.mark.parametrize("workers", [1, 3])
def test_the_encoder_ranks_words_by_their_first_position_in_the_corpus(tmp_path, workers):
    """The first pass's word order is the corpus's order of first appearance, also when
    byte ranges are counted by several threads and merged: the ranks sort the words as
    their first positions in the id file do (a plain NumPy reference)."""
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(rng.choice(words, size=12)) for _ in range(2000)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n")
    with encode_corpus(path, min_count=3, workers=workers) as encoded:
        ids = np.asarray(encoded.ids()[:])
        vocab_size = len(encoded.vocab)
        position = np.array([np.flatnonzero(ids == w)[0] for w in range(vocab_size)])
        assert np.array_equal(np.argsort(encoded.first_seen), np.argsort(position))
        # not the vocabulary's order (count descending, ties by the word)
        assert not np.array_equal(np.argsort(position), np.arange(vocab_size))


def test_a_vocabulary_of_one_word_has_no_inner_node():
    points, codes, lengths = huffman_tree(np.array([7]))
    assert points.shape == (1, 0) and lengths.tolist() == [0]


@pytest.mark.parametrize("vocab_size", [2, 3, 17, 300])
def test_hs_probabilities_sum_to_one_for_every_word(vocab_size):
    rng = np.random.default_rng(vocab_size)
    counts = np.sort(rng.integers(1, 1000, size=vocab_size))[::-1]
    tree = huffman_tree(counts)
    model = Model(
        [f"w{i}" for i in range(vocab_size)],
        counts,
        rng.normal(scale=2, size=(vocab_size, 8)).astype(np.float32),
        rng.normal(scale=2, size=(vocab_size - 1, 8)).astype(np.float32),
        {"loss": "hs", "base": "none"},
        tree,
    )
    rows = np.arange(vocab_size)
    total = np.exp(model.scores(rows)).sum(axis=1)
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    np.testing.assert_allclose(model.log_partition(rows), 0.0, atol=1e-12)
    # pair_scores is the same log p(c|w) as the full rows.
    w, c = rng.integers(0, vocab_size, size=(2, 50))
    np.testing.assert_allclose(model.pair_scores(w, c), model.scores(rows)[w, c], rtol=1e-12)
