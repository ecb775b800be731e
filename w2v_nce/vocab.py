"""Vocabulary: which words are kept, in which order -- decided here and nowhere else.

Every :class:`Vocabulary` is sorted by count descending, ties broken by the word
itself, so the order never depends on hashing or on the order words first appear.
The encoder (:func:`w2v_nce.io.encode.encode_corpus`) counts the distinct words of a
corpus and hands them to a *rule*, which returns the vocabulary and the map from
the encoder's provisional word ids to vocabulary ids (-1: the word is dropped):

* :class:`Fresh` -- a new vocabulary: ``--min-count`` drops rare words (as word2vec
  and gensim do: a word needs at least min_count occurrences), ``--max-vocab`` then
  keeps only the most frequent.
* :class:`Fixed` -- a given vocabulary, unchanged (a held-out or evaluation corpus
  counted against a model's words).
* :class:`Merged` -- continued training: a model's vocabulary with this corpus's
  counts added, and with ``update`` this corpus's frequent new words.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from w2v_nce.errors import UserError


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


def first_seen(to_vocab: np.ndarray, n_words: int) -> np.ndarray:
    """int64 per vocabulary word: a rank of its first appearance in the corpus, from a
    rule's map (counted word → vocabulary id, −1 dropped) without reading the corpus
    again. The encoder's word table numbers words as it meets them, and the tables of a
    file's byte ranges (and Dask's pieces) merge in corpus order, so the counted words
    come in order of first appearance and a word's index among them ranks it. A word the
    corpus does not have (a rule that keeps a given vocabulary) comes after all that it
    does. hs's Huffman tree takes words of equal count in this order, as word2vec.c's."""
    kept = np.flatnonzero(to_vocab >= 0)
    ranks = len(to_vocab) + np.arange(n_words, dtype=np.int64)
    ranks[to_vocab[kept]] = kept
    return ranks


class VocabularyRule(Protocol):
    def __call__(
        self, words: list[str], counts: np.ndarray, name: str
    ) -> tuple[Vocabulary, np.ndarray]:
        """The vocabulary for a corpus (``name``, for messages) with these distinct
        ``words`` and ``counts``, and the int32 map from each word's index to its
        vocabulary id, -1 for a dropped word."""


def select_vocabulary(
    words: list[str], counts: np.ndarray, min_count: int, max_vocab: int | None
) -> tuple[Vocabulary, np.ndarray]:
    """Choose the vocabulary from all distinct ``words`` and their ``counts``.

    Returns the vocabulary and the indices (into ``words``) of the kept words in
    vocabulary order, so a caller can map its provisional ids to final ones.
    Sorts every candidate: :func:`choose_vocabulary` is the fast equivalent.
    """
    counts = np.asarray(counts, dtype=np.int64)
    candidates = np.flatnonzero(counts >= min_count)
    order = _by_count_then_word(words, counts, candidates)
    if max_vocab is not None:
        order = order[:max_vocab]
    return Vocabulary([words[i] for i in order.tolist()], counts[order]), order


def most_frequent(
    words: list[str], counts: np.ndarray, candidates: np.ndarray, limit: int | None
) -> np.ndarray:
    """The ``limit`` (all if None) ``candidates`` counted most often, ties by the word,
    in that order.

    Only the words that will be kept are sorted, not every candidate: those counted
    more often than the ``limit``-th most frequent one, completed by the
    alphabetically first of those counted exactly as often (the same choice as
    sorting them all, fast for millions of distinct words).
    """
    if limit == 0:
        return np.zeros(0, dtype=np.int64)
    if limit is not None and candidates.size > limit:
        cut = candidates.size - limit
        cutoff = np.partition(counts[candidates], cut)[cut]
        above = candidates[counts[candidates] > cutoff]
        # Of the words counted exactly `cutoff` times (often millions of words seen
        # once), the alphabetically first ones complete the vocabulary.
        ties = candidates[counts[candidates] == cutoff].tolist()
        first = heapq.nsmallest(limit - above.size, ties, key=words.__getitem__)
        del ties
        candidates = np.concatenate([above, np.array(first, dtype=np.int64)])
    return _by_count_then_word(words, counts, candidates)


def choose_vocabulary(
    words: list[str], counts: np.ndarray, min_count: int, max_vocab: int | None, name: str
) -> tuple[Vocabulary, np.ndarray]:
    """:func:`select_vocabulary`, fast for millions of distinct words, or a UserError
    naming the corpus ``name`` when no word is counted ``min_count`` times."""
    counts = np.asarray(counts, dtype=np.int64)
    kept = most_frequent(words, counts, np.flatnonzero(counts >= min_count), max_vocab)
    if kept.size == 0:
        raise UserError(
            f"{name}: no word occurs at least --min-count {min_count} times "
            f"({len(words):,} distinct words, most frequent {int(counts.max())} times); "
            "lower --min-count"
        )
    return Vocabulary([words[i] for i in kept.tolist()], counts[kept]), kept


def kept_counts(counts: np.ndarray, min_count: int, max_vocab: int | None) -> np.ndarray:
    """The counts (in no particular order) of the words :class:`Fresh` would keep."""
    counts = np.asarray(counts, dtype=np.int64)
    kept = counts[counts >= min_count]
    if max_vocab is not None and kept.size > max_vocab:
        kept = np.partition(kept, kept.size - max_vocab)[kept.size - max_vocab :]
    return kept


@dataclass(frozen=True)
class Fresh:
    """A new vocabulary: words counted at least ``min_count`` times, at most
    ``max_vocab`` of them (the most frequent, ties by the word)."""

    min_count: int = 5
    max_vocab: int | None = None

    def __call__(self, words, counts, name):
        vocab, kept = choose_vocabulary(words, counts, self.min_count, self.max_vocab, name)
        return vocab, _mapping(len(words), kept)


@dataclass(frozen=True)
class Fixed:
    """The vocabulary ``base`` itself (same words, order and counts); other words are dropped."""

    base: Vocabulary

    def __call__(self, words, counts, name):
        return _copy(self.base), _positions(self.base.words, words)


@dataclass(frozen=True)
class Merged:
    """Continued training on top of ``base``.

    Every base word is kept, its count the base count plus its count in this corpus.
    With ``update``, words of this corpus not in ``base`` that occur in it at least
    ``min_count`` times are added, most frequent first (ties by the word), while the
    vocabulary has fewer than ``max_vocab`` words. The result is sorted by the summed
    counts like any vocabulary.
    """

    base: Vocabulary
    update: bool = False
    min_count: int = 5
    max_vocab: int | None = None

    def __call__(self, words, counts, name):
        counts = np.asarray(counts, dtype=np.int64)
        base = self.base
        position = _positions(base.words, words)
        known = position >= 0
        summed = np.asarray(base.counts, dtype=np.int64).copy()
        summed[position[known]] += counts[known]
        new = np.zeros(0, dtype=np.int64)
        if self.update:
            room = None if self.max_vocab is None else max(self.max_vocab - len(base), 0)
            candidates = np.flatnonzero(~known & (counts >= self.min_count))
            new = most_frequent(words, counts, candidates, room)
        all_words = list(base.words) + [words[i] for i in new.tolist()]
        all_counts = np.concatenate([summed, counts[new]])
        order = _by_count_then_word(all_words, all_counts, np.arange(len(all_words)))
        final_id = np.empty(len(all_words), dtype=np.int32)
        final_id[order] = np.arange(len(order), dtype=np.int32)
        mapping = np.full(len(words), -1, dtype=np.int32)
        mapping[known] = final_id[position[known]]
        mapping[new] = final_id[len(base) :]
        return Vocabulary([all_words[i] for i in order.tolist()], all_counts[order]), mapping


def _by_count_then_word(words: list[str], counts: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``indices`` sorted by count descending, then by word.

    Sorted by word first (a C-level key: no Python call per comparison), then by
    count with a stable sort, which keeps the words of equal count in order.
    """
    by_word = np.array(sorted(indices.tolist(), key=words.__getitem__), dtype=np.int64)
    return by_word[np.argsort(-np.asarray(counts)[by_word], kind="stable")]


def _mapping(n_words: int, kept: np.ndarray) -> np.ndarray:
    """Word index -> vocabulary id for a vocabulary of ``kept`` (indices, in order)."""
    mapping = np.full(n_words, -1, dtype=np.int32)
    mapping[kept] = np.arange(kept.size, dtype=np.int32)
    return mapping


def _positions(vocabulary: list[str], words: list[str]) -> np.ndarray:
    """The index of each of ``words`` in ``vocabulary``, -1 where absent (int32)."""
    index = {word: i for i, word in enumerate(vocabulary)}
    return np.fromiter((index.get(w, -1) for w in words), dtype=np.int32, count=len(words))


def _copy(vocab: Vocabulary) -> Vocabulary:
    return Vocabulary(list(vocab.words), np.array(vocab.counts, dtype=np.int64))
