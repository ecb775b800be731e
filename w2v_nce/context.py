"""Context neighbours: the words c a model predicts around w, ranked by u_w·v_c.

Cosine neighbours compare two input vectors (words used alike); context
neighbours pair an input row with output rows, which is what the loss trained
(w the context word's input row, c the centre word's output row), so the score
s(w, c) = u_w·v_c + b_c (b_c = log P(c) for a model trained with the unigram
base, else 0) is the model's own score for "c appears next to w".

Beside each word we print p(c|w), read from the score as the loss's record says
(:attr:`Loss.distribution <w2v_nce.losses.Loss.distribution>`, used by
:meth:`Model.log_probs <w2v_nce.model.Model.log_probs>`), under the header that
record gives:

* ``nce``: exp(s(w, c)) itself. NCE with Z = 1 is self-normalised at its
  optimum, so no normalisation is applied: the raw value is the claim under test.
* ``hs``: the product of the binary decisions along c's Huffman path, exactly
  normalised by construction (the score is then log p(c|w) itself).
* every other loss: the exact softmax over the whole vocabulary. For softmax and
  InfoNCE that is the model's distribution (their scores are defined up to a
  per-row constant); negative sampling is not a normalised model, so for it the
  softmax is only a way of reading its scores as probabilities: the header says
  so, and a note says it as ``keywords``' does.
"""

from __future__ import annotations

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UsageError
from w2v_nce.query import Neighbours


def context_neighbours(
    model, word: str, topn: int = 10
) -> tuple[list[tuple[str, float, float]], str, list[str]]:
    """The ``topn`` words c with the highest score s(w, c), as ``(c, score, p(c|w))``,
    the header saying what p(c|w) is, and the notes for the reader (that p(c|w) is
    only a reading of a model that is not normalised).

    A subword model gives a word out of its vocabulary the input vector of its n-grams
    (as most-similar does) and says so in a note; otherwise an unknown word raises
    :class:`~w2v_nce.errors.UsageError` (with close matches). The word itself is not
    excluded: "w next to w" is a real prediction.
    """
    if topn < 1:
        raise UsageError(f"topn must be at least 1, got {topn}")
    index = model.index()
    oov_note = None
    if word in index:
        u = model.vectors[[index[word]]]
    elif model.subwords is not None:
        u = model.oov_vectors([word])
        oov_note = model.neighbours.oov_note([word])
    else:
        # Neighbours._lookup raises the same one-line error as most-similar.
        Neighbours(model.vocab, model.input)._lookup(word)
    model.require_output("--by context")
    scores = model.scores_of(u)[0]
    probs = np.exp(model.log_probs_of(u)[0])
    distribution = losses.distribution_of(model.loss)
    n = min(topn, scores.size)
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]  # by score, ties by index
    rows = [(model.vocab[i], float(scores[i]), float(probs[i])) for i in top]
    notes = [note for note in (losses.reading_note(model.loss), oov_note) if note]
    return rows, distribution.header, notes
