"""The ``plot-loss`` and ``map`` commands (registered in cli.py with ``cli.add_command``).

Thin: the figures are drawn, and their data prepared, in :mod:`w2v_nce.evaluation.plots`.
Like cli.py, heavy modules are imported inside the commands. Each checks its
output before reading anything: matplotlib importable, the PNG's directory
writable, the PNG not one of the inputs.
"""

from __future__ import annotations

import os

import click

from w2v_nce.cli.options import number_option, vectors_option
from w2v_nce.errors import UsageError


def output_option(command):
    return click.option(
        "-o", "--output", required=True, metavar="PATH.png", help="Where to write the PNG."
    )(command)


def title_option(command):
    return click.option(
        "--title", default=None, help="The figure's title.  [default: says what it shows]"
    )(command)


def check_output(output: str, inputs, what: str) -> None:
    """Fail now, before any reading, if the PNG cannot be written or would destroy an input."""
    from w2v_nce.evaluation.plots import image_format, require_matplotlib
    from w2v_nce.io.atomic import check_writable_output

    for path in inputs:
        if os.path.realpath(path) == os.path.realpath(output):
            raise UsageError(f"-o {output} is also an input; writing it would destroy it")
    require_matplotlib(what)
    check_writable_output(output)
    image_format(output)


def _count(n: int, noun: str) -> str:
    """'1 log', '2 logs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@click.command("plot-loss")
@click.argument("logs", nargs=-1, required=True, metavar="LOG.tsv...")
@output_option
@click.option(
    "--x",
    "x_axis",
    type=click.Choice(["words", "seconds"]),
    default="words",
    show_default=True,
    help="The horizontal axis: corpus words processed, or seconds of training.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    help="The legend's name for each log, in the order of the logs (one per log).  "
    "[default: the file names]",
)
@title_option
def plot_loss(logs, output, x_axis, labels, title):
    """Draw the --loss-log files of training runs on one axes, to compare them.

    \b
    The mean loss per pair (CBOW: per centre word) of each progress interval,
    against the corpus words processed (or --x seconds):
      w2v-nce train corpus.txt --loss nce --k 25 --loss-log nce.tsv
      w2v-nce train corpus.txt --loss neg --loss-log neg.tsv
      w2v-nce plot-loss nce.tsv neg.tsv -o loss.png
    """
    from w2v_nce.evaluation.plots import read_loss_log, save_loss_curves

    if labels and len(labels) != len(logs):
        raise UsageError(
            f"give one --label per log: {_count(len(logs), 'log')}, {_count(len(labels), 'label')}"
        )
    check_output(output, logs, "plot-loss")
    curves = [read_loss_log(path) for path in logs]
    save_loss_curves(curves, labels or default_labels(logs), output, x=x_axis, title=title)
    click.echo(f"wrote {output}")


def default_labels(paths) -> list[str]:
    """The file names, or the paths as given when two logs share a file name."""
    names = [os.path.basename(path) for path in paths]
    return names if len(set(names)) == len(names) else list(paths)


@click.command("map")
@click.argument("words", nargs=-1, required=True)
@vectors_option()
@output_option
@number_option(
    "--neighbours",
    8,
    1,
    "How many nearest neighbours (by cosine, as most-similar) of each word to draw.",
    high=50,
)
@title_option
def word_map(words, vectors, output, neighbours, title):
    """Draw WORDS and their nearest neighbours in 2-D (PCA), one colour per word.

    \b
    The neighbours are most-similar's (cosine); the query words and their
    neighbours are projected on the first two principal components of their
    unit vectors. A neighbour of several words is drawn once, in the colour
    of the word it is closest to, circled:
      w2v-nce map king dog music water --vectors model.npz -o map.png
    """
    from w2v_nce.evaluation.plots import save_word_map
    from w2v_nce.evaluation.plots import word_map as select
    from w2v_nce.model import load
    from w2v_nce.query import Neighbours

    check_output(output, [vectors], "map")
    model = load(vectors)
    index = Neighbours(model.vocab, model.vectors)
    points = select(index, words, neighbours)
    if index.zero_vectors:
        from w2v_nce.cli.options import note_zero_vectors

        note_zero_vectors(index, vectors)
    save_word_map(points, output, title=title, source=os.path.basename(vectors))
    click.echo(f"wrote {output}")


__all__ = ["plot_loss", "word_map"]
