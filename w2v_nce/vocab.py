"""Vocabulary: which words are kept, in which order.

Sorted by count descending, ties broken by the word itself, so the order never
depends on hashing or on the order words first appear. ``--min-count`` drops rare
words (as word2vec and gensim do: a word needs at least min_count occurrences),
``--max-vocab`` then keeps only the most frequent.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Vocabulary:
    words: list[str]
    counts: np.ndarray  # int64, descending

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total(self) -> int:
        """Occurrences of kept words in the corpus (word2vec's train_words)."""
        return int(self.counts.sum())


def select_vocabulary(
    words: list[str], counts: np.ndarray, min_count: int, max_vocab: int | None
) -> tuple[Vocabulary, np.ndarray]:
    """Choose the vocabulary from all distinct ``words`` and their ``counts``.

    Returns the vocabulary and the indices (into ``words``) of the kept words in
    vocabulary order, so a caller can map its provisional ids to final ones.
    """
    counts = np.asarray(counts, dtype=np.int64)
    candidates = np.flatnonzero(counts >= min_count)
    order = sorted(candidates.tolist(), key=lambda i: (-int(counts[i]), words[i]))
    if max_vocab is not None:
        order = order[:max_vocab]
    kept = np.array(order, dtype=np.int64)
    return Vocabulary([words[i] for i in order], counts[kept]), kept
