"""Training: the schedule, the threads, the progress bar.

Python owns the plan and the kernels own the arithmetic (gensim's split). The
encoded corpus is cut into blocks on sentence boundaries; every (epoch, block) is
one task with its own RNG seed and its own position in the global schedule, so the
run is a pure function of (seed, corpus, options) whatever the order tasks finish
in. A pool of ``threads`` workers runs the tasks in order; the kernels release the
GIL and update the shared float32 matrices without locks (Hogwild). Each task
returns its own loss sum and example count, so the reported loss is exact -- no
shared counter for threads to race on.

Tasks are submitted a few at a time (:data:`IN_FLIGHT` per worker), not all at
once, so that the trainer can stop at a task boundary: to write a checkpoint it
lets the running tasks finish, saves which tasks are done (a checkpoint is then
exactly the state of an uninterrupted run at that point) and goes on. Between
tasks the main thread refreshes the bar, checks for divergence and is where Ctrl-C
lands: queued tasks are cancelled and running ones finish their block (a fraction
of a second), so an interrupt stops promptly.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import faults, losses
from .errors import TrainingInterrupted, UserError, signal_of
from .kernels.bundles import Schedule, Spec, Tables, Weights, empty_tree
from .model import Model, unigram_log_prior
from .noise import AliasTable, noise_distribution
from .params import TrainConfig

if TYPE_CHECKING:
    from collections.abc import Callable

    from .encode import EncodedCorpus

IN_FLIGHT = 2  # tasks submitted per worker ahead of the one it runs


@dataclass
class TrainStats:
    words: int = 0  # words read (before subsampling), over all epochs
    examples: int = 0  # pairs (skip-gram) or centre words (CBOW) trained
    seconds: float = 0.0  # training time of this process (a resumed run: since it resumed)
    final_loss: float = float("nan")  # mean loss per example over the last interval
    loss_sum: float = 0.0  # over the whole run, for the mean loss of a resumed run
    resumed_words: int = 0  # words already trained when this process resumed
    kernel_seconds: float = 0.0  # loading the kernel before training (the first run compiles it)

    @property
    def words_per_sec(self) -> float:
        done = self.words - self.resumed_words
        return done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class RunState:
    """Where a run stands in its schedule: what a checkpoint records."""

    done: np.ndarray  # bool, one per task (epoch-major)
    stats: TrainStats = field(default_factory=TrainStats)

    @property
    def finished(self) -> bool:
        return bool(self.done.all())


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


def sgemm_rate(rows: int, columns: int, dim: int, repeats: int = 3, seconds: float = 0.0) -> float:
    """Measured float32 flop/s of numpy's (rows × dim) @ (dim × columns) on this machine.

    At least ``repeats`` products, and more until ``seconds`` have passed (the
    benchmark's steadier reading; the memory estimate wants it quick).
    """
    rng = np.random.default_rng(0)
    u = rng.random((rows, dim), dtype=np.float32)
    w = rng.random((columns, dim), dtype=np.float32)
    u @ w.T  # warm up BLAS threads
    calls, started = 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - started < seconds:
        u @ w.T
        calls += 1
    return calls * 2.0 * rows * columns * dim / (time.perf_counter() - started)


def softmax_cost(counts: np.ndarray, config: TrainConfig) -> tuple[float, float, float]:
    """(pairs, flops, measured sgemm flop/s) of a full-softmax run: 6·pairs·V·d flops."""
    from .kernels.softmax import BATCH

    pairs = expected_pairs(counts, config.sample, config.window, config.epochs)
    flops = 6.0 * pairs * counts.size * config.dim
    return pairs, flops, sgemm_rate(BATCH, min(counts.size, 20000), config.dim)


def initial_vectors(vocab_size: int, dim: int, seed: int, outputs: int | None = None):
    """Input rows uniform in ±0.5/dim (word2vec.c), ``outputs`` (default V) output rows zero.

    Computed in place: the peak is the two matrices themselves, not four copies.
    """
    rng = np.random.default_rng(seed)
    syn0 = np.empty((vocab_size, dim), dtype=np.float32)
    rng.random(out=syn0, dtype=np.float32)
    syn0 -= np.float32(0.5)
    syn0 /= np.float32(dim)
    syn1 = np.zeros((vocab_size if outputs is None else outputs, dim), dtype=np.float32)
    return syn0, syn1


def huffman_tree(counts: np.ndarray):
    """(points, codes, lengths) of word2vec.c's Huffman tree over ``counts`` (descending)."""
    from .kernels.tree import huffman

    return huffman(np.ascontiguousarray(counts, dtype=np.int64))


def new_model(vocab, config: TrainConfig) -> Model:
    """A model before training: random input rows, zero output rows (and the tree for hs)."""
    record = config.loss_record
    tree = huffman_tree(vocab.counts) if record.output == losses.TREE else None
    outputs = max(len(vocab) - 1, 0) if tree is not None else None
    syn0, syn1 = initial_vectors(len(vocab), config.dim, config.seed, outputs)
    return Model(list(vocab.words), np.asarray(vocab.counts), syn0, syn1, {}, tree)


def tables_for(model: Model, config: TrainConfig) -> Tables:
    """The per-word tables of a run, from the model's counts and the config."""
    record = config.loss_record
    q = noise_distribution(model.counts, config.noise_power)
    noise = AliasTable(q)
    log_prior = unigram_log_prior(model.counts) if config.resolved_base() == "unigram" else None
    points, codes, lengths = model.tree if model.tree is not None else empty_tree()
    return Tables(
        keep=keep_thresholds(model.counts, config.sample),
        noise_threshold=noise.threshold,
        noise_alias=noise.alias,
        logit_offsets=record.offsets(config.k, q, log_prior),
        points=points,
        codes=codes,
        lengths=lengths,
    )


# hs with several threads: the inner nodes nearest the root (the top 6 levels) are on
# every path, so every centre word writes them; each thread keeps its updates of them
# private for a while (kernels.block), or the two cores pass their cache lines back
# and forth: measured on bench-dev, 2 threads ran 1.2x one thread, 1.6x without.
PRIVATE_ROWS = 63


def spec_for(config: TrainConfig) -> Spec:
    record = config.loss_record
    share_negatives = bool(config.share_negatives and record.shares_noise)
    return Spec(
        model=losses.MODELS.index(config.model),
        step=record.output,
        k=config.k if record.uses_k else 0,
        window=config.window,
        share_negatives=share_negatives,
        skip_positive=record.skip_positive,
        private=PRIVATE_ROWS if record.output == losses.TREE and config.threads > 1 else 0,
        noise_group=config.resolved_noise_group() if share_negatives else 1,
    )


def train(
    corpus: EncodedCorpus,
    config: TrainConfig,
    model: Model,
    progress: bool = True,
    state: RunState | None = None,
    checkpoint: Callable[[Model, RunState], str] | None = None,
    checkpoint_due: Callable[[], bool] | None = None,
    on_interval: Callable[[float, int, float, float], None] | None = None,
) -> TrainStats:
    """Train ``model`` in place on an encoded corpus whose ids are in its vocabulary.

    ``state`` resumes a run: the tasks it marks done are skipped. ``checkpoint``
    is called (between tasks, with no task running) when ``checkpoint_due()`` says
    so, and on Ctrl-C/SIGTERM before :class:`TrainingInterrupted` is raised.
    ``on_interval(seconds, words, learning rate, mean loss)`` is called at every
    progress refresh (``train --loss-log``). Returns the statistics.
    """
    with block_kernel(config, model) as kernel:
        return _run_blocks(
            kernel, corpus, config, model, progress, state, checkpoint, checkpoint_due, on_interval
        )


@contextlib.contextmanager
def block_kernel(config: TrainConfig, model: Model):
    """The run's block kernel: the candidate-block loop, or the full softmax with its
    vocabulary tiles (a thread each) and BLAS capped at one thread per call."""
    if config.loss_record.output != losses.FULL_SOFTMAX:
        from .kernels.block import train_block

        yield train_block
        return
    from threadpoolctl import threadpool_limits

    from .kernels.softmax import BATCH, train_block_softmax, vocabulary_tiles

    tiles = vocabulary_tiles(model.output.shape[0], config.threads, BATCH, config.dim)
    with threadpool_limits(limits=1, user_api="blas"):
        yield functools.partial(train_block_softmax, tiles=tiles)


def _run_blocks(
    kernel, corpus, config, model, progress, state, checkpoint, checkpoint_due, on_interval
):
    """:func:`train` with the block kernel chosen."""
    from .kernels.rng import mix_seed

    record = config.loss_record
    weights = Weights(model.input, model.output)
    tables = tables_for(model, config)
    spec = spec_for(config)
    ids = corpus.ids()
    starts = corpus.block_starts
    n_blocks = len(starts) - 1
    total_words = corpus.words * config.epochs
    block_offsets = np.concatenate(([0], np.cumsum(corpus.block_words)))
    alpha, min_alpha = np.float32(config.resolved_alpha), np.float32(config.min_alpha)

    def run(task: int):
        epoch, block = divmod(task, n_blocks)
        before = np.int64(epoch * corpus.words + block_offsets[block])
        schedule = Schedule(alpha, min_alpha, before, np.int64(total_words))
        seed = mix_seed(config.seed, epoch, block)
        return kernel(ids[starts[block] : starts[block + 1]], weights, tables, spec, schedule, seed)

    if state is None:
        state = RunState(np.zeros(config.epochs * n_blocks, dtype=bool))
    stats = state.stats
    stats.resumed_words = stats.words
    stats.seconds = 0.0
    todo = iter(np.flatnonzero(~state.done).tolist())
    workers = record.pool_size(config.threads)
    resumed = where(state, n_blocks, config.epochs) if state.done.any() else None
    bar = _progress_bar(total_words, stats.words, progress, resumed)
    # The kernel on an empty block: Numba loads it from its cache, or compiles it on
    # the first run (tens of seconds), before the clock that gives words/s starts.
    description = getattr(bar, "desc", "")  # a disabled bar has none
    bar.set_description("loading the training kernel (the first run compiles it)")
    loading = time.perf_counter()
    schedule = Schedule(alpha, min_alpha, np.int64(0), np.int64(total_words))
    try:
        kernel(ids[:0], weights, tables, spec, schedule, mix_seed(config.seed, 0, 0))
    except BaseException:  # Ctrl-C while compiling: nothing trained yet
        bar.close()
        raise
    stats.kernel_seconds = time.perf_counter() - loading
    bar.set_description(description)
    interval = [0.0, 0]  # loss and examples since the last refresh
    started = time.perf_counter()
    last_refresh = started
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="w2v-nce")
    in_flight: dict = {}

    def submit() -> None:
        while len(in_flight) < workers * (1 + IN_FLIGHT):
            task = next(todo, None)
            if task is None:
                return
            in_flight[pool.submit(run, task)] = task

    def collect(finished) -> None:
        for future in finished:
            task = in_flight.pop(future)
            if future.cancelled() or not future.done() or future.exception() is not None:
                continue
            loss, examples, words = future.result()
            state.done[task] = True
            stats.words += words
            stats.examples += examples
            stats.loss_sum += loss
            interval[0] += loss
            interval[1] += examples
            bar.update(words)
            faults.point("task")
            if not math.isfinite(loss):
                raise UserError(
                    "training diverged (the loss became NaN or infinite); "
                    "lower --alpha and try again; nothing was written"
                )

    try:
        submit()
        while in_flight:
            finished, _ = wait(in_flight, timeout=0.5, return_when=FIRST_COMPLETED)
            collect(finished)
            if checkpoint_due is not None and checkpoint_due() and in_flight:
                collect(wait(in_flight).done)  # a task boundary: nothing running
                checkpoint(model, state)
            submit()
            now = time.perf_counter()
            if interval[1] and (now - last_refresh >= 1.0 or not in_flight):
                stats.final_loss = interval[0] / interval[1]
                lr = config.resolved_alpha - (config.resolved_alpha - config.min_alpha) * min(
                    stats.words / max(total_words, 1), 1.0
                )
                bar.set_postfix(lr=f"{lr:.5f}", loss=f"{stats.final_loss:.4f}", refresh=False)
                if on_interval is not None:
                    on_interval(now - started, stats.words, lr, stats.final_loss)
                interval[:] = [0.0, 0]
                last_refresh = now
    except KeyboardInterrupt as stop:
        for future in in_flight:
            future.cancel()
        pool.shutdown(wait=True)
        bar.close()
        # The blocks that were running when Ctrl-C came finished: count them too.
        collect(list(in_flight))
        stats.seconds = time.perf_counter() - started
        model.config.update(interrupted=True, words_trained=stats.words)
        interrupted = TrainingInterrupted(model, stats, total_words, signal_of(stop))
        if checkpoint is not None:
            try:
                interrupted.checkpoint = checkpoint(model, state)
            except KeyboardInterrupt:
                pass  # interrupted again while writing: the previous checkpoint stands
        raise interrupted from None
    except BaseException:
        for future in in_flight:
            future.cancel()
        pool.shutdown(wait=True)
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    stats.seconds = time.perf_counter() - started
    if not (np.isfinite(model.input).all() and np.isfinite(model.output).all()):
        raise UserError(
            "training diverged (the vectors became NaN or infinite); lower --alpha; "
            "nothing was written"
        )
    model.config.update(interrupted=False, words_trained=stats.words)
    return stats


def where(state: RunState, n_blocks: int, epochs: int) -> str:
    """'epoch 3 of 5, 41%': the first task not done and the share of tasks done."""
    todo = np.flatnonzero(~state.done)
    epoch = int(todo[0]) // max(n_blocks, 1) + 1 if todo.size else epochs
    return f"epoch {epoch} of {epochs}, {state.done.mean():.0%}"


def _progress_bar(total: int, initial: int, enabled: bool, resumed: str | None):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="w",
        unit_scale=True,
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.1,
        desc=f"training (resumed at {resumed})" if resumed else "training",
    )
