"""The Python API: train a model, load one, and what a model answers.

    import w2v_nce
    model = w2v_nce.train("corpus.txt.gz", loss="nce", k=64, threads=2, seed=1)
    model = w2v_nce.train(sentences)                  # any iterable of lists of str tokens
    model.wv                                          # gensim's KeyedVectors of the vectors
    model.most_similar("king", topn=10)               # [(word, cosine)]
    model.context("dog", topn=10)                     # [(word, score, p(c|w))]
    model.keywords("a dog barked at the cat")         # [(word, log p(text | word))]
    w2v_nce.evaluate(model)                           # the dict of `w2v-nce evaluate --json`
    w2v_nce.evaluate("model.npz", pairs="mine.tsv")   # a path for either, as the CLI's
    model.save("model.npz"); model = w2v_nce.load("model.npz")
    model.save_word2vec_format("vectors.txt", binary=False)
    model = w2v_nce.train("more.txt", init=model, update_vocab=True, epochs=2)

Every keyword of :func:`train` is the ``w2v-nce train`` option of the same name
(underscores for dashes) with the same default and the same check: a mistake
raises :class:`w2v_nce.UserError` (a ``ValueError``) with the message the command
line prints. The library prints nothing but the progress bar (``progress=False``
silences it); what the command line prints as information goes to the
``w2v_nce`` logger, its warnings are :class:`W2VNceWarning`\\ s. Ctrl-C stops
training within a second and raises :class:`w2v_nce.TrainingInterrupted`, a
``KeyboardInterrupt`` whose ``.model`` is the model trained so far.

Where the work is done:

* :mod:`w2v_nce.training.pipeline` -- a training run, for this API and the CLI alike
  (:mod:`~w2v_nce.training.trainer` the schedule and threads, :mod:`~w2v_nce.kernels` the
  arithmetic, :mod:`~w2v_nce.io.encode` and :mod:`~w2v_nce.io.corpus` the corpus,
  :mod:`~w2v_nce.training.checkpoint` crash-safe checkpoints);
  :mod:`w2v_nce.training.distributed` the same run on a Dask cluster (``workers=``,
  ``client=``);
* :class:`w2v_nce.model.Model` -- the model, its scores and p(c|w);
* :mod:`w2v_nce.query`, :mod:`w2v_nce.evaluation`, :mod:`w2v_nce.keywords` --
  neighbours, evaluation, keywords;
* :mod:`w2v_nce.io.word2vec_format` -- the word2vec files.
"""

from __future__ import annotations

import inspect

from w2v_nce.errors import W2VNceWarning
from w2v_nce.model import Model, load
from w2v_nce.params import HYPERPARAMETERS, RUN_OPTIONS
from w2v_nce.training.distributed import train as _train

__all__ = ["Model", "W2VNceWarning", "evaluate", "load", "train"]


def train(corpus, *, progress: bool = True, client=None, **options) -> Model:
    """Train word vectors on ``corpus``: a path (plain, .gz, .bz2; "-" for stdin) or any
    iterable of sentences, each a list of str tokens. Returns the :class:`Model`.

    ``init=model`` (a Model or the path of a .npz) continues training it on the new
    corpus; ``update_vocab=True`` also adds the new corpus's words. With
    ``checkpoint="ck.npz"`` the run's state is saved every ``checkpoint_every``
    seconds and on Ctrl-C, and the same call resumes from it (the checkpoint is
    removed when training finishes). ``workers=N`` trains on N Dask worker processes,
    ``client=`` (a ``dask.distributed.Client``) on its cluster (docs/distributed.md).
    The options, their defaults and their help:
    ``w2v-nce train --help``; ``model.config`` records the values used.
    """
    run = _train(corpus, options, progress=progress, client=client)
    run.finish()
    return run.model


def _signature() -> inspect.Signature:
    """train's signature from the one table of options, for help() and editors."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("corpus", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("progress", keyword, default=True),
        inspect.Parameter("client", keyword, default=None),
    ]
    for name, param in {**HYPERPARAMETERS, **RUN_OPTIONS}.items():
        parameters.append(inspect.Parameter(name, keyword, default=param.default))
    return inspect.Signature(parameters, return_annotation=Model)


def _keywords_doc() -> str:
    """train's keywords and their help, from the one table of options (what
    ``w2v-nce train --help`` says), appended to its docstring for help()."""
    import textwrap

    lines = ["", "Keywords (the options of ``w2v-nce train``, same defaults and checks):", ""]
    for name, param in {**HYPERPARAMETERS, **RUN_OPTIONS}.items():
        default = param.default_text or repr(param.default)
        lines.append(f"{name} = {default}")
        lines += textwrap.wrap(param.help, 84, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


train.__signature__ = _signature()
train.__doc__ = (train.__doc__ or "") + _keywords_doc()


def evaluate(model, corpus=None, **options) -> dict:
    """The scores of ``w2v-nce evaluate --json`` for ``model``: the same dict.

    ``model`` is a :class:`Model` or the path of one (a .npz, or a word2vec file's
    vectors), loaded as ``w2v-nce evaluate MODEL`` loads it. ``corpus`` (a path) adds
    the PMI check and the alignment and uniformity; ``options`` are ``evaluate``'s,
    with its defaults and checks: pairs (a path, or a list of paths), analogies (a
    path), pmi_top, pmi_min_count, encoding_errors; a mistake raises the
    :class:`w2v_nce.UserError` whose message the command line prints. A function here
    rather than a method of :class:`Model`: evaluation sits above the model in the
    package's layers.
    """
    import warnings

    from w2v_nce.evaluation import evaluate_model

    result = evaluate_model(model, corpus, **options)
    for note in result.notes:
        warnings.warn(note, W2VNceWarning, stacklevel=2)
    return result.as_json()
