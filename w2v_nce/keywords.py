"""Keywords of a text: its words that best predict the rest of it.

A word w of a text t_1 … t_n is ranked by log p(text | w): at one position i of
w, score(w) = Σ_{j≠i} log p(t_j | w) over the text's tokens in the vocabulary (a
repeated w counts its other occurrences, log p(w|w)). Every word's score is a sum
of the same n − 1 terms, so the scores of one text compare; ties go to the word
that comes first. Unlike tf-idf, no collection of documents is needed: the
model's p(c|w) stands for the statistics a collection would give, and the words
ranked first are those that predict their neighbours, not those that are rare.

p(c|w) is read as :meth:`Model.log_probs <w2v_nce.model.Model.log_probs>` reads
it: exp(s(w, c)) for NCE (self-normalised, not renormalised), the product along
the path for hs, the exact softmax over the vocabulary for softmax and InfoNCE,
and for negative sampling, which is not a normalised model, the softmax as a
reading of its scores (with a note saying so). The text's words need the scores
at the text's words only, plus, for the softmax, the log-partition of their rows,
which is cached per word: a document of many lines costs at most one pass over
the vocabulary per distinct word.

A text is split into tokens as the training reader splits a line: at runs of
ASCII whitespace, nothing folded (the vocabulary decides what a token is).
Everything a caller should hear about comes back as notes (the command line
prints them as ``note:`` lines, :meth:`Model.keywords
<w2v_nce.model.Model.keywords>` issues them as warnings); mistakes raise
:class:`~w2v_nce.errors.UsageError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UsageError, UserError
from w2v_nce.io.corpus import (
    check_encoding_errors,
    open_corpus,
    reader,
    source_name,
    stream_chunks,
    utf8_error,
)
from w2v_nce.query import SCORE_CELLS

_TOKEN = re.compile(r"[^ \t\n\r\x0b\x0c]+")  # the training reader's ASCII whitespace
_SHOWN = 20  # unknown tokens named in a note, at most
_SHOWN_LINES = 10  # line numbers named in a note, at most


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` as the training reader makes them (ASCII whitespace)."""
    return _TOKEN.findall(text)


def _check_topn(topn) -> int | None:
    """``topn`` as a count, None for all (0 means all too)."""
    if topn is None or topn == 0:
        return None
    if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or topn < 0:
        raise UsageError(f"topn must be an integer ≥ 0 (0 or None for all), not {topn!r}")
    return int(topn)


class Scorer:
    """The keyword scores of texts under one model (the log-partitions cached)."""

    def __init__(self, model):
        model.require_output("keywords")
        if model.loss is not None:  # a ranking (triplet, contrastive) has no p(c|w)
            model.loss.require_probabilities("keywords")
        self.model = model
        self.index = model.index()
        self.renormalise = losses.distribution_of(model.loss).renormalise
        self._logz = np.full(len(model.vocab), np.nan) if self.renormalise else None

    def reading_note(self) -> str | None:
        """The note that p(c|w) is only a reading of a non-normalised model's scores."""
        return losses.reading_note(self.model.loss)

    def known(self, tokens: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """The ids of the tokens in the vocabulary, and the other tokens (in order)."""
        ids, unknown = [], []
        for token in tokens:
            i = self.index.get(token)
            if i is None:
                unknown.append(token)
            else:
                ids.append(i)
        return np.array(ids, dtype=np.int64), unknown

    def described(self, token: str) -> str:
        """``'The' (the model has 'the')`` when the lower-case form is known."""
        lower = token.lower()
        if lower != token and lower in self.index:
            return f"{token!r} (the model has {lower!r})"
        return repr(token)

    def unknown_fate(self) -> str:
        """What happens to the tokens out of the vocabulary: skipped, or (a subword model)
        ranked by their n-grams' vectors, never contexts (they have no output row)."""
        if self.model.subwords is None:
            return "skipped"
        return "ranked by their n-grams' vectors (not scored as the others' context)"

    def unknown_list(self, tokens: Iterable[str]) -> str:
        """The distinct tokens, described, at most ``_SHOWN`` of them."""
        distinct = list(dict.fromkeys(tokens))
        shown = ", ".join(self.described(token) for token in distinct[:_SHOWN])
        more = len(distinct) - _SHOWN
        return shown + (f" and {more:,} more" if more > 0 else "")

    def log_partition(self, rows: np.ndarray) -> np.ndarray:
        missing = rows[np.isnan(self._logz[rows])]
        if missing.size:
            self._logz[missing] = self.model.log_partition(missing)
        return self._logz[rows]

    def rank(self, ids: np.ndarray, topn: int | None, unknown=()) -> list[tuple[str, float]]:
        """The text's distinct words (ids, two or more) by log p(text | w), best first;
        with a subword model the ``unknown`` tokens too, from their n-grams' vectors, each
        scored against the whole text's known tokens (its own position is not one)."""
        words, first, counts = np.unique(ids, return_index=True, return_counts=True)
        scores = np.empty(len(words))
        step = max(1, SCORE_CELLS // len(words))
        for lo in range(0, len(words), step):
            rows = words[lo : lo + step]
            block = self.model.scores(rows, words)  # s(w, c) at the text's words c
            # Σ over every token of s(w, t_j), less w's own position: n − 1 terms.
            scores[lo : lo + step] = (
                block @ counts - block[np.arange(len(rows)), lo + np.arange(len(rows))]
            )
        if self.renormalise:
            scores -= (len(ids) - 1) * self.log_partition(words)
        names = [self.model.vocab[w] for w in words]
        if unknown and self.model.subwords is not None:
            distinct = list(dict.fromkeys(unknown))
            vectors = self.model.oov_vectors(distinct)
            extra = self.model.scores_of(vectors, words) @ counts  # n terms: all the text
            if self.renormalise:
                extra -= len(ids) * self.model.log_partition(None, vectors)
            scores, names = np.concatenate([scores, extra]), names + distinct
            first = np.concatenate([first, len(ids) + np.arange(len(distinct))])
        order = np.lexsort((first, -scores))[:topn]
        return [(names[i], float(scores[i])) for i in order]

    def text(self, text, topn) -> tuple[list[tuple[str, float]], list[str]]:
        """:func:`text_keywords`."""
        topn = _check_topn(topn)
        tokens = tokenize(text) if isinstance(text, str) else _tokens(text)
        if not tokens:
            raise UsageError("the text is empty; keywords need a word and the rest of the text")
        ids, unknown = self.known(tokens)
        if len(ids) < 2:
            missing = f"; not in it: {self.unknown_list(unknown)}" if unknown else ""
            raise UsageError(
                f"the text has {_plural(len(ids), 'token')} in the vocabulary (of "
                f"{len(tokens)}{missing}); keywords need at least two, a word and the rest "
                "of the text it predicts"
            )
        notes = [note for note in (self.reading_note(),) if note]
        if unknown:
            fate = self.unknown_fate()
            notes.append(f"not in the vocabulary, {fate}: {self.unknown_list(unknown)}")
        return self.rank(ids, topn, unknown), notes

    def document(self, lines, topn, name) -> tuple[list[list[tuple[str, float]] | None], list[str]]:
        """:func:`document_keywords`."""
        topn = _check_topn(topn)
        results: list[list[tuple[str, float]] | None] = []
        short: list[int] = []
        unknown: list[str] = []
        unknown_lines = 0
        for number, line in enumerate(lines, 1):
            tokens = tokenize(line)
            if not tokens:
                results.append(None)
                continue
            ids, missing = self.known(tokens)
            unknown.extend(missing)
            unknown_lines += bool(missing)
            if len(ids) < 2:
                short.append(number)
                results.append([])
                continue
            results.append(self.rank(ids, topn, missing))
        texts = sum(result is not None for result in results)
        # an empty or blank input is the data's problem (exit 1, as train's and vocab's)
        if not results:
            raise UserError(f"{name} is empty; give one text per line")
        if not texts:
            raise UserError(f"{name} has no text ({_plural(len(results), 'line')}, all blank)")
        if len(short) == texts:
            missing = f"; not in the vocabulary: {self.unknown_list(unknown)}" if unknown else ""
            raise UsageError(
                f"no line of {name} has two tokens in the vocabulary ({_plural(texts, 'line')} "
                f"of text{missing}); keywords need a word and the rest of the text it predicts"
            )
        notes = [note for note in (self.reading_note(),) if note]
        if unknown:
            notes.append(
                f"not in the vocabulary, {self.unknown_fate()}: "
                f"{_plural(len(unknown), 'token')} in {_plural(unknown_lines, 'line')}: "
                f"{self.unknown_list(unknown)}"
            )
        if short:
            notes.append(
                f"{_lines(short)} fewer than two tokens in the vocabulary: no keywords for "
                f"{'it' if len(short) == 1 else 'them'}"
            )
        return results, notes


def text_keywords(
    model, text: str | Sequence[str], topn: int | None = 10
) -> tuple[list[tuple[str, float]], list[str]]:
    """The keywords of one text, ``[(word, log p(text | word))]`` best first, and the notes.

    ``text`` is a str (split as the training reader does) or a list of tokens;
    ``topn`` None or 0 for every word. Fewer than two tokens in the vocabulary is a
    :class:`UsageError`.
    """
    return Scorer(model).text(text, topn)


def document_keywords(
    model, lines: Iterable[str], topn: int | None = 10, name: str = "the input"
) -> tuple[list[list[tuple[str, float]] | None], list[str]]:
    """The keywords of each line of a document (``lines``, each one text), and the notes.

    One entry per line: None for a blank line, ``[]`` for a line with fewer than two
    tokens in the vocabulary (named in a note), else its keywords as
    :func:`text_keywords` gives them. Only a document where no line has two known
    tokens is a :class:`UsageError` (``name`` says which document).
    """
    return Scorer(model).document(lines, topn, name)


def _tokens(tokens) -> list[str]:
    tokens = list(tokens)
    for token in tokens:
        if not isinstance(token, str):
            raise UsageError(
                f"a text is a str or a list of str tokens, not a list holding {token!r}"
            )
    return tokens


def _plural(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _lines(numbers: list[int]) -> str:
    """``line 4 has`` / ``lines 4, 9 and 12 have`` (at most ``_SHOWN_LINES`` named)."""
    if len(numbers) == 1:
        return f"line {numbers[0]} has"
    shown = [str(n) for n in numbers[:_SHOWN_LINES]]
    more = len(numbers) - len(shown)
    listed = (
        f"{', '.join(shown)} and {more:,} more"
        if more
        else f"{', '.join(shown[:-1])} and {shown[-1]}"
    )
    return f"lines {listed} have"


def read_lines(path: str, encoding_errors: str = "strict") -> Iterator[str]:
    """The lines of a document (plain, .gz, .bz2; "-" for stdin), decoded.

    The training reader's checks and messages: missing or unreadable files,
    compressed or binary data, a UTF-8 BOM dropped, invalid UTF-8 named by line and
    byte column unless ``encoding_errors`` is "replace" or "ignore".
    """
    check_encoding_errors(encoding_errors)
    name = source_name(path)
    stream = open_corpus(path)
    try:
        chunks, dropped = stream_chunks(reader(stream, name), 1 << 20, name)
        number, pending = 0, []  # pending: the pieces of the unfinished line
        for chunk in chunks:
            *complete, last = chunk.split(b"\n")
            if complete:
                complete[0] = b"".join([*pending, complete[0]])
                pending = []
                for line in complete:
                    number += 1
                    yield _decode(line, encoding_errors, name, number, dropped)
            pending.append(last)
        if any(pending):
            yield _decode(b"".join(pending), encoding_errors, name, number + 1, dropped)
    finally:
        if path != "-":
            stream.close()


def _decode(line: bytes, errors: str, name: str, number: int, dropped: int) -> str:
    try:
        return line.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        offset = dropped if number == 1 else 0  # a BOM counts in line 1's byte columns
        raise utf8_error(name, line, exc.start, number, offset).at(1) from None
