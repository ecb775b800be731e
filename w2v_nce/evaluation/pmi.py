"""Does the model's score reach the optimum its loss says it should?

**Counting.** Co-occurrences are counted exactly as training samples its pairs:
out-of-vocabulary tokens are dropped before windowing (the model's vocabulary,
matched by word), no pair crosses a sentence (a line, or a 10,000-token piece of
a long line, as :func:`~w2v_nce.io.corpus.iter_sentences` yields them), and with the
dynamic window (effective window uniform in 1..window) a context at distance d
is used with probability (window − d + 1)/window, so it is counted with that
weight. To stay exact the counts are kept as integers in units of 1/window: a
pair at distance d adds window − d + 1.

**Direction.** Training pairs the *input* row of the context word with the
*output* row of the centre word; here w (row of ``input``) is the context word
and c (row of ``output``) the centre. The window is symmetric, so #(w, c) =
#(c, w) and the same counts serve either convention.

**Memory.** One jitted pass over chunks of the corpus (the shared counter of
:mod:`w2v_nce.kernels.counts`) keeps a dense
``top × top`` int64 matrix of pair counts between the ``top`` most frequent
words (72 MB for the default 3,000) and a V-vector of row totals #(w) over all
contexts; nothing grows with the corpus.

**Targets** (with P(c|w) = #(w, c)/#(w), q the noise distribution):

* ``neg``: shifted PMI, log(P(c|w)/q(c)) − log k (Levy & Goldberg 2014);
* ``nce``: log P(c|w), and the model is self-normalised (log Z_w ≈ 0);
* ``softmax``, ``infonce``: log P(c|w) up to a constant per row. Both sides are
  centred per row (the mean over that row's evaluated pairs is subtracted from
  the targets *and* from the dot products), so the arbitrary constant cancels;
  rows with a single evaluated pair carry no information and are left out;
* ``hs``: log P(c|w), compared with the model's exact log p(c|w) along the
  Huffman tree (its log Z_w is 0 by construction, and reported as a check).

The loss records (:mod:`w2v_nce.losses`) say which target and whether to centre.
log Z_w = log Σ_c exp(s(w, c)) over the whole vocabulary, for the ``top`` words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UserError
from w2v_nce.evaluation.stats import pearson, spearman
from w2v_nce.kernels.counts import add_pair_counts, window_pairs
from w2v_nce.noise import noise_distribution


def count_chunk(ids, window, top, pairs, rows):
    """Add the weighted window pairs of ``ids`` (sentences ended by -1) to the counts.

    ``pairs[w, c]`` (w, c < top) and ``rows[w]`` grow by window − d + 1 for every
    context w at distance d ≤ window of a centre c in the same sentence.
    """
    add_pair_counts(*window_pairs(ids, window), pairs, rows)


@dataclass
class Cooccurrence:
    """Window co-occurrence counts, in units of 1/window (integers, exact)."""

    window: int
    pairs: np.ndarray  # int64 top x top: window * #(w, c), w = input row, c = output row
    rows: np.ndarray  # int64 V: window * #(w), summed over every context
    unigrams: np.ndarray  # int64 V: in-vocabulary occurrences seen while counting

    @property
    def top(self) -> int:
        return int(self.pairs.shape[0])

    def weighted_pairs(self) -> np.ndarray:
        """#(w, c) as floats: the expected number of times training samples the pair per epoch."""
        return self.pairs / self.window


def count_ids(chunks: Iterable[np.ndarray], vocab_size: int, window: int, top: int) -> Cooccurrence:
    """Count co-occurrences over chunks of ids; each chunk must end at a sentence end."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    top = min(top, vocab_size)
    pairs = np.zeros((top, top), dtype=np.int64)
    rows = np.zeros(vocab_size, dtype=np.int64)
    unigrams = np.zeros(vocab_size, dtype=np.int64)
    for chunk in chunks:
        chunk = np.ascontiguousarray(chunk, dtype=np.int32)
        count_chunk(chunk, window, top, pairs, rows)
        unigrams += np.bincount(chunk[chunk >= 0], minlength=vocab_size)
    return Cooccurrence(window, pairs, rows, unigrams)


def encode_with_vocab(
    path: str, vocab: Sequence[str], encoding_errors: str = "strict"
) -> Iterator[np.ndarray]:
    """Yield the corpus as chunks of ids in ``vocab`` order, -1 after every sentence.

    The training encoder with the vocabulary fixed (:class:`w2v_nce.vocab.Fixed`):
    tokens are mapped by word, so any vocabulary works (the model's, gensim's), and
    unknown tokens are dropped before any windowing, as training does.
    """
    from w2v_nce.io.encode import encode_corpus
    from w2v_nce.vocab import Fixed, Vocabulary

    rule = Fixed(Vocabulary(list(vocab), np.ones(len(vocab), dtype=np.int64)))
    with encode_corpus(path, vocabulary=rule, encoding_errors=encoding_errors) as encoded:
        yield from chunks_of(encoded.ids(), encoded.block_starts)


def chunks_of(ids: np.ndarray, starts: Sequence[int]) -> Iterator[np.ndarray]:
    """Slices of an encoded id array between sentence-aligned offsets (EncodedCorpus blocks)."""
    for lo, hi in zip(starts[:-1], starts[1:], strict=True):
        yield ids[int(lo) : int(hi)]


# --------------------------------------------------------------------------- targets


def target_values(
    loss: str, pairs: np.ndarray, row_totals: np.ndarray, q: np.ndarray, k: int
) -> np.ndarray:
    """The theoretical optimum of the score for the given pair counts (before any centring).

    ``pairs`` = #(w, c) and ``row_totals`` = #(w) (broadcastable, same units),
    ``q`` = q(c). log P(c|w), and for neg the shifted PMI log(P(c|w)/q(c)) − log k;
    the caller centres the rows of the losses whose record says so.
    """
    record = losses.LOSSES.get(loss)
    if record is None:
        raise UserError(f"no PMI target for loss {loss!r}; known: {', '.join(losses.LOSSES)}")
    return record.pmi_target(np.log(pairs) - np.log(row_totals), q, k)


def centre_rows(values: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    """Subtract from each value the mean of the values sharing its row id."""
    unique, inverse, sizes = np.unique(row_ids, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values, minlength=unique.size)
    return values - (sums / sizes)[inverse]


@dataclass
class PmiResult:
    loss: str
    target: str
    pearson: float | None
    spearman: float | None
    rmse: float | None
    pairs: int
    mean_logz: float | None
    std_logz: float | None
    # The compared values themselves (for the plot); centred for softmax/infonce.
    dots: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    targets: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def as_json(self) -> dict:
        # The report's keys spelled out (geometry.Geometry.as_json likewise): deliberate, so
        # that a field added to the record (the plot's dots, targets) stays out of the report.
        return {
            "target": self.target,
            "pearson": self.pearson,
            "spearman": self.spearman,
            "rmse": self.rmse,
            "pairs": self.pairs,
            "mean_logz": self.mean_logz,
            "std_logz": self.std_logz,
        }


def pmi_fidelity(cooc: Cooccurrence, model, min_count: float) -> PmiResult:
    """Compare the model's score with its loss's optimum over pairs of the ``cooc.top`` words.

    The score is :meth:`Model.pair_scores <w2v_nce.model.Model.pair_scores>`:
    u_w·v_c + b_c, or log p(c|w) along the tree for hs. A pair is evaluated when
    #(w, c) ≥ ``min_count`` (weighted count). q comes from the model's counts and
    noise power as in training; log Z is averaged over the top words weighted by
    their counts, for the losses that model p(c|w).
    """
    config = model.config
    loss = str(config["loss"])
    record = losses.get(loss)
    top = cooc.top
    threshold = max(min_count, 0) * cooc.window
    w_ids, c_ids = np.nonzero((cooc.pairs >= threshold) & (cooc.pairs > 0))
    q = noise_distribution(model.counts, float(config["noise_power"]))
    targets = target_values(
        loss, cooc.pairs[w_ids, c_ids], cooc.rows[w_ids], q[c_ids], int(config["k"])
    )
    dots = model.pair_scores(w_ids, c_ids)
    if record.centred:
        per_row = np.bincount(w_ids, minlength=top)
        keep = per_row[w_ids] >= 2
        w_ids, targets, dots = w_ids[keep], targets[keep], dots[keep]
        targets = centre_rows(targets, w_ids)
        dots = centre_rows(dots, w_ids)
    mean_logz = std_logz = None
    if record.normalised and top > 0:
        logz = model.log_partition(np.arange(top))
        weights = np.asarray(model.counts[:top], dtype=np.float64)
        mean_logz = float(np.average(logz, weights=weights))
        std_logz = float(np.sqrt(np.average((logz - mean_logz) ** 2, weights=weights)))
    rmse = float(np.sqrt(np.mean((dots - targets) ** 2))) if dots.size else None
    return PmiResult(
        loss=loss,
        target=record.target,
        pearson=pearson(dots, targets),
        spearman=spearman(dots, targets),
        rmse=rmse,
        pairs=int(dots.size),
        mean_logz=mean_logz,
        std_logz=std_logz,
        dots=dots,
        targets=targets,
    )


# --------------------------------------------------------------------------- a whole model

REQUIRED_CONFIG = ("loss", "k", "window", "noise_power")


def model_pmi(model, chunks: Iterable[np.ndarray], top: int, min_count: float):
    """Count the corpus ``chunks`` (ids in ``model.vocab`` order) and evaluate ``model``.

    Returns ``(PmiResult, Cooccurrence)``; the counts let the caller check that the
    corpus is the one the model was trained on (``cooc.unigrams == model.counts``).
    """
    missing = [key for key in REQUIRED_CONFIG if key not in model.config]
    if missing:
        raise UserError(f"the model's config lacks {', '.join(missing)}; retrain with this version")
    if str(model.config["loss"]) not in losses.LOSSES:
        raise UserError(
            f"no PMI target for loss {model.config['loss']!r}; known: {', '.join(losses.LOSSES)}"
        )
    model.require_output("the PMI check")
    cooc = count_ids(chunks, len(model.vocab), int(model.config["window"]), top)
    result = pmi_fidelity(cooc, model, min_count)
    return result, cooc
