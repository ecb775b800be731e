"""Click options shared by the commands that train (train, compare, nce-table).

One definition of each hyperparameter, so that its range, default and help cannot
drift apart between commands: ``compare`` must accept exactly what ``train`` does,
and a value ``train`` refuses must not slip through another command. Importing this
module costs only click (no numpy, no numba): it runs at every ``--help``.
"""

from __future__ import annotations

import math
import os

import click

MAX_WINDOW = 10_000  # a sentence has at most 10,000 tokens (corpus.MAX_SENTENCE_TOKENS)
MAX_NOISE_POWER = 10.0  # count^power must stay a finite float64
LOSSES = ("neg", "nce", "softmax", "infonce")


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


_HYPERPARAMETERS: dict[str, tuple[tuple[str, ...], dict]] = {
    "loss": (
        ("--loss",),
        dict(
            default="neg",
            type=click.Choice(LOSSES),
            help="neg: word2vec negative sampling; nce: noise-contrastive estimation (Z = 1); "
            "softmax: exact full softmax; infonce: sampled softmax over the positive and k "
            "noise words.",
        ),
    ),
    "k": (
        ("-k", "--k", "k"),
        dict(default=5, type=click.IntRange(min=1), help="Noise words per positive pair."),
    ),
    "dim": (("--dim",), dict(default=100, type=click.IntRange(min=1), help="Vector dimension.")),
    "window": (
        ("--window",),
        dict(
            default=5,
            type=click.IntRange(1, MAX_WINDOW),
            help="Maximum context distance (the effective window is uniform in 1..window).",
        ),
    ),
    "epochs": (
        ("--epochs",),
        dict(default=5, type=click.IntRange(min=1), help="Passes over the corpus."),
    ),
    "min_count": (
        ("--min-count",),
        dict(default=5, type=click.IntRange(min=1), help="Drop words occurring fewer times."),
    ),
    "max_vocab": (
        ("--max-vocab",),
        dict(
            default=None,
            type=click.IntRange(min=1),
            help="Keep only the most frequent words.  [default: no limit]",
        ),
    ),
    "sample": (
        ("--sample",),
        dict(
            default=1e-3,
            type=FiniteFloatRange(min=0),
            help="Subsampling threshold for frequent words; 0 turns it off.",
        ),
    ),
    "alpha": (
        ("--alpha",),
        dict(
            default=0.025,
            type=FiniteFloatRange(min=0, min_open=True),
            help="Initial learning rate.",
        ),
    ),
    "min_alpha": (
        ("--min-alpha",),
        dict(
            default=0.0001,
            type=FiniteFloatRange(min=0),
            help="Final learning rate (linear decay by global progress).",
        ),
    ),
    "noise_power": (
        ("--noise-power",),
        dict(
            default=0.75,
            type=FiniteFloatRange(0, MAX_NOISE_POWER),
            help="Noise distribution q(w) ∝ count(w)^power.",
        ),
    ),
    "share_negatives": (
        ("--share-negatives/--no-share-negatives",),
        dict(
            default=True,
            help="neg/nce: the contexts of one centre word share their k noise draws "
            "(Ji et al. 2016): fewer random memory accesses, same per-pair terms.",
        ),
    ),
    "base": (
        ("--base",),
        dict(
            type=click.Choice(["auto", "unigram", "none"]),
            default="auto",
            help="Base measure b_c in the score u_w·v_c + b_c: unigram (b_c = log P(c), so "
            "the vectors learn PMI) or none. auto: none for neg, unigram for nce, softmax, "
            "infonce.",
        ),
    ),
    "threads": (
        ("--threads",),
        dict(
            default=os.cpu_count() or 1,
            type=click.IntRange(min=1),
            help="Worker threads (Hogwild).",
        ),
    ),
    "seed": (
        ("--seed",),
        dict(
            default=1,
            type=click.IntRange(min=0),
            help="Random seed; with --threads 1 the result is bit-for-bit reproducible.",
        ),
    ),
}

ALL_HYPERPARAMETERS = tuple(_HYPERPARAMETERS)


def hyperparameters(*names: str, defaults: dict | None = None, **help_overrides: str):
    """A decorator adding the named hyperparameter options, in that order, to a command.

    ``help_overrides`` replaces the help of an option for one command (``compare``
    says what gensim calls it), ``defaults`` its default (``nce-table`` turns
    subsampling off). Each option shows its default in ``--help``.
    """
    defaults = defaults or {}
    unknown = set(names) - set(_HYPERPARAMETERS)
    if unknown or (set(help_overrides) | set(defaults)) - set(names):
        raise ValueError(f"unknown hyperparameters {sorted(unknown or help_overrides)}")

    def decorate(command):
        for name in reversed(names):
            decls, kwargs = _HYPERPARAMETERS[name]
            kwargs = dict(kwargs, show_default=True)
            if name in help_overrides:
                kwargs["help"] = help_overrides[name]
            if name in defaults:
                kwargs["default"] = defaults[name]
            command = click.option(*decls, **kwargs)(command)
        return command

    return decorate


def encoding_errors_option(
    help: str = "What to do with invalid UTF-8: stop, or replace/drop the bad bytes.",
):
    return click.option(
        "--encoding-errors",
        default="strict",
        show_default=True,
        type=click.Choice(["strict", "replace", "ignore"]),
        help=help,
    )


def vectors_option():
    """--vectors, for the commands that answer from saved vectors."""
    return click.option(
        "--vectors",
        default="vectors.txt",
        show_default=True,
        help="word2vec text or binary file, or a .npz model.",
    )


def topn_option(help: str):
    return click.option(
        "--topn", default=10, show_default=True, type=click.IntRange(min=1), help=help
    )
