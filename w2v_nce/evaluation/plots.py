"""Every figure w2v-nce draws, as a PNG, and the little data work behind each.

- :func:`save_scatter`: ``evaluate --plot``, the model's score against its PMI target.
- :func:`save_nce_table`: ``nce-table --plot``, Mnih & Teh's figure: held-out
  perplexity of NCE against k beside the softmax, and NCE's log Z_w.
- :func:`save_loss_curves`: ``plot-loss``, one or several ``train --loss-log`` files
  (read and checked by :func:`read_loss_log`).
- :func:`save_word_map`: ``map``, query words and their nearest neighbours in the
  plane of the first two principal components (:func:`word_map`, :func:`pca_2d`),
  the labels placed apart by :func:`place_labels`.

matplotlib's object API on the Agg canvas, never pyplot: no global state, no
display, nothing shared between two figures. Each ``save_*`` function takes a
path, written atomically (:func:`w2v_nce.io.atomic.atomic_output`), or an open
binary file. matplotlib is imported inside the functions, so importing this
module costs nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UsageError, UserError

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


IMAGE_FORMATS = ("png", "pdf", "svg")


def image_format(path) -> str:
    """The format a figure's file name asks for (its extension): png, pdf or svg; a
    UsageError for any other (a .jpg holding PNG data would mislead every viewer)."""
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if extension not in IMAGE_FORMATS:
        shown = f"a .{extension} file" if extension else "no extension"
        raise UsageError(
            f"{os.fspath(path)}: {shown}; a figure is written as "
            f"{', '.join('.' + f for f in IMAGE_FORMATS)}: give the file one of these extensions"
        )
    return extension


def write_png(figure, target) -> None:
    """Save ``figure`` to a path (atomically) in the format its extension names
    (:func:`image_format`), or as PNG to an open binary file."""
    if isinstance(target, str | os.PathLike):
        from w2v_nce.io.atomic import atomic_output

        kind = image_format(target)
        with atomic_output(target) as handle:
            figure.savefig(handle, format=kind)
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
    ax.set_ylabel(f"score s(w,c) = {record.score}{centred}")
    pearson = "n/a" if result.pearson is None else f"{result.pearson:.3f}"
    ax.set_title(f"{result.loss}: {result.pairs:,} pairs, Pearson {pearson}")
    figure.tight_layout()
    write_png(figure, target)


# --------------------------------------------------------------------------- nce-table --plot


def save_nce_table(rows: Sequence, target, subtitle: str = "") -> None:
    """Mnih & Teh's figure from ``nce-table``'s rows (``evaluation.nce_table.TableRow``).

    Left: held-out perplexity of NCE against k (log axis), the losses trained
    without k (the softmax, hs) as horizontal lines, each in its record's
    ``plot_style``. Right: NCE's frequency-weighted mean log Z_w with ± one
    standard deviation as error bars, and the line log Z = 0 (self-normalised).
    The softmax's log Z is not drawn: the softmax is invariant to a constant per
    word, so its Z is arbitrary.
    """
    nce = sorted((row for row in rows if row.k is not None), key=lambda row: row.k)
    if not nce:
        raise ValueError("nce-table's figure needs rows trained with k noise words")
    ks = [row.k for row in nce]
    figure = new_figure(11, 4.8)
    left, right = figure.subplots(1, 2)
    name, _, colour = losses.get(nce[0].loss).plot_style  # the curve's loss: nce
    left.plot(ks, [row.perplexity for row in nce], marker="o", color=colour, label=name)
    for row in rows:
        if row.k is None:
            label, style, line_colour = losses.get(row.loss).plot_style
            left.axhline(
                row.perplexity,
                linestyle=style,
                color=line_colour,
                label=f"{label} ({row.perplexity:,.1f})",
            )
    left.set_ylabel(r"held-out perplexity of $p(c\,|\,w)$ (lower is better)")
    left.set_title("held-out perplexity, exactly normalised")
    left.legend()

    right.errorbar(
        ks,
        [row.mean_logz for row in nce],
        yerr=[row.std_logz for row in nce],
        marker="o",
        capsize=4,
        color=colour,
        label=name + r": mean $\log Z_w$ ± std over the words",
    )
    right.axhline(0, color="black", linewidth=1, label=r"$\log Z_w = 0$: self-normalised")
    right.set_ylabel(r"$\log Z_w = \log\, \Sigma_c \exp s(w,c)$  (nats)")
    right.set_title("NCE's normaliser (word-frequency weighted)")
    right.margins(y=0.3)  # room for the legend beside the error bars
    right.legend()
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_xlabel("k: noise words per positive pair (log scale)")
        ax.grid(alpha=0.3)
    softmax = reference_perplexity(rows)
    if softmax:  # under each k, NCE's perplexity against the softmax's
        left.set_xticks(ks, [f"{row.k}\n{row.perplexity / softmax - 1:+.1%}" for row in nce])
        left.set_xlabel("k: noise words per positive pair (log scale); NCE against the softmax")
    title = "NCE with k noise words against the exact softmax (the experiment of Mnih & Teh 2012)"
    figure.suptitle(title + (f"\n{subtitle}" if subtitle else ""))
    figure.tight_layout()
    write_png(figure, target)


def reference_perplexity(rows: Sequence) -> float | None:
    """The held-out perplexity of the full softmax among ``rows``, which the others are
    compared with (None without a full softmax row)."""
    return next((row.perplexity for row in rows if losses.get(row.loss).full_softmax), None)


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
    from w2v_nce.io.loss_log import LossLog

    shown = os.fspath(path)
    header = LossLog.HEADER.strip()
    try:
        with open(path, "rb") as handle:
            # the header first: a large file of another kind is refused unread
            first = handle.readline(len(header) + 2)
            if first.rstrip(b"\r\n") != header.encode():
                raise UserError(
                    f"{shown}: not a loss log (its first line should be "
                    f"{header.replace(chr(9), '<TAB>')}); give a file written by "
                    "'train --loss-log'"
                )
            lines = [first, *handle.read().split(b"\n")]
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{shown} is a directory, not a loss log") from None
    except OSError as exc:
        raise UserError(f"cannot read {shown}: {exc.strerror}") from None
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


# --------------------------------------------------------------------------- map


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project the rows of ``vectors`` on their first two principal components.

    Returns ``(coords, explained)``: n × 2 coordinates of the centred rows and the
    fraction of the total variance each component carries (numpy's SVD of the
    centred matrix). Each component's sign makes its largest coordinate positive,
    so the picture does not flip between runs; with fewer than two dimensions of
    variance the missing coordinates are 0.
    """
    centred = np.asarray(vectors, dtype=np.float64)
    centred = centred - centred.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    coords = np.zeros((centred.shape[0], 2))
    explained = np.zeros(2)
    used = min(2, components.shape[0])
    coords[:, :used] = centred @ components[:used].T
    total = float(np.sum(singular**2))
    if total > 0:
        explained[:used] = singular[:used] ** 2 / total
    for column in range(2):
        largest = np.argmax(np.abs(coords[:, column]))
        if coords[largest, column] < 0:
            coords[:, column] *= -1
    return coords, explained


@dataclass
class WordMap:
    """What ``map`` draws: the query words first, then their neighbours, each once."""

    queries: list[str]
    words: list[str]
    colour: np.ndarray  # per word: the index of the query whose colour it takes
    shared: np.ndarray  # per word: a neighbour of more than one query word
    coords: np.ndarray  # n × 2, the PCA of the words' unit vectors
    explained: np.ndarray  # the variance fraction of the two components
    neighbours: int  # asked for each query word


MAX_QUERIES = 10  # one colour each, from matplotlib's ten-colour cycle
DOT, STAR, RING = 22, 260, 90  # marker sizes (points²): a neighbour, a query word, the ring


def word_map(neighbours, queries: Sequence[str], n: int) -> WordMap:
    """The ``queries`` and the ``n`` nearest neighbours of each by cosine.

    ``neighbours`` is a :class:`~w2v_nce.query.Neighbours` (unknown words raise
    its :class:`UsageError` with close matches). A word that is a neighbour of
    several queries appears once, coloured by the query it is closest to (the
    first in order on a tie) and marked shared; a query word that is another's
    neighbour stays a query word. The projection is the PCA of the words' unit
    vectors, the vectors whose dot products the cosine neighbours rank.
    """
    queries = list(dict.fromkeys(queries))
    if len(queries) > MAX_QUERIES:
        raise UserError(
            f"at most {MAX_QUERIES} query words (one colour each), not {len(queries)}", 2
        )
    best: dict[str, tuple[float, int]] = {}  # neighbour -> (cosine, query index)
    listed: dict[str, int] = {}  # neighbour -> how many queries list it
    for index, query in enumerate(queries):
        for word, cosine in neighbours.most_similar(query, topn=n):
            listed[word] = listed.get(word, 0) + 1
            if word not in best or cosine > best[word][0]:
                best[word] = (cosine, index)
    others = [word for word in best if word not in queries]
    words = queries + others
    colour = np.array(list(range(len(queries))) + [best[w][1] for w in others], dtype=np.int64)
    shared = np.array([False] * len(queries) + [listed[w] > 1 for w in others])
    rows = [neighbours.index[word] for word in words]
    coords, explained = pca_2d(neighbours.unit[rows])
    return WordMap(queries, words, colour, shared, coords, explained, n)


def place_labels(
    boxes: np.ndarray,
    anchors: np.ndarray,
    obstacles: np.ndarray,
    bounds: tuple[float, float, float, float],
    gap: float = 1.0,
) -> np.ndarray:
    """Move each label box to the nearest spot where it overlaps nothing.

    ``boxes`` (n × 4, x0, y0, x1, y1 in pixels) are the labels where they would
    like to be, just right of their points ``anchors`` (n × 2); ``obstacles``
    (m × 4) the markers; ``bounds`` (x0, y0, x1, y1) the frame they must stay in.
    The labels are placed in order. Each considers a grid of positions around
    its own (its mirror image left of the point, and steps of half its width
    sideways and half its height up and down, up to 8 and 15 steps), nearest
    its point first (on a tie, right of the point before left), and takes the
    first that overlaps no label placed before it and no marker and stays inside
    the frame (``gap`` pixels to spare); where none is free, the one that
    overlaps least. Returns the n × 2 displacements.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    anchors = np.asarray(anchors, dtype=np.float64)
    obstacles = np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = bounds
    moves = np.zeros((len(boxes), 2))
    placed: list[np.ndarray] = []
    for i, box in enumerate(boxes):
        width, height = box[2] - box[0], box[3] - box[1]
        mirror = -(width + 2 * (box[0] - anchors[i, 0]))
        dx = np.concatenate([[0.0, mirror], np.arange(-8, 9) * width / 2])
        dy = np.arange(-15, 16) * (height / 2 + gap)
        steps = np.stack(np.meshgrid(dx, dy), axis=-1).reshape(-1, 2)
        candidates = box + np.hstack([steps, steps])
        nearest = np.clip(anchors[i], candidates[:, :2], candidates[:, 2:])
        order = np.argsort(np.hypot(*(nearest - anchors[i]).T), kind="stable")
        steps, candidates = steps[order], candidates[order]
        ox, oy = _overlaps(candidates, np.vstack([obstacles, *placed]), gap)
        overlap = np.sum(np.clip(ox, 0, None) * np.clip(oy, 0, None), axis=1)
        inside = (
            (candidates[:, 0] >= x0)
            & (candidates[:, 1] >= y0)
            & (candidates[:, 2] <= x1)
            & (candidates[:, 3] <= y1)
        )
        best = int(np.argmin(np.where(inside, overlap, np.inf)))  # the first of the least
        moves[i] = steps[best]
        placed.append(candidates[best][None, :])
    return moves


def _overlaps(a: np.ndarray, b: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """The x and y overlap of every box of ``a`` with every box of ``b`` (plus ``gap``)."""
    ox = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    oy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return ox + gap, oy + gap


def save_word_map(points: WordMap, target, title: str | None = None, source: str = "") -> None:
    """The words of ``points`` in the PCA plane, each labelled, one colour per query.

    ``source`` (the vectors' file name) goes into the default title.
    """
    figure = new_figure(11, 8)
    ax = figure.add_subplot()
    colours = [f"C{i}" for i in range(len(points.queries))]
    is_query = np.arange(len(points.words)) < len(points.queries)
    x, y = points.coords[:, 0], points.coords[:, 1]
    _set_limits(ax, x, y)
    for index, query in enumerate(points.queries):
        mine = (points.colour == index) & ~is_query
        ax.scatter(x[mine], y[mine], s=DOT, color=colours[index], zorder=2)
        ax.scatter(x[index], y[index], s=STAR, marker="*", color=colours[index],
                   edgecolors="black", linewidths=0.8, zorder=3,
                   label=f"{query} and its neighbours")  # fmt: skip
    if points.shared.any():
        ax.scatter(x[points.shared], y[points.shared], s=RING, facecolors="none",
                   edgecolors="black", linewidths=0.8, zorder=2,
                   label="a neighbour of several words,\ncoloured by the closest")  # fmt: skip
    # The legend right of the axes, which get the width it leaves: the layout is then
    # final, so the labels can be placed in pixels.
    legend = figure.legend(*ax.get_legend_handles_labels(), loc="upper right",
                           bbox_to_anchor=(0.99, 0.92), labelspacing=1.0)  # fmt: skip
    width = legend.get_window_extent(figure.canvas.get_renderer()).width / figure.bbox.width
    figure.subplots_adjust(left=0.07, right=0.97 - width, bottom=0.08, top=0.92)
    _draw_labels(figure, ax, points, is_query, colours)
    for i, label in enumerate((ax.set_xlabel, ax.set_ylabel)):
        label(f"principal component {i + 1} of the unit vectors "
              f"({points.explained[i]:.0%} of their variance)")  # fmt: skip
    where = f" in {source}" if source else ""
    ax.set_title(
        title or f"the {points.neighbours} nearest neighbours by cosine{where}, projected by PCA"
    )
    ax.grid(alpha=0.2)
    write_png(figure, target)


def _set_limits(ax, x: np.ndarray, y: np.ndarray) -> None:
    """Fixed limits with room for the labels, so the pixel layout is final."""
    for values, setter, right_margin in ((x, ax.set_xlim, 0.15), (y, ax.set_ylim, 0.06)):
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo or 1.0
        setter(lo - 0.06 * span, hi + right_margin * span)


def _draw_labels(figure, ax, points: WordMap, is_query: np.ndarray, colours) -> None:
    """Label every word of the map just right of its point, or at the nearest free spot."""
    size = np.where(is_query, STAR, np.where(points.shared, RING, DOT))
    styles = [
        {
            "fontsize": 12 if is_query[i] else 9,
            "fontweight": "bold" if is_query[i] else "normal",
            "color": "black" if is_query[i] else colours[points.colour[i]],
        }
        for i in range(len(points.words))
    ]
    draw_labels(figure, ax, points.coords, points.words, np.sqrt(size), styles)


def draw_labels(figure, ax, coords, labels, marker_points, styles) -> None:
    """Label every point (data coordinates ``coords``, n × 2) just right of it, or at the
    nearest spot where it overlaps no other label and no marker (with a grey leader
    line when it had to move far): :func:`place_labels` in pixels.

    ``marker_points`` are the markers' widths in points, ``styles`` each label's
    ``ax.text`` keywords. Call it once the axes' limits and layout are final.
    """
    renderer = figure.canvas.get_renderer()
    to_pixels = ax.transData
    coords = np.asarray(coords, dtype=np.float64)
    anchors = to_pixels.transform(coords)
    radius = (np.asarray(marker_points, dtype=np.float64) / 2 * figure.dpi / 72)[:, None]
    offset = np.hstack([radius + 2, np.zeros_like(radius)])
    texts = [
        ax.text(*coords[i], label, ha="left", va="center", zorder=4, **styles[i])
        for i, label in enumerate(labels)
    ]
    for i, text in enumerate(texts):
        text.set_position(to_pixels.inverted().transform(anchors[i] + offset[i]))
    boxes = np.array([_extent(text.get_window_extent(renderer)) for text in texts])
    markers = np.hstack([anchors - radius, anchors + radius])
    frame = _extent(ax.get_window_extent(renderer))
    bounds = (frame[0] + 2, frame[1] + 2, frame[2] - 2, frame[3] - 2)
    moves = place_labels(boxes, anchors, markers, bounds)
    back = to_pixels.inverted()
    for i, text in enumerate(texts):
        text.set_position(back.transform(anchors[i] + offset[i] + moves[i]))
        box = boxes[i] + np.tile(moves[i], 2)
        nearest = np.clip(anchors[i], box[:2], box[2:])  # of the label, to its point
        if np.hypot(*(nearest - anchors[i])) > radius[i, 0] + 6:  # far: draw a leader
            line = back.transform(np.array([anchors[i], nearest]))
            ax.plot(line[:, 0], line[:, 1], color="grey", linewidth=0.6, zorder=1)


def _extent(bbox) -> tuple[float, float, float, float]:
    return bbox.x0, bbox.y0, bbox.x1, bbox.y1
