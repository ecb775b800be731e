"""Context neighbours: the words c a model predicts around w, ranked by u_w·v_c.

Cosine neighbours compare two input vectors (words used alike); context
neighbours pair an input row with output rows, which is what the loss trained
(w the context word's input row, c the centre word's output row), so
u_w·v_c is the model's own score for "c appears next to w".

Beside each word we print p(c|w):

* ``nce``: exp(u_w·v_c) itself. NCE with Z = 1 is self-normalised at its
  optimum, so no normalisation is applied: the raw value is the claim under test.
* every other loss: the exact softmax over the whole vocabulary. For softmax and
  InfoNCE that is the model's distribution (their scores are defined up to a
  per-row constant); negative sampling is not a normalised model, so for it the
  softmax is only a way of reading its scores as probabilities.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from ..model import Model
from ..query import Neighbours

LABEL_NCE = "p(c|w) = exp(u_w·v_c), NCE's self-normalised model (not renormalised)"
LABEL_SOFTMAX = "p(c|w) = softmax of u_w·v_c over the vocabulary (exactly normalised)"


def context_neighbours(
    model: Model, word: str, topn: int = 10
) -> tuple[list[tuple[str, float, float]], str]:
    """The ``topn`` words c with the highest u_w·v_c, as ``(c, score, p(c|w))``, and a label.

    Raises :class:`~w2v_nce.errors.UsageError` (with close matches) for an unknown
    word. The word itself is not excluded: "w next to w" is a real prediction.
    """
    if topn < 1:
        raise UsageError(f"topn must be at least 1, got {topn}")
    index = model.index()
    if word not in index:
        # Neighbours._lookup raises the same one-line error as most-similar.
        Neighbours(model.vocab, model.input)._lookup(word)
    scores = model.output.astype(np.float64) @ model.input[index[word]].astype(np.float64)
    if model.config.get("loss") == "nce":
        probs, label = np.exp(scores), LABEL_NCE
    else:
        shifted = np.exp(scores - scores.max())
        probs, label = shifted / shifted.sum(), LABEL_SOFTMAX
    n = min(topn, scores.size)
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]  # by score, ties by index
    rows = [(model.vocab[i], float(scores[i]), float(probs[i])) for i in top]
    return rows, label
