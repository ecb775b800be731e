"""Every figure w2v-nce draws, as a PNG, and the little data work behind each.

- :func:`save_scatter`: ``evaluate --plot``, the model's score against its PMI target.
- :func:`save_nce_table`: ``nce-table --plot``, Mnih & Teh's figure: held-out
  perplexity of NCE against k beside the softmax, and NCE's log Z_w.
- :func:`save_loss_curves`: ``plot-loss``, one or several ``train --loss-log`` files
  (read and checked by :func:`read_loss_log`).

matplotlib's object API on the Agg canvas, never pyplot: no global state, no
display, nothing shared between two figures. Each ``save_*`` function takes a
path, written atomically (:func:`w2v_nce.atomic.atomic_output`), or an open
binary file. matplotlib is imported inside the functions, so importing this
module costs nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import losses
from .errors import UserError

DPI = 120


def require_matplotlib(what: str = "--plot"):
    """(Figure, FigureCanvasAgg) -- no pyplot, so no global state or display needed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError(
            f"{what} needs matplotlib, a dependency of w2v-nce that is missing here; "
            "reinstall w2v-nce (pip install -e .) or pip install matplotlib"
        ) from None
    return Figure, FigureCanvasAgg


def new_figure(width: float, height: float):
    """A Figure of ``width`` × ``height`` inches on its own Agg canvas."""
    figure_cls, canvas_cls = require_matplotlib()
    figure = figure_cls(figsize=(width, height), dpi=DPI)
    canvas_cls(figure)
    return figure


def write_png(figure, target) -> None:
    """Save ``figure`` as PNG to a path (atomically) or to an open binary file."""
    if isinstance(target, str | os.PathLike):
        from .atomic import atomic_output

        with atomic_output(target) as handle:
            figure.savefig(handle, format="png")
    else:
        figure.savefig(target, format="png")


# --------------------------------------------------------------------------- evaluate --plot


def save_scatter(result, target) -> None:
    """A scatter of u_w·v_c against the target with the line y = x (a :class:`PmiResult`)."""
    figure = new_figure(6, 6)
    ax = figure.add_subplot()
    ax.scatter(result.targets, result.dots, s=2, alpha=0.3, linewidths=0, rasterized=True)
    if result.dots.size:
        lo = float(min(result.targets.min(), result.dots.min()))
        hi = float(max(result.targets.max(), result.dots.max()))
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="y = x")
        ax.legend(loc="upper left")
    record = losses.get(result.loss)
    centred = " (row-centred)" if record.centred else ""
    ax.set_xlabel(f"target: {result.target} = {record.formula}")
    score = "log p(c|w) along the tree" if record.output == losses.TREE else "u_w · v_c + b_c"
    ax.set_ylabel(f"score s(w,c) = {score}{centred}")
    pearson = "n/a" if result.pearson is None else f"{result.pearson:.3f}"
    ax.set_title(f"{result.loss}: {result.pairs:,} pairs, Pearson {pearson}")
    figure.tight_layout()
    write_png(figure, target)


# --------------------------------------------------------------------------- nce-table --plot

REFERENCE_LINES = {  # the losses drawn as horizontal lines: label, line style
    "softmax": ("exact softmax", "--"),
    "hs": ("hierarchical softmax", ":"),
}


def save_nce_table(rows: Sequence, target, subtitle: str = "") -> None:
    """Mnih & Teh's figure from ``nce-table``'s rows (:class:`~w2v_nce.nce_table.TableRow`).

    Left: held-out perplexity of NCE against k (log axis), the softmax (and hs)
    as horizontal lines. Right: NCE's frequency-weighted mean log Z_w with ± one
    standard deviation as error bars, and the line log Z = 0 (self-normalised).
    The softmax's log Z is not drawn: the softmax is invariant to a constant per
    word, so its Z is arbitrary.
    """
    nce = sorted((row for row in rows if row.loss == "nce"), key=lambda row: row.k)
    ks = [row.k for row in nce]
    figure = new_figure(11, 4.8)
    left, right = figure.subplots(1, 2)
    left.plot(ks, [row.perplexity for row in nce], marker="o", color="C0", label="NCE")
    softmax = next((row.perplexity for row in rows if row.loss == "softmax"), None)
    for row in nce if softmax else ():  # the difference, on the side away from the line
        above = row.perplexity >= softmax
        left.annotate(f"{row.perplexity / softmax - 1:+.1%}", (row.k, row.perplexity),
                      textcoords="offset points", xytext=(0, 7 if above else -7), ha="center",
                      va="bottom" if above else "top", fontsize=8, color="C0")  # fmt: skip
    for row in rows:
        if row.loss in REFERENCE_LINES:
            name, style = REFERENCE_LINES[row.loss]
            left.axhline(
                row.perplexity,
                linestyle=style,
                color="black" if row.loss == "softmax" else "grey",
                label=f"{name} ({row.perplexity:,.1f})",
            )
    left.margins(y=0.15)  # room for the percentages
    left.set_ylabel(r"held-out perplexity of $p(c\,|\,w)$ (lower is better)")
    left.set_title("held-out perplexity (NCE's: against the softmax's)")
    left.legend()

    right.errorbar(
        ks,
        [row.mean_logz for row in nce],
        yerr=[row.std_logz for row in nce],
        marker="o",
        capsize=4,
        color="C0",
        label=r"NCE: mean $\log Z_w$ ± std over the words",
    )
    right.axhline(0, color="black", linewidth=1, label=r"$\log Z_w = 0$: self-normalised")
    right.set_ylabel(r"$\log Z_w = \log\, \Sigma_c \exp s(w,c)$  (nats)")
    right.set_title("NCE's normaliser (word-frequency weighted)")
    right.legend()
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_xlabel("k: noise words per positive pair (log scale)")
        ax.grid(alpha=0.3)
    title = "NCE with k noise words against the exact softmax (the experiment of Mnih & Teh 2012)"
    figure.suptitle(title + (f"\n{subtitle}" if subtitle else ""))
    figure.tight_layout()
    write_png(figure, target)


# --------------------------------------------------------------------------- plot-loss


@dataclass
class LossCurve:
    """One ``train --loss-log`` file: a row per progress interval."""

    path: str
    seconds: np.ndarray  # since training started (wall clock)
    words: np.ndarray  # corpus words processed so far, all epochs
    learning_rate: np.ndarray
    loss: np.ndarray  # mean loss per pair (CBOW: per centre word) over the interval


def read_loss_log(path) -> LossCurve:
    """Read a ``--loss-log`` TSV: a problem is one :class:`UserError` naming the file (and line)."""
    from .pipeline import LossLog

    shown = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{shown} is a directory, not a loss log") from None
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror}") from None
    lines = data.split(b"\n")
    header = LossLog.HEADER.strip()
    if lines[0].rstrip(b"\r") != header.encode():
        raise UserError(
            f"{shown}: not a loss log (its first line should be "
            f"{header.replace(chr(9), '<TAB>')}); give a file written by 'train --loss-log'"
        )
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        line = line.rstrip(b"\r")
        if not line and number == len(lines):
            break  # the final newline
        rows.append(_loss_row(line, shown, number))
    if not rows:
        raise UserError(f"{shown}: a loss log with no rows (the run trained nothing)")
    seconds, words, learning_rate, loss = np.array(rows, dtype=np.float64).T
    return LossCurve(shown, seconds, words, learning_rate, loss)


def _loss_row(line: bytes, shown: str, number: int) -> tuple[float, ...]:
    fields = line.split(b"\t")
    try:
        values = tuple(float(field) for field in fields)
    except ValueError:
        values = ()
    if len(fields) != 4 or len(values) != 4 or not all(map(math.isfinite, values)):
        text = line.decode("utf-8", "replace")[:80]
        raise UserError(
            f"{shown}, line {number}: malformed row {text!r}; expected 4 tab-separated "
            "numbers: seconds, words, learning rate, loss"
        )
    return values


X_AXES = {
    "words": ("corpus words processed, all epochs (millions)", 1e-6),
    "seconds": ("seconds since training started (wall clock)", 1.0),
}


def save_loss_curves(
    curves: Sequence[LossCurve],
    labels: Sequence[str],
    target,
    x: str = "words",
    title: str | None = None,
) -> None:
    """The loss of each curve against words processed (or seconds), on one axes."""
    xlabel, scale = X_AXES[x]
    figure = new_figure(8, 5)
    ax = figure.add_subplot()
    for curve, label in zip(curves, labels, strict=True):
        xs = (curve.words if x == "words" else curve.seconds) * scale
        few = len(xs) <= 50  # a short run: show where the rows are
        ax.plot(xs, curve.loss, marker="o" if few else None, markersize=3, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean training loss per pair over the interval (nats)")
    ax.set_title(title or "training loss (train --loss-log)")
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend()
    figure.tight_layout()
    write_png(figure, target)
