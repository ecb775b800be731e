"""Word similarity and analogy scores with gensim's conventions, vectorised.

The numbers must equal ``KeyedVectors.evaluate_word_pairs`` and
``evaluate_word_analogies`` on the same vectors, so their rules are copied:

* words are compared upper-cased, and a case-folded word maps to the *first*
  (most frequent) vocabulary entry with that folding;
* only the first ``restrict_vocab`` words count as known (300,000 for pairs,
  30,000 for analogies, the latter as in word2vec's compute-accuracy);
* a pair or question with an unknown word is skipped and counted as OOV -- except
  that with ``oov`` (a subword model's vectors from n-grams, :meth:`Model.vectors_of`)
  an unknown word of a pair, or a question's a, b or c, gets the vector of its
  lower-cased form (the answer d must still be among the words searched);
  malformed lines (wrong number of fields, a similarity that is not a number)
  and, in pair files, lines starting with ``#`` are skipped without counting;
* 3CosAdd: the answer is the first of the five words with the highest cosine to
  unit(b) − unit(a) + unit(c), normalised, among the restricted vocabulary
  minus a, b and c, whose case-folding is not one of a, b, c.

gensim answers one analogy question at a time with a 30,000 × d matrix-vector
product; here the questions go through in batches of matrix-matrix products
(on the demo model: 25 s in gensim, under 2 s here). The only difference is
rounding (cosines of pairs are computed in float64, gensim's in float32), so a
tie between candidates that agree to float32 precision could resolve
differently.

Where gensim reports a percentage of OOV we report a fraction, and where it
would raise (no pair in the vocabulary) or report 0.0 (no question in the
vocabulary) the score is ``None``: undefined, not zero.
"""

from __future__ import annotations

import importlib.util
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from w2v_nce.errors import UserError
from w2v_nce.evaluation import bootstrap
from w2v_nce.evaluation.bootstrap import RESAMPLES, SEED
from w2v_nce.evaluation.stats import spearman

PAIRS_RESTRICT = 300_000  # gensim's default for evaluate_word_pairs
ANALOGY_RESTRICT = 30_000
_ANALOGY_BATCH = 512  # questions scored per matrix product
_ANALOGY_CANDIDATES = 5  # gensim's most_similar(topn=5)


def gensim_data(name: str) -> str:
    """gensim's ``test.utils.datapath(name)``, found without importing gensim (a second)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("gensim is not installed; it provides the evaluation data sets")
    path = os.path.join(spec.submodule_search_locations[0], "test", "test_data", name)
    if not os.path.isfile(path):
        raise UserError(f"gensim's evaluation file {name} is missing from {path}")
    return path


def folded_index(words: Sequence[str], restrict: int) -> dict[str, int]:
    """Upper-cased word -> index of its first occurrence among the first ``restrict`` words."""
    index: dict[str, int] = {}
    for i, word in enumerate(words[:restrict]):
        index.setdefault(word.upper(), i)
    return index


def with_oov(index: dict[str, int], vectors: np.ndarray, needed, oov):
    """(index, vectors) extended by the words of ``needed`` not in ``index``, their vectors
    ``oov(lower-cased words)`` appended after the vocabulary's rows; unchanged without
    ``oov``. Returns them and how many words were added."""
    missing = [word for word in dict.fromkeys(needed) if word not in index]
    if oov is None or not missing:
        return index, vectors, 0
    extra = np.asarray(oov([word.lower() for word in missing]), dtype=vectors.dtype)
    has = extra.any(axis=1)  # a word none of whose n-grams the model has stays unknown
    missing, extra = [word for word, ok in zip(missing, has, strict=True) if ok], extra[has]
    index = {**index, **{word: len(vectors) + i for i, word in enumerate(missing)}}
    return index, np.vstack([vectors, extra]), len(missing)


class _ItemScores(ABC):
    """Bootstrap intervals over a data set's items, shared by PairsScore and AnalogyScore.

    ``index`` says which item (position in the file's valid lines) each scored item
    is, so that :func:`bootstrap.resample_indices` over all ``items`` -- answered or
    not -- gives two models the same resampled lines.
    """

    index: np.ndarray
    skipped: int

    @property
    @abstractmethod
    def value(self) -> float | None:
        """The point estimate."""

    @property
    def items(self) -> int:
        """Valid lines in the file, scored or skipped."""
        return self.index.size + self.skipped

    @abstractmethod
    def resampled(self, index: np.ndarray) -> np.ndarray:
        """The score on each row of a (resamples × items) index matrix; NaN where undefined."""

    def interval(self, resamples: int = RESAMPLES, seed: int = SEED) -> list[float] | None:
        """The 95% percentile bootstrap interval of the score; None when the score is."""
        if self.value is None:
            return None
        return bootstrap.interval(self.resampled, self.items, resamples, seed)

    def difference(self, other: _ItemScores, resamples: int = RESAMPLES, seed: int = SEED) -> dict:
        """``{"diff", "ci"}``: this score minus ``other``'s, with the paired interval.

        ``other`` must come from the same file; a score that is None makes both None.
        """
        if self.items != other.items:
            raise ValueError(f"paired scores need the same items ({self.items} vs {other.items})")
        if self.value is None or other.value is None:
            return {"diff": None, "ci": None}
        ci = bootstrap.paired_interval(self.resampled, other.resampled, self.items, resamples, seed)
        return {"diff": self.value - other.value, "ci": ci}

    def _scatter(self, values: np.ndarray, fill) -> np.ndarray:
        """Per-item values for all ``items``, ``fill`` at the unanswered ones."""
        out = np.full(self.items, fill, dtype=values.dtype)
        out[self.index] = values
        return out

    def _known(self) -> np.ndarray:
        out = np.zeros(self.items, dtype=bool)
        out[self.index] = True
        return out


# PairsScore and AnalogyScore declare their fields alike on purpose: each names its own score
# (value) and per-item arrays for the shared bootstrap of _ItemScores.
@dataclass
class PairsScore(_ItemScores):
    spearman: float | None
    oov: float  # fraction of valid lines skipped for an unknown word
    pairs: int  # pairs scored
    skipped: int  # pairs with an unknown word
    # per scored pair: its position in read_pairs(path), human score, cosine
    index: np.ndarray
    gold: np.ndarray
    cosine: np.ndarray

    @property
    def value(self) -> float | None:
        return self.spearman

    def resampled(self, index: np.ndarray) -> np.ndarray:
        gold, cosine = self._scatter(self.gold, np.nan), self._scatter(self.cosine, np.nan)
        return bootstrap.spearman_resampled(gold, cosine, self._known(), index)


def read_pairs(path: str) -> list[tuple[str, str, float]]:
    """The (WORD1, WORD2, similarity) lines of a tab-separated file, upper-cased.

    Blank lines and lines starting with ``#`` are skipped, as gensim skips them
    (its wordsim353.tsv and simlex999.txt start with such comments). Every other
    line must be WORD1<TAB>WORD2<TAB>score with a finite score: gensim silently
    skips a line that is not, so a broken file would be scored as if it were a
    different, smaller one; here it is an error naming the line.
    """
    out = []
    for line_no, line in enumerate(_read_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        where = f"{path}: line {line_no}"
        if len(fields) != 3:
            plural = "" if len(fields) == 1 else "s"
            raise UserError(
                f"{where}: expected WORD1<TAB>WORD2<TAB>score, found {len(fields)} field{plural}"
            )
        a, b, score = fields
        if not a or not b:
            raise UserError(f"{where}: empty word; expected WORD1<TAB>WORD2<TAB>score")
        try:
            similarity = float(score)
        except ValueError:
            similarity = None
        if similarity is None or not np.isfinite(similarity):
            raise UserError(f"{where}: the score {score.strip()!r} is not a finite number")
        out.append((a.upper(), b.upper(), similarity))
    return out


def evaluate_pairs(
    words: Sequence[str], vectors: np.ndarray, path: str, restrict: int = PAIRS_RESTRICT, oov=None
) -> PairsScore:
    """Spearman correlation of cosine similarity with the human scores in ``path``
    (``oov``: vectors for the words out of the vocabulary, see the module docstring)."""
    pairs = read_pairs(path)
    index, vectors, _ = with_oov(
        folded_index(words, restrict), vectors, [w for a, b, _ in pairs for w in (a, b)], oov
    )
    items, gold, left, right = [], [], [], []
    skipped = 0
    for item, (a, b, sim) in enumerate(pairs):
        if a not in index or b not in index:
            skipped += 1
            continue
        items.append(item)
        gold.append(sim)
        left.append(index[a])
        right.append(index[b])
    total = len(gold) + skipped
    oov = skipped / total if total else 1.0
    items, gold = np.asarray(items, dtype=np.int64), np.asarray(gold, dtype=np.float64)
    if not gold.size:
        return PairsScore(None, oov, 0, skipped, items, gold, gold)
    vectors = np.asarray(vectors, dtype=np.float64)
    x, y = vectors[left], vectors[right]
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.einsum("ij,ij->i", x, y) / (
            np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
        )
    return PairsScore(spearman(gold, cosine), oov, len(gold), skipped, items, gold, cosine)


@dataclass
class AnalogyScore(_ItemScores):
    accuracy: float | None
    oov: float  # fraction of questions skipped for an unknown word
    correct: int
    questions: int  # questions answered
    skipped: int
    # per answered question: its position in read_analogies(path), answered right
    index: np.ndarray
    hits: np.ndarray

    @property
    def value(self) -> float | None:
        return self.accuracy

    def resampled(self, index: np.ndarray) -> np.ndarray:
        return bootstrap.mean_resampled(self._scatter(self.hits, False), self._known(), index)


def read_analogies(path: str) -> list[tuple[str, str, str, str]]:
    """The upper-cased questions of a ``questions-words.txt``-style file.

    Every line is a section header ``: name`` or four words ``A B C D`` (A is to B
    as C is to D), and a header comes first; blank lines are skipped. gensim
    silently skips a line of another number of words, which would score a broken
    file as if it were a smaller one; here it is an error naming the line.
    """
    out = []
    seen_section = False
    # gensim reads this file in binary and splits lines at "\n" only.
    for line_no, line in enumerate(_read_lines(path, newline="\n"), start=1):
        if line.startswith(": "):
            seen_section = True
            continue
        fields = line.split()
        if not fields:
            continue
        if not seen_section:
            raise UserError(
                f"{path}: line {line_no}: expected a section header ': name' before the "
                "first question (the questions-words.txt format)"
            )
        if len(fields) != 4:
            plural = "" if len(fields) == 1 else "s"
            raise UserError(
                f"{path}: line {line_no}: expected a section header ': name' or four words "
                f"A B C D (A is to B as C is to D), found {len(fields)} word{plural}"
            )
        out.append(tuple(word.upper() for word in fields))
    return out


def evaluate_analogies(
    words: Sequence[str],
    vectors: np.ndarray,
    path: str,
    restrict: int = ANALOGY_RESTRICT,
    oov=None,
) -> AnalogyScore:
    """3CosAdd accuracy over the first ``restrict`` words (see the module docstring;
    ``oov``: vectors for a question's a, b and c out of the vocabulary)."""
    quads = read_analogies(path)
    searched_index = folded_index(words, restrict)
    index, vectors, _ = with_oov(
        searched_index, vectors, [w for quad in quads for w in quad[:3]], oov
    )
    questions, items = [], []
    skipped = 0
    for item, quad in enumerate(quads):
        if all(word in index for word in quad[:3]) and quad[3] in searched_index:
            questions.append(quad)
            items.append(item)
        else:
            skipped += 1
    total = len(questions) + skipped
    oov = skipped / total if total else 1.0
    items = np.asarray(items, dtype=np.int64)
    if not questions:
        return AnalogyScore(None, oov, 0, 0, skipped, items, np.zeros(0, dtype=bool))
    rows = min(restrict, len(words))
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = vectors / norms[:, None]
    searched = vectors[:rows]
    folded = [word.upper() for word in words[:rows]]
    ids = np.array([[index[w] for w in quad] for quad in questions], dtype=np.int64)
    hits = []
    for lo in range(0, len(questions), _ANALOGY_BATCH):
        batch = ids[lo : lo + _ANALOGY_BATCH]
        best = _best_candidates(batch, unit, searched, norms[:rows])
        for quad, candidates in zip(questions[lo : lo + _ANALOGY_BATCH], best, strict=True):
            hits.append(_answer(candidates, folded, quad) == quad[3])
    hits = np.array(hits, dtype=bool)
    correct = int(hits.sum())
    return AnalogyScore(
        correct / len(questions), oov, correct, len(questions), skipped, items, hits
    )


def _best_candidates(batch, unit, searched, norms) -> np.ndarray:
    """Per question, the 5 indices with the highest cosine, best first, a, b, c excluded."""
    a, b, c = batch[:, 0], batch[:, 1], batch[:, 2]
    # gensim's rounding: the sum in float32, the mean and its normalisation in float64.
    mean = ((unit[b] + unit[c]) - unit[a]).astype(np.float64) / 3
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)
        scores = (mean @ searched.T) / norms  # batch x rows, gensim's formula
    scores[np.isnan(scores)] = -np.inf
    columns = np.arange(len(batch))
    for query in (a, b, c):
        inside = query < scores.shape[1]  # not a word given a vector from its n-grams
        scores[columns[inside], query[inside]] = -np.inf
    # Five rounds of argmax beat argpartition over 30,000 columns; ties go to the
    # lower index.
    best = np.empty((len(batch), min(_ANALOGY_CANDIDATES, scores.shape[1])), dtype=np.int64)
    for rank in range(best.shape[1]):
        best[:, rank] = scores.argmax(axis=1)
        scores[columns, best[:, rank]] = -np.inf
    return best


def _answer(candidates, folded, quad) -> str | None:
    """gensim's choice: the first candidate whose folding is not a query word, else the last."""
    predicted = None
    for i in candidates:
        predicted = folded[i]
        if predicted not in quad[:3]:
            break
    return predicted


def require_files(paths: Sequence[str]) -> None:
    """A UserError now for a pairs or analogies file that is not there, as reading it
    would give, rather than after the PMI pass over the corpus (minutes on a large one)."""
    for path in paths:
        if not os.path.exists(path):
            raise _no_such_file(path)


def _no_such_file(path: str) -> UserError:
    return UserError(f"{path}: no such file")


def _read_lines(path: str, newline: str | None = None) -> list[str]:
    try:
        with open(path, encoding="utf-8", newline=newline) as handle:
            return handle.readlines()
    except FileNotFoundError:
        raise _no_such_file(path) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def cosine_scores(
    words: Sequence[str],
    vectors: np.ndarray,
    pairs_files: Sequence[str] = (),
    analogies_file: str | None = None,
    oov=None,
) -> tuple[dict, dict, dict]:
    """The cosine part of ``evaluate``: ``(scores, extra, items)``.

    ``scores`` has the keys ws353, ws353_ci, ws353_oov, simlex999, simlex999_ci,
    simlex999_oov, analogy, analogy_ci and analogy_oov (the ``_ci`` a 95% bootstrap
    interval ``[low, high]``, see :mod:`bootstrap`); ``analogies_file`` replaces the
    Google questions. ``extra`` maps each of ``pairs_files`` to ``{"spearman", "ci",
    "oov"}``. ``items`` maps ws353, simlex999 and analogy to their PairsScore or
    AnalogyScore, whose per-item data pair two models in ``compare``. ``oov`` gives the
    words out of the vocabulary their vectors (a subword model's; see the module docstring).
    """
    items = {
        key: evaluate_pairs(words, vectors, gensim_data(name), oov=oov)
        for key, name in (("ws353", "wordsim353.tsv"), ("simlex999", "simlex999.txt"))
    }
    analogies = analogies_file or gensim_data("questions-words.txt")
    items["analogy"] = evaluate_analogies(words, vectors, analogies, oov=oov)
    scores = {}
    for key, result in items.items():
        scores[key] = result.value
        scores[f"{key}_ci"] = result.interval()
        scores[f"{key}_oov"] = result.oov
    extra = {}
    for path in pairs_files:
        result = evaluate_pairs(words, vectors, path, oov=oov)
        extra[path] = {"spearman": result.spearman, "ci": result.interval(), "oov": result.oov}
    return scores, extra, items
