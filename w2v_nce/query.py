"""Nearest neighbours and analogies by cosine similarity, following gensim.

``Neighbours.most_similar`` reproduces gensim's ``KeyedVectors.most_similar``
(3CosAdd): the query is the mean of the unit vectors of the positive words and
the negated unit vectors of the negative words, normalised; every word is scored
by its cosine with it, and the query words themselves are never returned.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np

from .errors import UsageError

# Same cutoff as difflib.get_close_matches' default.
_CLOSE_MATCH_CUTOFF = 0.6


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; all-zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    safe = np.where(norms > 0, norms, 1).astype(np.float32)
    return np.ascontiguousarray(vectors / safe, dtype=np.float32)


class Neighbours:
    """Cosine nearest-neighbour queries over a fixed vocabulary.

    ``words`` are the row labels of ``vectors`` (V x D); if a word is repeated the
    first row wins, as in gensim.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        self.words = list(words)
        self.unit = _unit_rows(vectors)
        self.index: dict[str, int] = {}
        for i, word in enumerate(self.words):
            self.index.setdefault(word, i)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def close_matches(self, word: str, n: int = 3) -> list[str]:
        """Up to ``n`` vocabulary words similar in spelling (difflib ratio >= 0.6)."""
        return difflib.get_close_matches(word, self.index, n=n, cutoff=_CLOSE_MATCH_CUTOFF)

    def _lookup(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            pass
        matches = self.close_matches(word)
        hint = f"close matches: {', '.join(matches)}" if matches else "no close matches"
        # repr() keeps the message on one line whatever the word contains.
        raise UsageError(f"{word!r} is not in the vocabulary ({len(self.words):,} words); {hint}")

    def most_similar(
        self,
        positive: Iterable[str] | str,
        negative: Iterable[str] | str = (),
        topn: int = 10,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words most similar to ``positive - negative``, best first.

        Returns ``(word, cosine similarity)`` pairs, excluding the query words.
        Raises :class:`UsageError` for unknown words, no words at all, or
        ``topn < 1``.
        """
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise UsageError("give at least one word to compare against")
        if topn < 1:
            raise UsageError(f"topn must be at least 1, got {topn}")
        pos_ids = [self._lookup(w) for w in positive]
        neg_ids = [self._lookup(w) for w in negative]

        # float32 throughout, like gensim, so the scores agree to ~1e-7.
        mean = self.unit[pos_ids].sum(axis=0) - self.unit[neg_ids].sum(axis=0)
        mean /= len(pos_ids) + len(neg_ids)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean /= norm
        scores = self.unit @ mean.astype(np.float32)

        exclude = set(pos_ids) | set(neg_ids)
        # Enough candidates that topn survive removing the query words.
        k = min(topn + len(exclude), len(scores))
        if k < len(scores):
            candidates = np.argpartition(-scores, k - 1)[:k]
        else:
            candidates = np.arange(len(scores))
        # Sort by descending score, ties by index, so results are deterministic.
        order = candidates[np.lexsort((candidates, -scores[candidates]))]
        result = [(self.words[i], float(scores[i])) for i in order if i not in exclude]
        return result[:topn]

    def analogy(self, a: str, b: str, c: str, topn: int = 10) -> list[tuple[str, float]]:
        """``a`` is to ``b`` as ``c`` is to ...? (``b - a + c``, gensim's 3CosAdd)."""
        return self.most_similar(positive=[b, c], negative=[a], topn=topn)
