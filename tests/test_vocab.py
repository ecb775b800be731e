"""The vocabulary rules (w2v_nce.vocab): which words are kept, in which order."""

import numpy as np
import pytest

from w2v_nce.errors import UserError
from w2v_nce.vocab import (
    Fixed,
    Fresh,
    Merged,
    Vocabulary,
    choose_vocabulary,
    kept_counts,
    select_vocabulary,
)


def test_vocabulary_sorted_by_count_then_word_and_cut():
    words = ["pear", "apple", "fig", "kiwi", "date"]
    counts = np.array([3, 5, 3, 1, 5])
    vocab, kept = select_vocabulary(words, counts, min_count=2, max_vocab=None)
    assert vocab.words == ["apple", "date", "fig", "pear"]
    assert vocab.counts.tolist() == [5, 5, 3, 3]
    assert [words[i] for i in kept] == vocab.words
    assert select_vocabulary(words, counts, 2, 3)[0].words == ["apple", "date", "fig"]
    assert vocab.total == 16


@pytest.mark.parametrize("seed", range(20))
def test_choose_vocabulary_with_a_cut_equals_sorting_everything(seed):
    """The partial sort under --max-vocab keeps exactly the words a full sort keeps,
    ties at the cut broken by the word (many words share the smallest counts)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    words = [f"w{i:03d}{chr(97 + int(rng.integers(26)))}" for i in rng.permutation(n)]
    counts = rng.geometric(0.4, size=n)
    min_count = int(rng.integers(1, 4))
    max_vocab = int(rng.integers(1, n + 5))
    expected, expected_kept = select_vocabulary(words, counts, min_count, max_vocab)
    if len(expected) == 0:
        with pytest.raises(UserError, match="no word occurs at least --min-count"):
            choose_vocabulary(words, counts, min_count, max_vocab, "c.txt")
        return
    vocab, kept = choose_vocabulary(words, counts, min_count, max_vocab, "c.txt")
    assert vocab.words == expected.words
    assert vocab.counts.tolist() == expected.counts.tolist()
    assert kept.tolist() == expected_kept.tolist()
    # kept_counts (for `w2v-nce vocab`) gives the counts of the same words.
    assert sorted(kept_counts(counts, min_count, max_vocab).tolist()) == sorted(
        expected.counts.tolist()
    )


def test_ties_are_broken_by_code_point_order():
    words = ["b", "é", "a", "Z", "日", "ab"]
    vocab, _ = choose_vocabulary(words, np.ones(6), 1, None, "c")
    assert vocab.words == sorted(words)


WORDS = ["the", "cat", "sat", "mat", "dog", "ran"]
COUNTS = np.array([10, 4, 4, 3, 1, 2])


def test_fresh_is_min_count_then_max_vocab():
    vocab, mapping = Fresh(min_count=2, max_vocab=3)(WORDS, COUNTS, "c.txt")
    assert vocab.words == ["the", "cat", "sat"]
    assert vocab.counts.tolist() == [10, 4, 4]
    assert mapping.tolist() == [0, 1, 2, -1, -1, -1]
    with pytest.raises(UserError, match="c.txt: no word occurs at least --min-count 11 times"):
        Fresh(min_count=11)(WORDS, COUNTS, "c.txt")


def test_fixed_keeps_the_base_exactly():
    base = Vocabulary(["zebra", "cat", "the"], np.array([100, 50, 7]))
    vocab, mapping = Fixed(base)(WORDS, COUNTS, "held-out.txt")
    assert vocab.words == ["zebra", "cat", "the"]  # its order, not this corpus's counts
    assert vocab.counts.tolist() == [100, 50, 7]
    assert mapping.tolist() == [2, 1, -1, -1, -1, -1]
    assert vocab.words is not base.words  # a copy: changing it leaves the model alone


def test_merged_sums_counts_and_resorts():
    base = Vocabulary(["dog", "cow"], np.array([5, 4]))
    vocab, mapping = Merged(base, update=False)(WORDS, COUNTS, "more.txt")
    # dog: 5 + 1, cow: 4 + 0; nothing new without update.
    assert vocab.words == ["dog", "cow"] and vocab.counts.tolist() == [6, 4]
    assert mapping.tolist() == [-1, -1, -1, -1, 0, -1]


def test_merged_update_adds_frequent_new_words_by_this_corpus_count():
    base = Vocabulary(["dog", "cow"], np.array([5, 4]))
    vocab, mapping = Merged(base, update=True, min_count=3)(WORDS, COUNTS, "more.txt")
    # New words with >= 3 occurrences here: the 10, cat 4, sat 4, mat 3; ran (2) is not.
    assert vocab.words == ["the", "dog", "cat", "cow", "sat", "mat"]
    assert vocab.counts.tolist() == [10, 6, 4, 4, 4, 3]
    assert [vocab.words[i] if i >= 0 else None for i in mapping] == [
        "the", "cat", "sat", "mat", "dog", None,
    ]  # fmt: skip


def test_merged_max_vocab_keeps_every_base_word_and_fills_up_by_count():
    base = Vocabulary(["dog", "cow", "emu"], np.array([5, 4, 1]))
    vocab, _ = Merged(base, update=True, min_count=1, max_vocab=5)(WORDS, COUNTS, "m")
    # Room for two new words: the (10), then cat and sat tie at 4 -> cat by the word.
    assert vocab.words == ["the", "dog", "cat", "cow", "emu"]
    assert vocab.counts.tolist() == [10, 6, 4, 4, 1]
    small, _ = Merged(base, update=True, min_count=1, max_vocab=2)(WORDS, COUNTS, "m")
    assert small.words == ["dog", "cow", "emu"]  # base words are never dropped


def test_merged_base_word_counted_in_the_corpus_is_not_added_twice():
    base = Vocabulary(["cat"], np.array([1]))
    vocab, mapping = Merged(base, update=True, min_count=1)(WORDS, COUNTS, "m")
    assert vocab.words.count("cat") == 1
    assert vocab.counts[vocab.words.index("cat")] == 5
    assert len(vocab) == len(WORDS) and sorted(mapping.tolist()) == list(range(len(WORDS)))
