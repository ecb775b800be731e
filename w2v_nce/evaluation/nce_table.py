"""The Mnih & Teh (2012) experiment on this tool: NCE approaches softmax as k grows.

Every tenth line (or long-line piece) of the corpus is held out. On the other
nine tenths, one vocabulary is built and the exact softmax and NCE for each k are
trained with the same settings and seed. Each model is then scored on the
held-out lines by the exactly normalised perplexity of p(c|w) = exp(s(w,c)) /
Z_w, Z_w = Σ_c exp(s(w,c)), s the model's score u_w·v_c + b_c (b_c = log P(c)
with the unigram base, the default for these losses), over the held-out window
pairs weighted as training
samples them (distance d counts (window − d + 1)/window: the dynamic window's
probability). For NCE it also reports log Z_w (weighted by word frequency): NCE
with the normaliser fixed at 1 should learn log Z_w ≈ 0, i.e. a self-normalised
model whose unnormalised exp(s) can be used as a probability directly.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from w2v_nce import losses
from w2v_nce.evaluation.plots import reference_perplexity
from w2v_nce.evaluation.pmi import encode_with_vocab
from w2v_nce.io.corpus import iter_sentences
from w2v_nce.kernels.counts import window_pairs
from w2v_nce.params import TrainConfig
from w2v_nce.training.pipeline import Messages, encode, train_encoded

HELD_OUT_EVERY = 10


@dataclass
class TableRow:
    loss: str
    k: int | None
    perplexity: float
    mean_logz: float
    std_logz: float
    unnormalised_perplexity: float  # exp(−mean score): meaningful only if self-normalised
    seconds: float


def split_corpus(path: str, workdir: str, encoding_errors: str = "strict") -> tuple[str, str]:
    """Write every HELD_OUT_EVERY-th piece to held-out.txt and the rest to train.txt."""
    train_path = os.path.join(workdir, "train.txt")
    held_path = os.path.join(workdir, "held-out.txt")
    with (
        open(train_path, "w", encoding="utf-8") as kept,
        open(held_path, "w", encoding="utf-8") as held,
    ):
        for index, tokens in enumerate(iter_sentences(path, encoding_errors=encoding_errors)):
            out = held if index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else kept
            out.write(" ".join(tokens))
            out.write("\n")
    return train_path, held_path


def score(model, inputs, outputs, weights, word_counts) -> dict:
    """Held-out perplexity (exactly normalised and as-is) and log Z statistics.

    The score is the model's s(w, c) (:meth:`~w2v_nce.model.Model.pair_scores`):
    u_w·v_c + b_c, or log p(c|w) along the tree for hs, whose log Z is 0.
    """
    logz = model.log_partition(np.arange(len(model.vocab)))
    dots = model.pair_scores(inputs, outputs)
    total = weights.sum()
    frequency = word_counts / word_counts.sum()
    mean_logz = float(frequency @ logz)
    return {
        "perplexity": float(np.exp(-(weights @ (dots - logz[inputs])) / total)),
        "unnormalised_perplexity": float(np.exp(-(weights @ dots) / total)),
        "mean_logz": mean_logz,
        "std_logz": float(np.sqrt(frequency @ (logz - mean_logz) ** 2)),
    }


def aggregate_pairs(inputs, outputs, weights, vocab_size):
    """The distinct (input, output) pairs and their summed weights."""
    keys = inputs.astype(np.int64) * vocab_size + outputs
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = np.bincount(inverse, weights=weights)
    return (unique // vocab_size).astype(np.int32), (unique % vocab_size).astype(np.int32), summed


def nce_table(
    corpus: str, config: TrainConfig, ks: list[int], progress: bool = True, log=print
) -> list[TableRow]:
    """Train softmax and NCE for each k on 90% of ``corpus``; score on the other 10%.

    ``config`` as :func:`w2v_nce.training.pipeline.resolve_run` resolves it; ``log`` prints the
    progress lines and the training's notes.
    """
    messages = Messages(info=log, warn=lambda message: log(f"warning: {message}"))
    workdir = tempfile.mkdtemp(prefix="w2v-nce-table-")
    try:
        train_path, held_path = split_corpus(corpus, workdir)
        rows = []
        with encode(train_path, config, {"tmp_dir": workdir}) as encoded:
            vocab = encoded.vocab
            held = np.concatenate(list(encode_with_vocab(held_path, vocab.words)))
            inputs, outputs, weights = aggregate_pairs(
                *window_pairs(held, config.window), len(vocab)
            )
            weights = weights / config.window  # the dynamic window's probability
            log(
                f"vocabulary {len(vocab):,} words; training on {encoded.words:,} tokens, "
                f"held out {int(np.count_nonzero(held >= 0)):,} tokens "
                f"({weights.sum():,.0f} weighted pairs)"
            )
            runs = [("softmax", None), ("hs", None)] + [("nce", k) for k in ks]
            for loss, k in runs:
                run_config = dataclasses.replace(config, loss=loss, k=k or config.k)
                if not losses.get(loss).base_allowed:
                    run_config.base = "none"
                started = time.perf_counter()
                model = train_encoded(encoded, run_config, progress=progress, messages=messages)
                seconds = time.perf_counter() - started
                result = score(model, inputs, outputs, weights, vocab.counts)
                rows.append(TableRow(loss=loss, k=k, seconds=seconds, **result))
                log(format_row(rows[-1]))
        return rows
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


HEADER = (
    "| loss | k | held-out perplexity | vs softmax | mean log Z | std log Z "
    "| exp(−mean score) | seconds |"
)


def format_row(row: TableRow, softmax_perplexity: float | None = None) -> str:
    ratio = f"{row.perplexity / softmax_perplexity:.3f}" if softmax_perplexity else "—"
    return (
        f"| {row.loss} | {row.k if row.k is not None else '—'} | {row.perplexity:.2f} | {ratio} "
        f"| {row.mean_logz:+.3f} | {row.std_logz:.3f} | {row.unnormalised_perplexity:.2f} "
        f"| {row.seconds:.0f} |"
    )


def format_table(rows: list[TableRow]) -> str:
    softmax = reference_perplexity(rows)
    lines = [HEADER, "|" + "---|" * 8]
    lines += [format_row(r, softmax) for r in rows]
    return "\n".join(lines)
