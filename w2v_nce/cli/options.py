"""Click options built from the one table of options in :mod:`w2v_nce.params`.

Each option's range, default and help are defined once, so they cannot drift
apart between commands (``compare`` must accept exactly what ``train`` does) or
between the command line and the Python API. Values are checked by the same
:meth:`Param.check <w2v_nce.params.Param.check>` the API uses, which raises the
package's :class:`~w2v_nce.errors.UsageError`: the message is the same from both.
Importing this module costs only click (no numpy, no numba): it runs at every
``--help``.
"""

from __future__ import annotations

import os

import click

from w2v_nce.errors import UserError
from w2v_nce.params import HYPERPARAMETERS, RUN_OPTIONS, Param

ALL_HYPERPARAMETERS = tuple(HYPERPARAMETERS)


class Checked(click.ParamType):
    """A click type that validates with :meth:`Param.check` (the API's check)."""

    def __init__(self, param: Param):
        self.param = param
        self.name = {int: "integer", float: "number", bool: "flag"}.get(param.kind, "text")
        if param.choices:
            self.name = "[" + "|".join(param.choices) + "]"

    def convert(self, value, param, ctx):
        # The command line hands over text, which the check converts like an API value.
        return self.param.check(value)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(c) for c in self.param.choices if c.startswith(incomplete)]

    def get_metavar(self, param, ctx=None):
        if self.param.choices:
            return "[" + "|".join(self.param.choices) + "]"
        return {int: "INTEGER", float: "FLOAT", "duration": "DURATION", "path": "PATH"}.get(
            self.param.kind
        )


def click_option(param: Param, help: str | None = None, default=None, has_default=False):
    """The click option for ``param``; ``help``/``default`` override the table's for one command.

    The help ends with click's usual ``[default: ...; range]``, written here because
    the values are checked by the table, not by click's range types.
    """
    value = default if has_default else param.default
    shown = value if has_default or not param.default_text else None
    if param.kind is bool:
        flags = param.flags[-1]
        shown = flags.split("/")[0 if value else 1].lstrip("-") if "/" in flags else None
    elif shown is None:
        shown = param.default_text or "none"
    extra = [f"default: {shown}"] if shown is not None else []
    if describe_range(param):
        extra.append(describe_range(param))
    text = (help or param.help) + (f"  [{'; '.join(extra)}]" if extra else "")
    if param.kind is bool:
        flag = {} if "/" in flags else {"is_flag": True}
        return click.option(*param.flags, param.name, default=value, help=text, **flag)
    return click.option(*param.flags, param.name, type=Checked(param), default=value, help=text)


def describe_range(param: Param) -> str:
    """click's notation for a numeric range: x>=1, 1<=x<=10000, x>0."""
    if param.low is None and param.high is None:
        return ""
    low = "" if param.low is None else f"{param.low:g}{'<' if param.low_open else '<='}"
    high = "" if param.high is None else f"<={param.high:g}"
    if not high:
        return f"x{'>' if param.low_open else '>='}{param.low:g}"
    return f"{low}x{high}"


def hyperparameters(*names: str, defaults: dict | None = None, **help_overrides: str):
    """A decorator adding the named hyperparameter options, in that order, to a command.

    ``help_overrides`` replaces the help of an option for one command (``compare``
    says what gensim calls it), ``defaults`` its default (``nce-table`` turns
    subsampling off). Each option shows its default in ``--help``.
    """
    defaults = defaults or {}
    unknown = (set(names) | set(help_overrides) | set(defaults)) - set(HYPERPARAMETERS)
    if unknown or (set(help_overrides) | set(defaults)) - set(names):
        raise ValueError(f"unknown hyperparameters {sorted(unknown or help_overrides)}")

    def decorate(command):
        for name in reversed(names):
            command = click_option(
                HYPERPARAMETERS[name],
                help=help_overrides.get(name),
                default=defaults.get(name),
                has_default=name in defaults,
            )(command)
        return command

    return decorate


def run_option(name: str, help: str | None = None):
    """A non-hyperparameter option of the table (``--encoding-errors``, ``--tmp-dir``, ...)."""
    return click_option(RUN_OPTIONS[name], help=help)


def encoding_errors_option(help: str | None = None):
    return run_option("encoding_errors", help)


def vectors_option():
    """--vectors, for the commands that answer from saved vectors."""
    return click.option(
        "--vectors",
        default="vectors.txt",
        show_default=True,
        callback=existing("'train -o' writes vectors, 'train --save-model' a model"),
        help="word2vec text or binary file, or a .npz model.",
    )


def existing(made_by: str):
    """A click callback: a --vectors file that is not there names the option and what
    writes one (the default's bare 'vectors.txt: no such file' did not say either)."""

    def check(ctx, param, value):
        if value and not os.path.exists(value):
            raise UserError(f"{value}: no such file; give --vectors FILE ({made_by})")
        return value

    return check


def number_option(flag: str, default: int, low: int, help: str, high: int | None = None):
    """A command's own integer option (not a training option), checked as the table's
    are: a value out of range gets the message of ``--dim 0`` (``--topn must be an
    integer ≥ 1, not 0``), not click's range wording; the help ends as theirs."""
    name = flag.lstrip("-").replace("-", "_")
    param = Param(name, (flag,), int, default, help, low=low, high=high)
    text = f"{help}  [default: {default}; {describe_range(param)}]"
    return click.option(flag, type=Checked(param), default=default, help=text)


def topn_option(help: str, low: int = 1):
    return number_option("--topn", 10, low, help)


def note_out_of_vocabulary(model, words) -> None:
    """The note that query words out of a subword model's vocabulary got vectors from
    their n-grams."""
    note = model.neighbours.oov_note(words)
    if note:
        click.echo(f"note: {note}", err=True)


def note_zero_vectors(model, path) -> None:
    """The note that a file's all-zero vectors are left out of the neighbours."""
    if zeros := model.zero_vectors:
        click.echo(
            f"note: {path} has {zeros:,} zero vector{'' if zeros == 1 else 's'} "
            "(all components 0); they are left out of the neighbours",
            err=True,
        )
