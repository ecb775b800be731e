"""From a corpus to a trained model: what ``w2v-nce train`` and ``w2v_nce.train()`` both do.

The one layer that owns a training run, so that the command line and the Python
API are two thin front ends on it. :func:`train` is three steps:

1. :func:`prepare` -- before the corpus is read: validate the options (the same
   checks and messages for every front end), complete them from an ``init``
   model, check every path, remove what killed runs left behind, and load the
   checkpoint to resume from;
2. :func:`encode` and :func:`check_encoded` -- the corpus, encoded with the run's
   vocabulary rule;
3. :func:`train_planned` -- estimate the memory (and the softmax's time), build or
   resume the model (:mod:`~w2v_nce.model`), train it (:mod:`~w2v_nce.training.trainer`)
   writing checkpoints and the loss log, and record its config and lineage.

``nce-table`` and ``compare`` train on corpora they encode themselves: they take
steps 1 and 2 with :func:`resolve_run` and :func:`encode`, and step 3 with
:func:`train_encoded`.

Nothing here prints: informational lines go to ``messages.info`` and warnings to
``messages.warn`` (the CLI prints both to stderr; the library logs the first to
the ``w2v_nce`` logger and issues the second as a :class:`W2VNceWarning`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from w2v_nce import faults, memory
from w2v_nce.errors import TrainingInterrupted, UsageError, UserError, W2VNceWarning
from w2v_nce.io.loss_log import LossLog
from w2v_nce.losses import Loss
from w2v_nce.model import Model, TrainStats, continued_model, new_model
from w2v_nce.params import FIXED_BY_MODEL, HYPERPARAMETERS, INHERITED, RUN_OPTIONS, TrainConfig
from w2v_nce.params import check_options as _check_options
from w2v_nce.training import checkpoint
from w2v_nce.training.trainer import RunState, spec_for
from w2v_nce.training.trainer import train as run_training
from w2v_nce.version import __version__

log = logging.getLogger("w2v_nce")
log.addHandler(logging.NullHandler())

TRAIN_OPTIONS = {**HYPERPARAMETERS, **RUN_OPTIONS}
#: Run options that change what is computed: a checkpoint must have been made with them.
RESULT_OPTIONS = ("encoding_errors", "update_vocab")


@dataclass
class Messages:
    info: Callable[[str], None]
    warn: Callable[[str], None]


def _warn(message: str) -> None:
    warnings.warn(message, W2VNceWarning, stacklevel=4)


LIBRARY = Messages(info=log.info, warn=_warn)


@dataclass
class Run:
    """A finished training run: the model, its statistics and its checkpoint file."""

    model: Model
    stats: TrainStats
    checkpoint: str | None
    resumed: str | None = None  # "epoch 3 of 5, 41%" when it resumed from a checkpoint
    save_checkpoint: Callable[[], str] | None = None  # the finished state, for a crash later

    def finish(self) -> None:
        """The outputs are safe: remove the checkpoint."""
        if self.checkpoint:
            checkpoint.remove(self.checkpoint)


@dataclass
class Plan:
    """A run as step 1 settles it, before the corpus is read."""

    config: TrainConfig
    run: dict  # the run options (checkpoint, tmp_dir, loss_log, ...), validated
    base: Model | None = None  # the model to continue (init)
    corpus: object = None  # the corpus as given: a path, "-" or an iterable of token lists
    resume: checkpoint.Checkpoint | None = None

    @property
    def source(self) -> str:
        return describe_source(self.corpus)

    @property
    def checkpoint_path(self) -> str | None:
        return self.run.get("checkpoint")

    def identity(self) -> dict:
        """The options a checkpoint must have been made with."""
        return {**self.config.as_dict(), **{name: self.run.get(name) for name in RESULT_OPTIONS}}

    def vocabulary(self):
        """The vocabulary rule of an ``init`` run (its model's words, maybe updated); None
        for a new model (the config's min-count and max-vocab)."""
        if self.base is None:
            return None
        from w2v_nce.vocab import Merged, Vocabulary

        return Merged(
            Vocabulary(list(self.base.vocab), np.asarray(self.base.counts, dtype=np.int64)),
            update=bool(self.run.get("update_vocab")),
            min_count=self.config.min_count,
            max_vocab=self.config.max_vocab,
        )


def train(
    corpus,
    options: dict,
    *,
    progress: bool = True,
    messages: Messages = LIBRARY,
    outputs: tuple[str, ...] = (),
) -> Run:
    """Train a model on ``corpus`` (a path, ``-`` for stdin, or an iterable of token lists).

    ``options`` are ``train``'s (``w2v-nce train --help``); ``init`` may also be a
    Model. ``outputs`` are the files the caller will write (the CLI's), for the
    clean-up of what killed runs left beside them. Raises :class:`UserError` for
    mistakes and :class:`TrainingInterrupted` on Ctrl-C/SIGTERM.
    """
    plan = prepare(corpus, options, messages, outputs)
    with encode(corpus, plan.config, plan.run, plan.vocabulary()) as encoded:
        check_encoded(encoded, plan, messages)
        return train_planned(plan, encoded, progress, messages)


# --------------------------------------------------------------------------- 1. the plan


def prepare(corpus, options: dict, messages: Messages, outputs: tuple[str, ...] = ()) -> Plan:
    """Step 1: the options resolved, the paths checked, the checkpoint to resume from."""
    check_corpus_type(corpus)
    plan = resolve(options, corpus)
    for note in ignored_options(options, plan.config.loss_record):
        messages.info(f"note: {note}")
    check_paths(plan, outputs, messages)
    plan.resume = checkpoint_to_resume(plan, messages)
    return plan


# Options that act only beside another one: given without it, a note says they are ignored.
ACTS_WITH = {
    "buckets": ("subwords",),
    "checkpoint_every": ("checkpoint",),
    "sync_every": ("workers", "scheduler"),
}


# Options that act only with some losses: the loss record's field that says whether it
# uses them, and what a loss without it does instead.
LOSS_USES = {
    "k": ("uses_k", "draws no noise words"),
    "noise_power": ("uses_k", "draws no noise words"),
    "share_negatives": ("share_negatives", "has no noise words to share"),
    "noise_group": ("noise_groups", "scores one centre word at a time"),
}


def ignored_options(options: dict, record: Loss) -> list[str]:
    """What to say of the given ``options`` that nothing will use: those the loss
    ``record`` does not use (LOSS_USES), those without their partner (ACTS_WITH), and
    --noise-group without shared noise words (a group shares one set)."""
    notes = []
    for name, (field_name, instead) in LOSS_USES.items():
        if name in options and not getattr(record, field_name):
            flag = "-k" if name == "k" else TRAIN_OPTIONS[name].flag
            if name == "share_negatives" and options[name] is False:
                flag = "--no-share-negatives"
            notes.append(f"--loss {record.name} {instead}; {flag} is ignored")
    sharing = options.get("share_negatives", True) is not False
    if "noise_group" in options and record.noise_groups and not sharing:
        notes.append("--noise-group acts only with --share-negatives; it is ignored")
    for name, partners in ACTS_WITH.items():
        if name in options and not any(options.get(p) is not None for p in partners):
            needed = " or ".join(TRAIN_OPTIONS[p].flag for p in partners)
            notes.append(f"{TRAIN_OPTIONS[name].flag} acts only with {needed}; it is ignored")
    return notes


def resolve(options: dict, corpus=None) -> Plan:
    """``train``'s options validated, and with ``init`` completed from that model."""
    options = dict(options)
    init = options.pop("init", None)
    if isinstance(init, Model):
        hyper, run = check_options(options)
    elif init is not None and not isinstance(init, str | os.PathLike):
        from w2v_nce.query import a_type

        raise UsageError(
            f"init must be a Model or the path of a model (--init FILE.npz), not {a_type(init)}"
        )
    else:
        hyper, run = check_options({**options, "init": init})
        init = run.pop("init")
    base = load_init(init) if init is not None else None
    config = resolve_config(hyper, base, run.get("update_vocab", False))
    return Plan(config, run, base, corpus)


def resolve_run(options: dict) -> Plan:
    """Step 1 for a command that trains on a corpus it encodes itself (``nce-table``'s
    split, ``compare``'s plain copy): the options resolved as :func:`train` resolves
    them and ``tmp_dir`` checked."""
    from w2v_nce.io.encode import check_tmp_dir

    plan = resolve(options)
    check_tmp_dir(plan.run.get("tmp_dir"))
    return plan


def check_options(options: dict) -> tuple[dict, dict]:
    """Split and validate ``train``'s options: (hyperparameters, run options)."""
    options = _check_options(options, TRAIN_OPTIONS)
    hyper = {k: v for k, v in options.items() if k in HYPERPARAMETERS}
    run = {k: v for k, v in options.items() if k in RUN_OPTIONS}
    return hyper, run


def check_corpus_type(corpus) -> None:
    """A path or an iterable of sentences (a UsageError naming what was given instead)."""
    if isinstance(corpus, str | os.PathLike) or (
        isinstance(corpus, Iterable) and not isinstance(corpus, bytes | bytearray | dict)
    ):
        return
    from w2v_nce.query import a_type

    raise UsageError(
        f"the corpus must be a path (str or Path; '-' for stdin) or an iterable of "
        f"sentences (lists of str tokens), not {a_type(corpus)}"
    )


def describe_source(corpus) -> str:
    if isinstance(corpus, str | os.PathLike):
        return "<stdin>" if os.fspath(corpus) == "-" else os.fspath(corpus)
    return "<sentences>"


def _is_file(corpus) -> bool:
    return isinstance(corpus, str | os.PathLike) and os.fspath(corpus) != "-"


def resolve_config(hyper: dict, base: Model | None, update_vocab: bool) -> TrainConfig:
    """The run's config: the given options, completed from the ``base`` model when continuing.

    Options a model fixes (model, loss, dim, base) default to the model's and may not
    differ; those that shape what it learns (k, window, ...) default to the model's.
    """
    if base is None:
        if update_vocab:
            raise UsageError("--update-vocab adds words to a model: give the model with --init")
        return TrainConfig(**hyper).validate()
    saved = base.config
    for name in FIXED_BY_MODEL:
        if name == "model" and name not in saved:
            saved = {**saved, "model": "skipgram"}  # models of 0.1 were all skip-gram
        if name in hyper and name in saved and hyper[name] != saved[name]:
            if not (name == "base" and hyper[name] == "auto"):
                raise UsageError(
                    f"--{name} {hyper[name]} conflicts with the --init model's {name} "
                    f"{saved[name]}; drop --{name} (continued training keeps the model's)"
                )
        if name in saved and (name not in hyper or name == "base"):
            hyper[name] = saved[name]
    for name in INHERITED:
        if name not in hyper and name in saved:
            hyper[name] = saved[name]
    config = TrainConfig(**hyper).validate()
    if update_vocab and config.loss_record.tree:
        raise UsageError(
            "--update-vocab cannot add words to an hs model: its Huffman tree is fixed by "
            "training; continue without --update-vocab, or train a new model"
        )
    return config


def load_init(init) -> Model:
    """The model to continue training: a Model, or the path of a .npz."""
    if isinstance(init, Model):
        model = init
    else:
        from w2v_nce.model import is_zip, load

        whole = (
            "continued training needs the whole model (both matrices and the counts): "
            "give the .npz written by 'train --save-model'"
        )
        if isinstance(init, str | os.PathLike):
            shown = os.fspath(init)
            if not os.path.exists(shown):
                raise UserError(f"--init {shown}: no such file; {whole}")
            if os.path.isdir(shown):
                raise UserError(f"--init {shown} is a directory; {whole}")
            if os.path.isfile(shown) and not is_zip(shown):
                # not read as a word2vec file first: its errors would suggest one would do
                raise UsageError(f"--init {shown}: not a w2v-nce model; {whole}")
        model = load(init)
        if model.output is None:
            raise UsageError(f"--init {init}: {whole}")
    model.require_output("--init (continued training)")
    return model


def check_paths(plan: Plan, outputs: tuple[str, ...], messages: Messages) -> None:
    """What can be checked before reading the corpus; what killed runs left, removed."""
    from w2v_nce.io.atomic import check_distinct, check_writable_output, remove_stale
    from w2v_nce.io.corpus import check_corpus
    from w2v_nce.io.encode import check_tmp_dir

    corpus, ck_path = plan.corpus, plan.checkpoint_path
    check_distinct([("checkpoint", ck_path), ("loss_log", plan.run.get("loss_log"))])
    rereadable = _is_file(corpus) and check_corpus(os.fspath(corpus))
    if ck_path and not rereadable:
        raise UsageError(
            f"--checkpoint needs a corpus that can be read again, and {plan.source} cannot: "
            "write it to a file first (a .gz or .bz2 file is read as it is)"
        )
    tmp_dir = plan.run.get("tmp_dir")
    check_tmp_dir(tmp_dir)
    if ck_path:
        check_writable_output(ck_path)
    removed = remove_stale([*outputs, *([ck_path] if ck_path else [])], tmp_dir)
    if removed:
        messages.info(
            f"removed {len(removed)} file(s) left by killed runs: {', '.join(removed[:3])}"
            + (" ..." if len(removed) > 3 else "")
        )


def checkpoint_to_resume(plan: Plan, messages: Messages) -> checkpoint.Checkpoint | None:
    """The run's checkpoint, if there is one: made by this run (or a UsageError)."""
    path = plan.checkpoint_path
    if not (path and os.path.exists(path)):
        return None
    resume = checkpoint.load(path)
    corpus = checkpoint.file_identity(plan.corpus)
    for note in checkpoint.check_same(resume, plan.identity(), corpus, init_identity(plan.base)):
        messages.info(f"note: {note}")
    return resume


def init_identity(model: Model | None) -> dict | None:
    """What identifies an --init model for a checkpoint: its vocabulary and a digest."""
    if model is None:
        return None
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for array in (model.input, model.output, model.counts, model.buckets):
        if array is not None:  # buckets: a subword model's only
            digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\n".join(model.vocab).encode("utf-8"))
    return {"vocab_size": len(model.vocab), "digest": digest.hexdigest()}


# --------------------------------------------------------------------------- 2. the corpus


def encode(corpus, config: TrainConfig, run: dict, vocabulary=None):
    """Step 2: the corpus encoded (an :class:`~w2v_nce.io.encode.EncodedCorpus`, to use in a
    ``with``) by the ``vocabulary`` rule, or the config's min-count and max-vocab;
    ``run`` gives encoding_errors and tmp_dir."""
    from w2v_nce.io.encode import encode_corpus

    try:
        return encode_corpus(
            corpus,
            min_count=config.min_count,
            max_vocab=config.max_vocab,
            encoding_errors=run.get("encoding_errors", "strict"),
            tmp_dir=run.get("tmp_dir"),
            vocabulary=vocabulary,
            workers=config.threads,
        )
    except KeyboardInterrupt as stop:
        stop.phase = "while reading the corpus"  # for the command line's message
        raise


def _counted(n: int, noun: str) -> str:
    """1 line, 2 lines."""
    return f"{n:,} {noun}{'s' * (n != 1)}"


def check_encoded(encoded, plan: Plan, messages: Messages) -> None:
    """What the corpus turned out to be; a corpus with nothing to train, or not the
    checkpoint's, refused."""
    faults.point("encoded")
    config, base = plan.config, plan.base
    messages.info(
        f"corpus: {_counted(encoded.raw_tokens, 'token')} in "
        f"{_counted(encoded.sentences, 'line')}; "
        f"vocabulary: {len(encoded.vocab):,} words (min-count {config.min_count}) "
        f"covering {encoded.words:,} tokens"
    )
    if base is not None:
        added = len(encoded.vocab) - len(base.vocab)
        messages.info(
            f"continuing the --init model ({len(base.vocab):,} words): "
            + (f"{added:,} words added, " if plan.run.get("update_vocab") else "")
            + f"{encoded.oov_tokens:,} tokens of the corpus outside the vocabulary skipped"
        )
    if encoded.words == 0:
        raise UserError(
            f"{plan.source}: no token of the corpus is in the model's vocabulary; nothing to "
            "train (pass --update-vocab to add its words)"
        )
    if encoded.longest_sentence < 2:
        raise UserError(
            f"{plan.source}: no line has two words of the vocabulary, so there is no "
            "(word, context) pair to train on; give a corpus of sentences, one per line "
            "(or lower --min-count if its words are rare)"
        )
    if plan.resume is not None:
        checkpoint.check_same_encoding(plan.resume, encoded.fingerprint, plan.source)


# --------------------------------------------------------------------------- 3. training


def train_planned(plan: Plan, encoded, progress: bool, messages: Messages) -> Run:
    """Step 3: the model (new, continued or resumed) trained, with its checkpoints and
    loss log."""
    config, ck_path = plan.config, plan.checkpoint_path
    needed = check_cost(encoded, config, messages)
    model, state = starting_point(plan, encoded)
    model.config = model_config(config, encoded, plan.source, plan.base, plan.run)
    resumed = state.where(config.epochs) if plan.resume is not None else None
    if resumed:
        messages.info(f"resumed from {ck_path} at {resumed}")
    writer = None
    if ck_path:
        every = plan.run.get("checkpoint_every", RUN_OPTIONS["checkpoint_every"].default)
        writer = checkpoint.Writer(ck_path, checkpoint_info(plan, encoded), every)
    loss_log = LossLog(plan.run["loss_log"]) if plan.run.get("loss_log") else None
    try:
        stats = fit(
            encoded,
            config,
            model,
            needed,
            progress=progress,
            state=state,
            checkpoints=writer,
            on_interval=loss_log.add if loss_log else None,
        )
    except TrainingInterrupted:
        if loss_log:
            loss_log.close()
        raise
    if loss_log:
        loss_log.close()
    model.stats = stats
    save = (lambda: writer.save(model, state)) if writer else None
    return Run(model, stats, ck_path, resumed, save)


def starting_point(plan: Plan, encoded) -> tuple[Model, RunState]:
    """The model and state training starts from: the checkpoint's, or the ``init``
    model's rows in the corpus's vocabulary, or a new model; nothing trained yet."""
    if plan.resume is not None:
        return plan.resume.model, plan.resume.state
    if plan.base is not None:
        model = continued_model(plan.base, encoded.vocab, plan.config)
    else:
        model = new_model(encoded.vocab, plan.config, encoded.first_seen)
    return model, RunState.fresh(plan.config.epochs, len(encoded.block_starts) - 1)


def train_encoded(
    encoded,
    config: TrainConfig,
    *,
    progress: bool = True,
    source: str = "<corpus>",
    messages: Messages = LIBRARY,
) -> Model:
    """Step 3 on a corpus the caller encoded (:func:`resolve_run`, :func:`encode`): a new
    model trained on it. ``config`` is validated as :func:`train` validates it."""
    config = config.validate()
    needed = check_cost(encoded, config, messages)
    model = new_model(encoded.vocab, config, encoded.first_seen)
    model.config = model_config(config, encoded, source, None, {})
    model.stats = fit(encoded, config, model, needed, progress=progress)
    return model


def check_cost(encoded, config: TrainConfig, messages: Messages) -> memory.MemoryEstimate:
    """Before the model is allocated: the run's memory, reported if large and refused if
    impossible; the exact softmax's time."""
    noise_group = spec_for(config).noise_group
    needed = memory.estimate_run(config, len(encoded.vocab), encoded.longest_block, noise_group)
    memory.check(needed, messages.info, messages.warn)
    if config.loss_record.full_softmax:
        memory.check_softmax_cost(encoded.vocab.counts, config, messages.info, messages.warn)
    return needed


def fit(encoded, config: TrainConfig, model: Model, needed, **how) -> TrainStats:
    """:func:`w2v_nce.training.trainer.train` (``how``: its keywords), running out of memory a
    UserError that says what the run needs."""
    try:
        return run_training(encoded, config, model, **how)
    except MemoryError:
        raise UserError(
            f"out of memory: this run needs {needed.describe()}; "
            "lower --max-vocab, --dim or --threads"
        ) from None


def checkpoint_info(plan: Plan, encoded) -> dict:
    """What a checkpoint records besides the model and the tasks done (checkpoint.save)."""
    return {
        "options": plan.identity(),
        "corpus": {
            **checkpoint.file_identity(plan.corpus),
            "raw_tokens": encoded.raw_tokens,
            "words": encoded.words,
            "fingerprint": encoded.fingerprint,
        },
        "init": init_identity(plan.base),
    }


def model_config(config: TrainConfig, encoded, source: str, base: Model | None, run) -> dict:
    stage = {
        "corpus": source,
        "corpus_raw_tokens": encoded.raw_tokens,
        "corpus_words": encoded.words,
        "epochs": config.epochs,
        "vocab_size": len(encoded.vocab),
        "update_vocab": bool(run.get("update_vocab")),
    }
    lineage = []
    if base is not None:
        saved = base.config
        lineage = list(
            saved.get("lineage")
            or [
                {
                    "corpus": saved.get("corpus", "?"),
                    "corpus_raw_tokens": saved.get("corpus_raw_tokens"),
                    "corpus_words": saved.get("corpus_words"),
                    "epochs": saved.get("epochs"),
                    "vocab_size": len(base.vocab),
                    "update_vocab": False,
                }
            ]
        )
    out = {
        **config.as_dict(),
        "version": __version__,
        "direction": "input row of the context word against output row of the centre word",
        "init": "input uniform in +-0.5/dim, output zero"
        + ("; continued from an --init model" if base is not None else ""),
        "corpus": source,
        "corpus_words": encoded.words,
        "corpus_raw_tokens": encoded.raw_tokens,
        "vocab_size": len(encoded.vocab),
        "lineage": [*lineage, stage],
    }
    if config.loss_record.tree:
        out["tree"] = "word2vec.c's Huffman tree of the counts, stored as tree_points/codes/lengths"
    return out
