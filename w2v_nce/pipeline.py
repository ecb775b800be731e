"""From a corpus to a trained model: what ``w2v-nce train`` and ``w2v_nce.train()`` both do.

The one layer that owns a training run, so that the command line and the Python
API are two thin front ends on it: validate the options (the same checks and
messages for both), check what can be checked before reading the corpus, remove
what killed runs left behind, resume from a checkpoint or continue from an
``init`` model, encode the corpus with the right vocabulary rule, estimate the
memory, train, and record the model's config and lineage.

Nothing here prints: informational lines go to ``messages.info`` and warnings to
``messages.warn`` (the CLI prints both to stderr; the library logs the first to
the ``w2v_nce`` logger and issues the second as a :class:`W2VNceWarning`).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import __version__, checkpoint, faults, losses
from .errors import TrainingInterrupted, UsageError, UserError
from .model import Model
from .params import FIXED_BY_MODEL, HYPERPARAMETERS, INHERITED, RUN_OPTIONS, TrainConfig
from .params import check_options as _check_options
from .trainer import RunState, initial_vectors, new_model, softmax_cost, spec_for, where
from .trainer import train as run_training

log = logging.getLogger("w2v_nce")
log.addHandler(logging.NullHandler())

TRAIN_OPTIONS = {**HYPERPARAMETERS, **RUN_OPTIONS}
#: Run options that change what is computed: a checkpoint must have been made with them.
RESULT_OPTIONS = ("encoding_errors", "update_vocab")


class W2VNceWarning(UserWarning):
    """A warning about a run (a slow loss, memory that may not suffice)."""


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
    stats: object  # train.TrainStats
    checkpoint: str | None
    resumed: str | None = None  # "epoch 3 of 5, 41%" when it resumed from a checkpoint
    save_checkpoint: Callable[[], str] | None = None  # the finished state, for a crash later

    def finish(self) -> None:
        """The outputs are safe: remove the checkpoint."""
        if self.checkpoint:
            checkpoint.remove(self.checkpoint)


def check_options(options: dict) -> tuple[dict, dict]:
    """Split and validate ``train``'s options: (hyperparameters, run options)."""
    options = _check_options(options, TRAIN_OPTIONS)
    hyper = {k: v for k, v in options.items() if k in HYPERPARAMETERS}
    run = {k: v for k, v in options.items() if k in RUN_OPTIONS}
    return hyper, run


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
    if update_vocab and config.loss_record.output == losses.TREE:
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
        from .model import load

        model = load(init)
        if model.output is None:
            raise UsageError(
                f"--init {init}: continued training needs the whole model (both matrices and "
                "the counts): give the .npz written by 'train --save-model'"
            )
    model.require_output("--init (continued training)")
    return model


def init_identity(model: Model | None) -> dict | None:
    """What identifies an --init model for a checkpoint: its vocabulary and a digest."""
    if model is None:
        return None
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for array in (model.input, model.output, model.counts):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\n".join(model.vocab).encode("utf-8"))
    return {"vocab_size": len(model.vocab), "digest": digest.hexdigest()}


def continued_model(base: Model, vocab, config: TrainConfig) -> Model:
    """``base``'s rows in the order of the merged ``vocab``; new words as in a new model."""
    outputs = base.output.shape[0] if base.tree is not None else len(vocab)
    syn0, syn1 = initial_vectors(len(vocab), config.dim, config.seed, outputs)
    old = base.index()
    rows = np.array([old.get(word, -1) for word in vocab.words], dtype=np.int64)
    known = rows >= 0
    syn0[known] = base.input[rows[known]]
    tree = None
    if base.tree is not None:  # hs: the tree is the model's (no new words), rows reordered
        syn1[:] = base.output
        tree = tuple(part[rows] for part in base.tree)
    else:
        syn1[known] = base.output[rows[known]]
    return Model(list(vocab.words), np.asarray(vocab.counts), syn0, syn1, {}, tree)


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
    if config.loss_record.output == losses.TREE:
        out["tree"] = "word2vec.c's Huffman tree of the counts, stored as tree_points/codes/lengths"
    return out


def train(
    corpus,
    options: dict,
    *,
    progress: bool = True,
    messages: Messages = LIBRARY,
    outputs: tuple[str, ...] = (),
    client=None,
) -> Run:
    """Train a model on ``corpus`` (a path, ``-`` for stdin, or an iterable of token lists).

    ``options`` are ``train``'s (``w2v-nce train --help``); ``init`` may also be a
    Model. ``outputs`` are the files the caller will write (the CLI's), for the
    clean-up of what killed runs left beside them. With ``client`` (a Dask client),
    ``workers`` or ``scheduler`` the run goes to :mod:`w2v_nce.distributed`. Raises
    :class:`UserError` for mistakes and :class:`TrainingInterrupted` on Ctrl-C/SIGTERM.
    """
    from .atomic import check_writable_output, remove_stale
    from .corpus import open_corpus
    from .encode import check_tmp_dir, encode_corpus

    options = dict(options)
    init = options.pop("init", None)
    if isinstance(init, Model):
        hyper, run = check_options(options)
    else:
        hyper, run = check_options({**options, "init": init})
        init = run.pop("init")
    base = load_init(init) if init is not None else None
    config = resolve_config(hyper, base, run.get("update_vocab", False))
    record = config.loss_record
    if not record.uses_k and "k" in hyper:
        messages.info(f"note: --loss {config.loss} draws no noise words; -k is ignored")
    if client is not None or run.get("workers") or run.get("scheduler"):
        from .distributed import train_on_cluster

        return train_on_cluster(corpus, config, run, base, client, progress, messages, outputs)
    source = describe_source(corpus)
    if _is_file(corpus):
        open_corpus(os.fspath(corpus)).close()
    ck_path = run.get("checkpoint")
    if ck_path and not _is_file(corpus):
        raise UsageError(
            f"--checkpoint needs a corpus that can be read again, and {source} cannot: "
            "write it to a file first (a .gz or .bz2 file is read as it is)"
        )
    tmp_dir = run.get("tmp_dir")
    check_tmp_dir(tmp_dir)
    if ck_path:
        check_writable_output(ck_path)
    removed = remove_stale([*outputs, *([ck_path] if ck_path else [])], tmp_dir)
    if removed:
        messages.info(
            f"removed {len(removed)} file(s) left by killed runs: {', '.join(removed[:3])}"
            + (" ..." if len(removed) > 3 else "")
        )

    identity = {**config.as_dict(), **{name: run.get(name) for name in RESULT_OPTIONS}}
    resume = None
    if ck_path and os.path.exists(ck_path):
        resume = checkpoint.load(ck_path)
        for note in checkpoint.check_same(
            resume, identity, checkpoint.file_identity(corpus), init_identity(base)
        ):
            messages.info(f"note: {note}")

    vocabulary = None
    if base is not None:
        from .vocab import Merged, Vocabulary

        vocabulary = Merged(
            Vocabulary(list(base.vocab), np.asarray(base.counts, dtype=np.int64)),
            update=bool(run.get("update_vocab")),
            min_count=config.min_count,
            max_vocab=config.max_vocab,
        )
    try:
        encoded = encode_corpus(
            corpus,
            min_count=config.min_count,
            max_vocab=config.max_vocab,
            encoding_errors=run.get("encoding_errors", "strict"),
            tmp_dir=tmp_dir,
            vocabulary=vocabulary,
            workers=config.threads,
        )
    except KeyboardInterrupt as stop:
        stop.phase = "while reading the corpus"  # for the command line's message
        raise
    with encoded:
        faults.point("encoded")
        messages.info(
            f"corpus: {encoded.raw_tokens:,} tokens in {encoded.sentences:,} lines; "
            f"vocabulary: {len(encoded.vocab):,} words (min-count {config.min_count}) "
            f"covering {encoded.words:,} tokens"
        )
        if base is not None:
            added = len(encoded.vocab) - len(base.vocab)
            messages.info(
                f"continuing the --init model ({len(base.vocab):,} words): "
                + (f"{added:,} words added, " if run.get("update_vocab") else "")
                + f"{encoded.oov_tokens:,} tokens of the corpus outside the vocabulary skipped"
            )
        if encoded.words == 0:
            raise UserError(
                f"{source}: no token of the corpus is in the model's vocabulary; nothing to "
                "train (pass --update-vocab to add its words)"
            )
        if resume is not None:
            checkpoint.check_same_encoding(resume, encoded.fingerprint, source)
        needed = check_memory(encoded, config, messages)
        if record.output == losses.FULL_SOFTMAX:
            describe_softmax_cost(encoded.vocab.counts, config, messages)

        n_blocks = len(encoded.block_starts) - 1
        if resume is not None:
            model, state = resume.model, resume.state
        else:
            model = continued_model(base, encoded.vocab, config) if base else None
            model = model or new_model(encoded.vocab, config)
            state = RunState(np.zeros(config.epochs * n_blocks, dtype=bool))
        model.config = model_config(config, encoded, source, base, run)
        resumed = where(state, n_blocks, config.epochs) if resume is not None else None
        if resumed:
            messages.info(f"resumed from {ck_path} at {resumed}")
        info = {
            "options": identity,
            "corpus": {
                **checkpoint.file_identity(corpus),
                "raw_tokens": encoded.raw_tokens,
                "words": encoded.words,
                "fingerprint": encoded.fingerprint,
            }
            if ck_path
            else None,
            "init": init_identity(base),
        }
        every = run.get("checkpoint_every", RUN_OPTIONS["checkpoint_every"].default)
        last = [time.monotonic()]

        def due() -> bool:
            return time.monotonic() - last[0] >= every

        def save(model, state) -> str:
            path = checkpoint.save(ck_path, model, state, info)
            last[0] = time.monotonic()
            return path

        loss_log = LossLog(run["loss_log"]) if run.get("loss_log") else None
        try:
            stats = run_training(
                encoded,
                config,
                model,
                progress=progress,
                state=state,
                checkpoint=save if ck_path else None,
                checkpoint_due=due if ck_path else None,
                on_interval=loss_log.add if loss_log else None,
            )
        except TrainingInterrupted:
            if loss_log:
                loss_log.close()
            raise
        except MemoryError:
            raise UserError(
                f"out of memory: this run needs {needed.describe()}; "
                "lower --max-vocab, --dim or --threads"
            ) from None
        if loss_log:
            loss_log.close()
    model.stats = stats
    return Run(model, stats, ck_path, resumed, (lambda: save(model, state)) if ck_path else None)


def train_encoded(encoded, config: TrainConfig, progress: bool = True, source="<corpus>") -> Model:
    """A new model trained on an already encoded corpus (``nce-table``, ``compare``)."""
    model = new_model(encoded.vocab, config.validate())
    model.config = model_config(config, encoded, source, None, {})
    model.stats = run_training(encoded, config, model, progress=progress)
    return model


class LossLog:
    """``--loss-log``: a TSV row per progress interval, written atomically when the run ends."""

    HEADER = "seconds\twords\tlearning_rate\tloss\n"

    def __init__(self, path: str):
        from .atomic import check_writable_output

        check_writable_output(path)
        self.path = path
        self.rows: list[str] = []

    def add(self, seconds: float, words: int, lr: float, loss: float) -> None:
        self.rows.append(f"{seconds:.3f}\t{words}\t{lr:.6g}\t{loss:.6g}\n")

    def close(self) -> None:
        from .atomic import atomic_output

        with atomic_output(self.path) as handle:
            handle.write((self.HEADER + "".join(self.rows)).encode("ascii"))


def check_memory(encoded, config: TrainConfig, messages: Messages):
    """Estimate the run's memory before allocating; report it if large, refuse if impossible."""
    from . import memory

    needed = memory.estimate(
        vocab_size=len(encoded.vocab),
        dim=config.dim,
        loss=config.loss_record,
        model=config.model,
        window=config.window,
        k=config.k,
        threads=config.loss_record.pool_size(config.threads),
        longest_block=encoded.longest_block,
        centres=spec_for(config).centres,
    )
    memory.check(needed, messages.info, messages.warn)
    return needed


SOFTMAX_LARGE_VOCAB = 50_000


def describe_softmax_cost(counts, config: TrainConfig, messages: Messages) -> None:
    """What the exact softmax will cost, before it starts; a warning on a large vocabulary."""
    pairs, flops, rate = softmax_cost(counts, config)
    messages.info(
        f"softmax: about {pairs:,.0f} pairs × {counts.size:,} words × dim {config.dim} "
        f"= {flops / 1e12:,.1f} TFLOP; at this machine's {rate / 1e9:,.0f} GFLOP/s sgemm "
        f"that is at least {flops / rate / 60:,.1f} minutes"
    )
    if counts.size > SOFTMAX_LARGE_VOCAB:
        messages.warn(
            f"the exact softmax over {counts.size:,} words is slow; consider "
            "--max-vocab 50000 or --loss nce"
        )
