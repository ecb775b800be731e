"""Nearest neighbours and analogies by cosine similarity, following gensim.

``Neighbours.most_similar`` reproduces gensim's ``KeyedVectors.most_similar``
(3CosAdd): the query is the mean of the unit vectors of the positive words and
the negated unit vectors of the negative words, normalised; every word is scored
by its cosine with it, and the query words themselves are never returned.

Unlike gensim, words whose vector is all zeros are never returned either: their
cosine with anything is undefined (gensim reports 0.0, which ranks them above
every word with a negative cosine), and as a query word they are an error.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from w2v_nce.errors import UsageError

SCORE_CELLS = 1 << 24  # float64 cells of a block of scores held at a time

# Same cutoff as difflib.get_close_matches' default.
_CLOSE_MATCH_CUTOFF = 0.6


def loose_key(word: str) -> str:
    """``word`` compared without case or accents: "Café" and "CAFE" both give "cafe".

    NFKD splits accented letters into letter + combining mark (and compatibility
    forms such as "ﬁ" into "fi"); the marks are dropped and the rest casefolded,
    then decomposed again because casefolding can produce new decomposable letters.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", word).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


class Neighbours:
    """Cosine nearest-neighbour queries over a fixed vocabulary.

    ``words`` are the row labels of ``vectors`` (V x D); if a word is repeated the
    first row wins, as in gensim. ``zero_vectors`` counts the all-zero rows, which
    are left out of every result.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, oov=None):
        """``oov(words)``: the vectors of query words out of the vocabulary (a subword
        model's, from their n-grams); without it such a word is an error."""
        self.oov = oov
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        self.words = list(words)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.zero = norms[:, 0] == 0
        self.zero_vectors = int(self.zero.sum())
        # Zero rows stay zero instead of becoming NaN.
        self.unit = np.ascontiguousarray(vectors / np.where(self.zero[:, None], 1, norms))
        self.index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            self.index.setdefault(word, i)

    @cached_property
    def _by_loose_key(self) -> dict[str, list[str]]:
        """:func:`loose_key` -> its words in vocabulary order; built on the first miss."""
        groups: dict[str, list[str]] = {}
        for word in self.index:
            groups.setdefault(loose_key(word), []).append(word)
        return groups

    def close_matches(self, word: str, n: int = 3) -> list[str]:
        """Up to ``n`` vocabulary words ``word`` may have meant, best first.

        First the words equal to it but for case and accents ("THE" -> "the",
        "naive" -> "naïve"), in vocabulary order; then words similar in spelling
        (difflib ratio >= 0.6); no word twice.
        """
        matches = [w for w in self._by_loose_key.get(loose_key(word), []) if w != word][:n]
        for close in difflib.get_close_matches(word, self.index, n=n, cutoff=_CLOSE_MATCH_CUTOFF):
            if len(matches) == n:
                break
            if close not in matches:
                matches.append(close)
        return matches

    def _lookup(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            pass
        matches = self.close_matches(word)
        hint = f"close matches: {', '.join(matches)}" if matches else "no close matches"
        # repr() keeps the message on one line whatever the word contains.
        raise UsageError(f"{word!r} is not in the vocabulary ({len(self.words):,} words); {hint}")

    def out_of_vocabulary(self, words: Iterable[str]) -> list[str]:
        """The query words that get a vector from their n-grams (none without ``oov``)."""
        if self.oov is None:
            return []
        return [word for word in dict.fromkeys(words) if word not in self.index]

    def oov_note(self, words: Iterable[str]) -> str | None:
        """The note that query words were out of the vocabulary (None if none was)."""
        missing = self.out_of_vocabulary(words)
        if not missing:
            return None
        return (
            f"not in the vocabulary: {', '.join(map(repr, missing))}; "
            f"{'its vector is' if len(missing) == 1 else 'their vectors are'} the mean of "
            "the n-grams' vectors (--subwords)"
        )

    def _query_unit(self, word: str) -> tuple[np.ndarray, int | None]:
        """A query word's unit vector and its row (None: out of the vocabulary, its
        vector from its n-grams)."""
        if word in self.index or self.oov is None:
            row = self._query_row(word)
            return self.unit[row], row
        vector = np.asarray(self.oov([word])[0], dtype=np.float32)
        norm = np.linalg.norm(vector)
        if norm == 0:
            raise UsageError(
                f"{word!r} is not in the vocabulary and none of its n-grams is in the "
                "model, so it has no vector; ask about another word"
            )
        return vector / norm, None

    def _query_row(self, word: str) -> int:
        row = self._lookup(word)
        if self.zero[row]:
            raise UsageError(
                f"the vector of {word!r} is all zeros, so its cosine with any word is "
                "undefined; ask about another word"
            )
        return row

    def most_similar(
        self,
        positive: Iterable[str] | str,
        negative: Iterable[str] | str = (),
        topn: int = 10,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words most similar to ``positive - negative``, best first.

        Returns ``(word, cosine similarity)`` pairs, excluding the query words and
        the words with a zero vector. Raises :class:`UsageError` for unknown
        words, query words with a zero vector, no words at all, or ``topn < 1``.
        """
        positive, negative = words_of(positive, "positive"), words_of(negative, "negative")
        if not positive and not negative:
            raise UsageError("give at least one word to compare against")
        if isinstance(topn, bool) or not isinstance(topn, int | np.integer) or topn < 1:
            raise UsageError(f"topn must be a whole number of at least 1, got {topn!r}")
        if len(self.words) < 2:
            raise UsageError(
                f"the vocabulary has {len(self.words)} word(s): there is no other word to "
                "compare with; train on a bigger corpus (or lower --min-count)"
            )
        pos = [self._query_unit(w) for w in positive]
        neg = [self._query_unit(w) for w in negative]
        pos_ids = {row for _, row in pos if row is not None}
        neg_ids = {row for _, row in neg if row is not None}
        shared = {self.words[i] for i in pos_ids & neg_ids}
        shared |= set(self.out_of_vocabulary(positive)) & set(negative)
        if shared:
            raise UsageError(
                f"{', '.join(map(repr, sorted(shared)))} is both a positive and a negative "
                "word: they cancel out and every cosine would be 0; give it once"
            )

        # float32 throughout, like gensim, so the scores agree to ~1e-7.
        dim = self.unit.shape[1]
        summed = [np.array([u for u, _ in q], np.float32).reshape(-1, dim).sum(axis=0)
                  for q in (pos, neg)]  # fmt: skip
        mean = summed[0] - summed[1]
        mean /= len(pos) + len(neg)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean /= norm
        scores = self.unit @ mean.astype(np.float32)
        scores[self.zero] = -np.inf  # ranked last, then dropped below

        exclude = pos_ids | neg_ids
        # Enough candidates that topn survive removing the query words.
        k = min(topn + len(exclude), len(scores))
        if k < len(scores):
            candidates = np.argpartition(-scores, k - 1)[:k]
        else:
            candidates = np.arange(len(scores))
        # Sort by descending score, ties by index, so results are deterministic.
        order = candidates[np.lexsort((candidates, -scores[candidates]))]
        result = [
            (self.words[i], float(scores[i]))
            for i in order
            if i not in exclude and not self.zero[i]
        ]
        return result[:topn]

    def analogy(self, a: str, b: str, c: str, topn: int = 10) -> list[tuple[str, float]]:
        """``a`` is to ``b`` as ``c`` is to ...? (``b - a + c``, gensim's 3CosAdd)."""
        return self.most_similar(positive=[b, c], negative=[a], topn=topn)


def words_of(value, what: str) -> list[str]:
    """A query's words: one str, or an iterable of str (a UsageError for anything else)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or isinstance(value, bytes):
        raise UsageError(f"{what}: give a word (str) or a list of words, not {a_type(value)}")
    words = list(value)
    for word in words:
        if not isinstance(word, str):
            raise UsageError(f"{what}: every word must be a str, not {a_type(word)} ({word!r})")
    return words


def a_type(value) -> str:
    """ "an int", "a list": the type of ``value`` for a message."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
