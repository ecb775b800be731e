"""The ``keywords`` command (registered in cli.py with ``cli.add_command``).

A thin layer on :mod:`w2v_nce.keywords`, which does the work for
:meth:`Model.keywords <w2v_nce.model.Model.keywords>` too. Like cli.py, numpy
and the rest are imported inside the command, so ``w2v-nce --help`` stays instant.
"""

from __future__ import annotations

import json

import click

from w2v_nce.cli.options import encoding_errors_option, existing, topn_option
from w2v_nce.errors import UsageError


@click.command()
@click.argument("text", nargs=-1)
@click.option(
    "--vectors",
    default="model.npz",
    show_default=True,
    callback=existing("'train --save-model' writes one"),
    help="The .npz model written by 'train --save-model' (keywords read its output vectors; "
    "a word2vec file does not hold them).",
)
@click.option(
    "--file",
    "path",
    default=None,
    metavar="PATH",
    help="A document: each line is one text, ranked on its own (plain, .gz, .bz2; - for "
    "stdin).  [default: none]",
)
@topn_option("How many keywords per text; 0 for every word.", low=0)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print a JSON list of {"word", "score"} objects (with --file or -, a list of them '
    "per line).",
)
@encoding_errors_option("Invalid UTF-8 in --file or stdin: stop, or replace/drop the bad bytes.")
def keywords(text, vectors, path, topn, as_json, encoding_errors):
    """Rank the words of TEXT by how well each predicts the rest of it.

    \b
    score(w) = Σ over the text's other tokens c of log p(c|w) = log p(text | w),
    from the model's output vectors; prints word<TAB>score, best first, each word
    once. Several TEXT arguments are one text; - alone reads stdin, one text per
    line, like --file:
      w2v-nce keywords a dog barked at the cat --vectors model.npz
      w2v-nce keywords --file glosses.txt --topn 3 --json
    """
    from w2v_nce.io.corpus import source_name
    from w2v_nce.keywords import document_keywords, read_lines, text_keywords
    from w2v_nce.model import load

    if text == ("-",):
        if path is not None:
            raise UsageError("give - (stdin) or --file, not both")
        path = "-"
    elif text and path is not None:
        raise UsageError("give TEXT or --file, not both")
    elif not text and path is None:
        raise UsageError("give a TEXT (several words are one text), - for stdin, or --file PATH")
    model = load(vectors)
    if path is None:
        ranked, notes = text_keywords(model, " ".join(text), topn)
    else:
        lines = read_lines(path, encoding_errors)
        per_line, notes = document_keywords(model, lines, topn, source_name(path))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if path is None:
        if as_json:
            click.echo(json.dumps(_objects(ranked), indent=2, ensure_ascii=False))
        else:
            _print(ranked)
        return
    if as_json:
        listed = [_objects(ranked or []) for ranked in per_line]
        click.echo(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    first = True
    for number, ranked in enumerate(per_line, 1):
        if ranked is None:  # a blank line
            continue
        click.echo(f"{'' if first else chr(10)}# line {number}")
        first = False
        _print(ranked)


def _objects(ranked) -> list[dict]:
    return [{"word": word, "score": score} for word, score in ranked]


def _print(ranked) -> None:
    for word, score in ranked:
        click.echo(f"{word}\t{score:.4f}")


__all__ = ["keywords"]
