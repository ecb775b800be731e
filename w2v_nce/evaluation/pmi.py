"""Does u_w·v_c reach the optimum the loss says it should? (design.md §3)

**Counting.** Co-occurrences are counted exactly as training samples its pairs:
out-of-vocabulary tokens are dropped before windowing (the model's vocabulary,
matched by word), no pair crosses a sentence (a line, or a 10,000-token piece of
a long line, as :func:`~w2v_nce.corpus.iter_sentences` yields them), and with the
dynamic window (effective window uniform in 1..window) a context at distance d
is used with probability (window − d + 1)/window, so it is counted with that
weight. To stay exact the counts are kept as integers in units of 1/window: a
pair at distance d adds window − d + 1.

**Direction.** Training pairs the *input* row of the context word with the
*output* row of the centre word; here w (row of ``input``) is the context word
and c (row of ``output``) the centre. The window is symmetric, so #(w, c) =
#(c, w) and the same counts serve either convention.

**Memory.** One jitted pass over chunks of about a million ids keeps a dense
``top × top`` int64 matrix of pair counts between the ``top`` most frequent
words (72 MB for the default 3,000) and a V-vector of row totals #(w) over all
contexts; nothing grows with the corpus.

**Targets** (with P(c|w) = #(w, c)/#(w), q the noise distribution):

* ``neg``: shifted PMI, log(P(c|w)/q(c)) − log k (Levy & Goldberg 2014);
* ``nce``: log P(c|w), and the model is self-normalised (log Z_w ≈ 0);
* ``softmax``, ``infonce``: log P(c|w) up to a constant per row. Both sides are
  centred per row (the mean over that row's evaluated pairs is subtracted from
  the targets *and* from the dot products), so the arbitrary constant cancels;
  rows with a single evaluated pair carry no information and are left out.

log Z_w = log Σ_c exp(u_w·v_c) over the whole vocabulary, for the ``top`` words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numba
import numpy as np

from ..corpus import iter_sentences
from ..errors import UserError
from ..noise import noise_distribution
from . import pearson, spearman

SENTENCE_END = -1
_OOV = -2
_CHUNK_IDS = 1 << 20  # ids handed to the kernel at a time
_LOGZ_ROWS = 256  # rows of u·V^T held at a time for log Z

TARGETS = {  # the "target" of the report
    "neg": "shifted PMI",
    "nce": "log P(c|w)",
    "softmax": "row-centred log P(c|w)",
    "infonce": "row-centred log P(c|w)",
}
FORMULAS = {
    "neg": "log(P(c|w) / q(c)) - log k",
    "nce": "log(#(w,c) / #(w))",
    "softmax": "log P(c|w) - mean over the row",
    "infonce": "log P(c|w) - mean over the row",
}
CENTRED = ("softmax", "infonce")
LOGZ_LOSSES = ("nce", "softmax", "infonce")  # log Z reported: the normalised models


@numba.njit(nogil=True, cache=True)
def count_chunk(ids, window, top, pairs, rows):
    """Add the weighted window pairs of ``ids`` (sentences ended by -1) to the counts.

    ``pairs[w, c]`` (w, c < top) and ``rows[w]`` grow by window − d + 1 for every
    context w at distance d ≤ window of a centre c in the same sentence.
    """
    n = ids.shape[0]
    start = 0
    for end in range(n + 1):
        if end < n and ids[end] >= 0:
            continue
        for i in range(start, end):
            centre = ids[i]
            lo = max(start, i - window)
            hi = min(end, i + window + 1)
            for j in range(lo, hi):
                if j == i:
                    continue
                weight = window + 1 - abs(j - i)
                context = ids[j]
                rows[context] += weight
                if context < top and centre < top:
                    pairs[context, centre] += weight
        start = end + 1


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

    Tokens are mapped by word, so any vocabulary works (the model's, gensim's);
    unknown tokens are dropped before any windowing, as training does.
    """
    get = {word: i for i, word in enumerate(vocab)}.get
    buffer: list[int] = []
    for tokens in iter_sentences(path, encoding_errors=encoding_errors):
        buffer.extend(map(get, tokens, repeat(_OOV)))
        buffer.append(SENTENCE_END)
        if len(buffer) >= _CHUNK_IDS:
            yield _drop_oov(buffer)
            buffer.clear()
    if buffer:
        yield _drop_oov(buffer)


def _drop_oov(buffer: list[int]) -> np.ndarray:
    ids = np.array(buffer, dtype=np.int32)
    return ids[ids != _OOV]


def chunks_of(ids: np.ndarray, starts: Sequence[int]) -> Iterator[np.ndarray]:
    """Slices of an encoded id array between sentence-aligned offsets (EncodedCorpus blocks)."""
    for lo, hi in zip(starts[:-1], starts[1:], strict=True):
        yield ids[int(lo) : int(hi)]


# --------------------------------------------------------------------------- targets


def target_values(
    loss: str, pairs: np.ndarray, row_totals: np.ndarray, q: np.ndarray, k: int
) -> np.ndarray:
    """The theoretical optimum of u_w·v_c for the given pair counts (before any centring).

    ``pairs`` = #(w, c) and ``row_totals`` = #(w) (broadcastable, same units),
    ``q`` = q(c). For softmax and infonce this is log P(c|w); the caller centres it.
    """
    if loss not in TARGETS:
        raise UserError(f"no PMI target for loss {loss!r}; known: {', '.join(TARGETS)}")
    log_p = np.log(pairs) - np.log(row_totals)
    if loss == "neg":
        return log_p - np.log(q) - math.log(k)
    return log_p


def centre_rows(values: np.ndarray, row_ids: np.ndarray) -> np.ndarray:
    """Subtract from each value the mean of the values sharing its row id."""
    unique, inverse, sizes = np.unique(row_ids, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values, minlength=unique.size)
    return values - (sums / sizes)[inverse]


def log_partition(
    inputs: np.ndarray, outputs: np.ndarray, bias: np.ndarray | None = None
) -> np.ndarray:
    """log Σ_c exp(u_w·v_c + b_c) over every output row c, for each row of ``inputs``.

    ``bias`` is the model's fixed base b_c (:meth:`w2v_nce.model.Model.output_bias`).
    """
    out = np.empty(inputs.shape[0], dtype=np.float64)
    outputs = np.asarray(outputs, dtype=np.float64)
    for lo in range(0, inputs.shape[0], _LOGZ_ROWS):
        scores = np.asarray(inputs[lo : lo + _LOGZ_ROWS], dtype=np.float64) @ outputs.T
        if bias is not None:
            scores += bias
        peak = scores.max(axis=1, keepdims=True)
        out[lo : lo + _LOGZ_ROWS] = peak[:, 0] + np.log(np.exp(scores - peak).sum(axis=1))
    return out


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
        return {
            "target": self.target,
            "pearson": self.pearson,
            "spearman": self.spearman,
            "rmse": self.rmse,
            "pairs": self.pairs,
            "mean_logz": self.mean_logz,
            "std_logz": self.std_logz,
        }


def pmi_fidelity(
    cooc: Cooccurrence,
    inputs: np.ndarray,
    outputs: np.ndarray,
    counts: np.ndarray,
    loss: str,
    k: int,
    noise_power: float,
    min_count: float,
    bias: np.ndarray | None = None,
) -> PmiResult:
    """Compare the score u_w·v_c + b_c with the loss's optimum over pairs of the
    ``cooc.top`` words (``bias`` b_c: the model's fixed base measure, or none).

    A pair is evaluated when #(w, c) ≥ ``min_count`` (weighted count). q comes
    from the model's ``counts`` and ``noise_power`` as in training; log Z is
    averaged over the top words weighted by their counts.
    """
    top = cooc.top
    threshold = max(min_count, 0) * cooc.window
    w_ids, c_ids = np.nonzero((cooc.pairs >= threshold) & (cooc.pairs > 0))
    q = noise_distribution(counts, noise_power)
    targets = target_values(loss, cooc.pairs[w_ids, c_ids], cooc.rows[w_ids], q[c_ids], k)
    u = np.asarray(inputs[:top], dtype=np.float64)
    v = np.asarray(outputs[:top], dtype=np.float64)
    dots = np.einsum("ij,ij->i", u[w_ids], v[c_ids])
    if bias is not None:
        dots = dots + bias[c_ids]
    if loss in CENTRED:
        per_row = np.bincount(w_ids, minlength=top)
        keep = per_row[w_ids] >= 2
        w_ids, targets, dots = w_ids[keep], targets[keep], dots[keep]
        targets = centre_rows(targets, w_ids)
        dots = centre_rows(dots, w_ids)
    mean_logz = std_logz = None
    if loss in LOGZ_LOSSES and top > 0:
        logz = log_partition(inputs[:top], outputs, bias)
        weights = np.asarray(counts[:top], dtype=np.float64)
        mean_logz = float(np.average(logz, weights=weights))
        std_logz = float(np.sqrt(np.average((logz - mean_logz) ** 2, weights=weights)))
    rmse = float(np.sqrt(np.mean((dots - targets) ** 2))) if dots.size else None
    return PmiResult(
        loss=loss,
        target=TARGETS[loss],
        pearson=pearson(dots, targets),
        spearman=spearman(dots, targets),
        rmse=rmse,
        pairs=int(dots.size),
        mean_logz=mean_logz,
        std_logz=std_logz,
        dots=dots,
        targets=targets,
    )


# --------------------------------------------------------------------------- plot


def save_scatter(result: PmiResult, target) -> None:
    """A PNG scatter of u_w·v_c against the target with the line y = x (to a path or file)."""
    figure_cls, canvas_cls = require_matplotlib()
    figure = figure_cls(figsize=(6, 6), dpi=120)
    canvas_cls(figure)
    ax = figure.add_subplot()
    ax.scatter(result.targets, result.dots, s=2, alpha=0.3, linewidths=0, rasterized=True)
    if result.dots.size:
        lo = float(min(result.targets.min(), result.dots.min()))
        hi = float(max(result.targets.max(), result.dots.max()))
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="y = x")
        ax.legend(loc="upper left")
    centred = " (row-centred)" if result.loss in CENTRED else ""
    ax.set_xlabel(f"target: {result.target} = {FORMULAS[result.loss]}")
    ax.set_ylabel(f"score s(w,c) = u_w · v_c + b_c{centred}")
    pearson = "n/a" if result.pearson is None else f"{result.pearson:.3f}"
    ax.set_title(f"{result.loss}: {result.pairs:,} pairs, Pearson {pearson}")
    figure.tight_layout()
    figure.savefig(target, format="png")


def require_matplotlib():
    """(Figure, FigureCanvasAgg) -- no pyplot, so no global state or display needed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError(
            "--plot needs matplotlib, which is not installed; "
            "install it with: pip install matplotlib (in a checkout: pip install -e '.[plot]')"
        ) from None
    return Figure, FigureCanvasAgg


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
    loss = str(model.config["loss"])
    if loss not in TARGETS:
        raise UserError(f"no PMI target for loss {loss!r}; known: {', '.join(TARGETS)}")
    cooc = count_ids(chunks, len(model.vocab), int(model.config["window"]), top)
    result = pmi_fidelity(
        cooc,
        model.input,
        model.output,
        model.counts,
        loss,
        int(model.config["k"]),
        float(model.config["noise_power"]),
        min_count,
        model.output_bias(),
    )
    return result, cooc
