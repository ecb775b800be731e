"""Training: the schedule, the threads, the progress bar.

Python owns the plan and the kernels own the arithmetic (gensim's split). The
encoded corpus is cut into blocks on sentence boundaries; every (epoch, block) is
one task with its own RNG seed and its own position in the global schedule. A pool
of ``threads`` workers runs the tasks in order; the kernels release the GIL and
update the shared float32 matrices without locks (Hogwild). Each task returns its
own loss sum and pair count, so the reported loss is exact -- no shared counter
for threads to race on.

Between tasks the main thread refreshes the bar, checks for divergence and is
where Ctrl-C lands: queued tasks are cancelled and running ones finish their block
(a fraction of a second), so an interrupt stops promptly.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .errors import UserError
from .model import Model, unigram_log_prior
from .noise import AliasTable, noise_distribution

if TYPE_CHECKING:
    from .encode import EncodedCorpus

LOSSES = ("neg", "nce", "softmax", "infonce")


@dataclass
class TrainConfig:
    loss: str = "neg"
    k: int = 5
    dim: int = 100
    window: int = 5
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    sample: float = 1e-3
    noise_power: float = 0.75
    min_count: int = 5
    max_vocab: int | None = None
    threads: int = os.cpu_count() or 1
    seed: int = 1
    share_negatives: bool = True
    base: str = "auto"  # "unigram" or "none"; auto = unigram for nce/softmax/infonce

    def resolved_base(self) -> str:
        """The base measure actually used: see :func:`logit_offsets`."""
        if self.base == "auto":
            return "none" if self.loss == "neg" else "unigram"
        return self.base

    def validate(self) -> None:
        if self.base not in ("auto", "unigram", "none"):
            raise UserError(f"unknown --base {self.base!r}; choose unigram or none", 2)
        if self.loss not in LOSSES:
            raise UserError(f"unknown --loss {self.loss!r}; choose one of {', '.join(LOSSES)}", 2)
        for name in ("k", "dim", "window", "epochs", "threads", "min_count"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1", 2)
        if self.max_vocab is not None and self.max_vocab < 1:
            raise UserError("--max-vocab must be at least 1", 2)
        if not self.alpha > 0:
            raise UserError("--alpha must be positive", 2)
        if not 0 <= self.min_alpha <= self.alpha:
            raise UserError("--min-alpha must be between 0 and --alpha", 2)
        if not self.sample >= 0:
            raise UserError("--sample must be 0 (off) or positive", 2)
        if not self.noise_power >= 0:
            raise UserError("--noise-power must be 0 or positive", 2)


@dataclass
class TrainStats:
    words: int = 0  # words read (before subsampling), over all epochs
    pairs: int = 0
    seconds: float = 0.0
    final_loss: float = float("nan")  # mean loss per pair over the last interval
    interrupted: bool = False

    @property
    def words_per_sec(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0


class TrainingInterrupted(Exception):
    """Ctrl-C during training; carries the partial model and how far it got."""

    def __init__(self, model: Model, stats: TrainStats, total_words: int):
        super().__init__("interrupted")
        self.model = model
        self.stats = stats
        self.total_words = total_words


def keep_thresholds(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: keep an occurrence with p = min(1, sqrt(tN/c) + tN/c).

    As uint64 thresholds on 32 random bits; 2^32 means "always keep".
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.full(counts.size, 2**32, dtype=np.uint64)
    ratio = sample * counts.sum() / counts
    keep = np.minimum(np.sqrt(ratio) + ratio, 1.0)
    return np.floor(keep * 2.0**32).astype(np.uint64)


def expected_pairs(counts: np.ndarray, sample: float, window: int, epochs: int) -> float:
    """Pairs training will see: kept occurrences × E[2b] = window + 1 (ignoring line ends)."""
    kept = (keep_thresholds(counts, sample).astype(np.float64) / 2**32 * counts).sum()
    return float(kept * (window + 1) * epochs)


def softmax_cost(counts: np.ndarray, config: TrainConfig) -> tuple[float, float, float]:
    """(pairs, flops, measured sgemm flop/s) of a full-softmax run: 6·pairs·V·d flops."""
    from .kernels.softmax import BATCH

    vocab_size = counts.size
    pairs = expected_pairs(counts, config.sample, config.window, config.epochs)
    flops = 6.0 * pairs * vocab_size * config.dim
    rng = np.random.default_rng(0)
    u = rng.random((BATCH, config.dim), dtype=np.float32)
    w = rng.random((min(vocab_size, 20000), config.dim), dtype=np.float32)
    u @ w.T  # warm up BLAS threads
    started = time.perf_counter()
    for _ in range(3):
        u @ w.T
    rate = 3 * 2.0 * BATCH * w.shape[0] * config.dim / (time.perf_counter() - started)
    return pairs, flops, rate


def logit_offsets(loss: str, k: int, q: np.ndarray, log_prior: np.ndarray | None) -> np.ndarray:
    """What each loss subtracts from u·v to get its logit, per output word x.

    With a base measure the model's score is s(w, x) = u·v + b_x, b_x = log P(x)
    (``log_prior``), so the offsets below also subtract b_x:

    * neg: 0 — the logit is u·v (word2vec);
    * nce: log(k q(x)) − b_x — the logit is D(w, x) = s(w, x) − log(k q(x));
    * infonce: log q(x) − b_x — the logit is s(w, x) − log q(x);
    * softmax: −b_x — the logit is s(w, x).
    """
    base = np.zeros(q.size) if log_prior is None else np.asarray(log_prior, dtype=np.float64)
    if loss == "nce":
        return (np.log(k * q) - base).astype(np.float32)
    if loss == "infonce":
        return (np.log(q) - base).astype(np.float32)
    if loss == "softmax":
        return (-base).astype(np.float32)
    return np.zeros(q.size, dtype=np.float32)


def initial_vectors(vocab_size: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Input rows uniform in ±0.5/dim (word2vec.c), output rows zero.

    Computed in place: the peak is the two matrices themselves, not four copies.
    """
    rng = np.random.default_rng(seed)
    syn0 = np.empty((vocab_size, dim), dtype=np.float32)
    rng.random(out=syn0, dtype=np.float32)
    syn0 -= np.float32(0.5)
    syn0 /= np.float32(dim)
    syn1 = np.zeros((vocab_size, dim), dtype=np.float32)
    return syn0, syn1


def train(
    corpus: EncodedCorpus, config: TrainConfig, progress: bool = True
) -> tuple[Model, TrainStats]:
    """Train skip-gram vectors on an encoded corpus. Raises TrainingInterrupted on Ctrl-C."""
    from .kernels.block import BINARY, BINARY_SHARED, INFONCE, train_block
    from .kernels.rng import mix_seed
    from .kernels.softmax import train_block_softmax

    config.validate()
    vocab = corpus.vocab
    syn0, syn1 = initial_vectors(len(vocab), config.dim, config.seed)
    q = noise_distribution(vocab.counts, config.noise_power)
    noise = AliasTable(q)
    keep = keep_thresholds(vocab.counts, config.sample)
    base = config.resolved_base()
    log_prior = unigram_log_prior(vocab.counts) if base == "unigram" else None
    offsets = logit_offsets(config.loss, config.k, q, log_prior)
    skip_positive = config.loss == "neg"
    output_bias = (-offsets).astype(np.float32)  # the softmax adds b_c to its logits
    ids = corpus.ids()
    starts = corpus.block_starts
    n_blocks = len(starts) - 1
    words_per_epoch = corpus.words
    total_words = words_per_epoch * config.epochs
    block_offsets = np.concatenate(([0], np.cumsum(corpus.block_words)))

    if config.loss == "infonce":
        loss_kind = INFONCE
    else:
        loss_kind = BINARY_SHARED if config.share_negatives else BINARY

    def run(epoch: int, block: int):
        block_ids = ids[starts[block] : starts[block + 1]]
        alpha, min_alpha = np.float32(config.alpha), np.float32(config.min_alpha)
        words_before = int(epoch * words_per_epoch + block_offsets[block])
        seed = mix_seed(config.seed, epoch, block)
        if config.loss == "softmax":
            return train_block_softmax(
                block_ids,
                syn0,
                syn1,
                output_bias,
                keep,
                config.window,
                alpha,
                min_alpha,
                words_before,
                total_words,
                seed,
            )
        return train_block(
            block_ids,
            syn0,
            syn1,
            keep,
            noise.threshold,
            noise.alias,
            offsets,
            skip_positive,
            loss_kind,
            config.k,
            config.window,
            alpha,
            min_alpha,
            words_before,
            total_words,
            seed,
        )

    model = Model(vocab.words, vocab.counts, syn0, syn1, model_config(config, corpus))
    stats = TrainStats()
    bar = _progress_bar(total_words, progress)
    interval_loss, interval_pairs = 0.0, 0
    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=pool_size(config), thread_name_prefix="w2v-nce")
    pending: set = set()
    try:
        pending = {
            pool.submit(run, epoch, block)
            for epoch in range(config.epochs)
            for block in range(n_blocks)
        }
        last_refresh = started
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                loss, pairs, words = future.result()
                if not math.isfinite(loss):
                    raise UserError(
                        "training diverged (the loss became NaN or infinite); "
                        "lower --alpha and try again; nothing was written"
                    )
                stats.words += words
                stats.pairs += pairs
                interval_loss += loss
                interval_pairs += pairs
                bar.update(words)
            now = time.perf_counter()
            if interval_pairs and (now - last_refresh >= 1.0 or not pending):
                stats.final_loss = interval_loss / interval_pairs
                lr = config.alpha - (config.alpha - config.min_alpha) * stats.words / total_words
                bar.set_postfix(lr=f"{lr:.5f}", loss=f"{stats.final_loss:.4f}", refresh=False)
                interval_loss, interval_pairs, last_refresh = 0.0, 0, now
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        # The blocks that were running when Ctrl-C came finished: count them too.
        for future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                stats.words += future.result()[2]
                stats.pairs += future.result()[1]
        stats.seconds = time.perf_counter() - started
        stats.interrupted = True
        model.config["interrupted"] = True
        model.config["words_trained"] = stats.words
        raise TrainingInterrupted(model, stats, total_words) from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    stats.seconds = time.perf_counter() - started
    if not (np.isfinite(syn0).all() and np.isfinite(syn1).all()):
        raise UserError(
            "training diverged (the vectors became NaN or infinite); lower --alpha; "
            "nothing was written"
        )
    model.config["interrupted"] = False
    model.config["words_trained"] = stats.words
    return model, stats


def pool_size(config: TrainConfig) -> int:
    """Worker threads for the blocks.

    The full softmax runs its blocks one at a time and lets BLAS use the cores:
    measured on 2 cores, Hogwild over batches with two workers (each sgemm then
    competing for the same cores) was about half as fast as threaded BLAS.
    """
    return 1 if config.loss == "softmax" else config.threads


def model_config(config: TrainConfig, corpus: EncodedCorpus) -> dict:
    return {
        **asdict(config),
        "base": config.resolved_base(),
        "version": __version__,
        "direction": "input row of the context word against output row of the centre word",
        "init": "input uniform in +-0.5/dim, output zero",
        "corpus_words": corpus.words,
        "corpus_raw_tokens": corpus.raw_tokens,
        "vocab_size": len(corpus.vocab),
    }


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="w",
        unit_scale=True,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
        desc="training",
    )
