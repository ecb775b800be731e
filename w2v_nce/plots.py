"""Every figure w2v-nce draws, as a PNG, and the little data work behind each.

- :func:`save_scatter`: ``evaluate --plot``, the model's score against its PMI target.

matplotlib's object API on the Agg canvas, never pyplot: no global state, no
display, nothing shared between two figures. Each ``save_*`` function takes a
path, written atomically (:func:`w2v_nce.atomic.atomic_output`), or an open
binary file. matplotlib is imported inside the functions, so importing this
module costs nothing.
"""

from __future__ import annotations

import os

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
