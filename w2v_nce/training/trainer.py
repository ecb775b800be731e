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
import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from copy import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from w2v_nce import faults, losses
from w2v_nce.errors import TrainingInterrupted, UserError, signal_of
from w2v_nce.kernels.bundles import Schedule, Spec, Tables, Weights, empty_tree
from w2v_nce.kernels.contrastive import contrast
from w2v_nce.kernels.ngrams import all_finite
from w2v_nce.kernels.pairs import learning_rate
from w2v_nce.kernels.rng import mix_seed
from w2v_nce.model import Model, TrainStats, unigram_log_prior
from w2v_nce.noise import AliasTable, keep_thresholds, noise_distribution
from w2v_nce.params import TrainConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from w2v_nce.io.encode import EncodedCorpus

# The divergence guard: a task whose loss per example is over DIVERGED times the
# model's loss as training starts (measured on STARTING_WORDS words) stops the run. A
# run that learns only lowers its loss; at --alpha 1e6 the noise losses' step bound
# keeps the vectors finite, so a NaN alone no longer catches such a run.
DIVERGED = 10
STARTING_WORDS = 10_000
ZERO = np.float32(0.0)
IN_FLIGHT = 2  # tasks submitted per worker ahead of the one it runs
LOADING = "loading the training kernel"  # the bar while the kernel loads,
COMPILING = "compiling (first run only)"  # and once that has taken COMPILING_AFTER s
COMPILING_AFTER = 0.3  # a cached kernel loads in some hundredths of a second


@dataclass
class RunState:
    """Where a run stands in its schedule: what a checkpoint records."""

    done: np.ndarray  # bool, one per task (epoch-major)
    stats: TrainStats = field(default_factory=TrainStats)

    @classmethod
    def fresh(cls, epochs: int, n_blocks: int) -> RunState:
        """A run with no task done."""
        return cls(np.zeros(epochs * n_blocks, dtype=bool))

    @property
    def finished(self) -> bool:
        return bool(self.done.all())

    def where(self, epochs: int) -> str:
        """'epoch 3 of 5, 41%': the first task not done and the share of tasks done."""
        n_blocks = self.done.size // epochs
        todo = np.flatnonzero(~self.done)
        epoch = int(todo[0]) // max(n_blocks, 1) + 1 if todo.size else epochs
        return f"epoch {epoch} of {epochs}, {self.done.mean():.0%}"


class Checkpoints(Protocol):
    """Where a run writes its state (:class:`w2v_nce.training.checkpoint.Writer`)."""

    def due(self) -> bool: ...

    def save(self, model: Model, state: RunState) -> str: ...


def tables_for(model: Model, config: TrainConfig) -> Tables:
    """The per-word tables of a run, from the model's counts and the config."""
    record = config.loss_record
    q = noise_distribution(model.counts, config.noise_power)
    noise = AliasTable(q)
    log_prior = unigram_log_prior(model.counts) if config.resolved_base() == "unigram" else None
    points, codes, lengths = model.tree if model.tree is not None else empty_tree()
    ngrams = {}
    if config.subword_model is not None:  # n-grams once per vocabulary word, never per token
        table = config.subword_model.table(model.vocab)
        ngrams = {"ngram_starts": table.starts, "ngram_rows": table.rows}
    return Tables(
        keep=keep_thresholds(model.counts, config.sample),
        noise_threshold=noise.threshold,
        noise_alias=noise.alias,
        logit_offsets=record.offsets(config.k, q, log_prior),
        points=points,
        codes=codes,
        lengths=lengths,
        **ngrams,
    )


# hs with several threads: the inner nodes nearest the root (the top 6 levels) are on
# every path, so every centre word writes them; each thread keeps its updates of them
# private for a while (kernels.block), or the two cores pass their cache lines back
# and forth: measured on bench-dev, 2 threads ran 1.2x one thread, 1.6x without.
PRIVATE_ROWS = 63


def spec_for(config: TrainConfig) -> Spec:
    record = config.loss_record
    share_negatives = bool(config.share_negatives and record.share_negatives)
    return Spec(
        model=losses.MODELS.index(config.model),
        step=record.step,
        k=config.k if record.uses_k else 0,
        window=config.window,
        share_negatives=share_negatives,
        skip_positive=record.skip_positive,
        private=PRIVATE_ROWS if record.tree and config.threads > 1 else 0,
        noise_group=config.resolved_noise_group() if share_negatives else 1,
        contrast=contrast(**config.resolved_contrast()),
    )


def train(
    corpus: EncodedCorpus,
    config: TrainConfig,
    model: Model,
    *,
    progress: bool = True,
    state: RunState | None = None,
    checkpoints: Checkpoints | None = None,
    on_interval: Callable[[float, int, float, float], None] | None = None,
) -> TrainStats:
    """Train ``model`` in place on an encoded corpus whose ids are in its vocabulary.

    ``state`` resumes a run: the tasks it marks done are skipped. ``checkpoints``
    saves the run (between tasks, with no task running) when it says one is due,
    and on Ctrl-C/SIGTERM before :class:`TrainingInterrupted` is raised.
    ``on_interval(seconds, words, learning rate, mean loss)`` is called at every
    progress refresh (``train --loss-log``). Returns the statistics.
    """
    with block_kernel(config, model) as kernel:
        tasks = Tasks(kernel, corpus, config, model)
        if state is None:
            state = RunState.fresh(config.epochs, tasks.n_blocks)
        resumed = state.where(config.epochs) if state.done.any() else None
        bar = Progress(tasks, state.stats, progress, resumed, on_interval)
        workers = config.loss_record.pool_size(config.threads)
        return Training(tasks, model, state, bar, checkpoints).run(workers)


@contextlib.contextmanager
def block_kernel(config: TrainConfig, model: Model):
    """The run's block kernel: the candidate-block loop, or the full softmax with its
    vocabulary tiles (a thread each) and BLAS capped at one thread per call."""
    if not config.loss_record.full_softmax:
        from w2v_nce.kernels.block import train_block

        yield train_block
        return
    from threadpoolctl import threadpool_limits

    from w2v_nce.kernels.softmax import BATCH, train_block_softmax, vocabulary_tiles

    tiles = vocabulary_tiles(model.output.shape[0], config.threads, BATCH, config.dim)
    with threadpool_limits(limits=1, user_api="blas"):
        yield functools.partial(train_block_softmax, tiles=tiles)


class Tasks:
    """The run's (epoch, block) tasks: each one's block of ids, seed and learning rates.

    A task's place in the global schedule depends only on its epoch and block, so
    the run is the same whatever order the threads finish the tasks in.
    """

    def __init__(self, kernel, corpus: EncodedCorpus, config: TrainConfig, model: Model):
        self.kernel = kernel
        # Set on Ctrl-C/SIGTERM when no checkpoint is written: the blocks in flight end at
        # their next sentence (or batch) instead of running to their end.
        self.stop = np.zeros(1, dtype=np.uint8)
        # The blocks being trained: each one's words read so far (its kernel keeps the
        # count, sentence by sentence), for the progress bar between two blocks' ends.
        self.reading: dict[int, np.ndarray] = {}
        # Each trained task's (loss, examples, words), stored by the pool thread that
        # trained it: Ctrl-C reaches only the main thread, so a task in this record is
        # one whose updates are in the model, whatever the main thread was doing.
        self.trained: dict[int, tuple[float, int, int]] = {}
        buckets = () if model.buckets is None else (model.buckets,)
        self.weights = Weights(model.input, model.output, *buckets)
        self.tables = tables_for(model, config)
        self.spec = spec_for(config)
        self.ids = corpus.ids()
        self.starts = corpus.block_starts
        self.n_blocks = len(self.starts) - 1
        self.corpus_words = corpus.words
        self.total_words = corpus.words * config.epochs
        self.block_offsets = np.concatenate(([0], np.cumsum(corpus.block_words)))
        self.alpha, self.min_alpha = np.float32(config.resolved_alpha), np.float32(config.min_alpha)
        self.seed = config.seed
        self.epochs = config.epochs

    def schedule(self, words_before) -> Schedule:
        """The learning-rate schedule of a block that starts ``words_before`` words in."""
        return Schedule(
            self.alpha, self.min_alpha, np.int64(words_before), np.int64(self.total_words)
        )

    def run(self, task: int) -> tuple[float, int, int]:
        """Train one task's block: (loss sum, examples, words read). Runs in a pool thread."""
        epoch, block = divmod(task, self.n_blocks)
        ids = self.ids[self.starts[block] : self.starts[block + 1]]
        schedule = self.schedule(epoch * self.corpus_words + self.block_offsets[block])
        seed = mix_seed(self.seed, epoch, block)
        read = self.reading[task] = np.zeros(1, dtype=np.int64)
        try:
            result = self.kernel(
                ids, self.weights, self.tables, self.spec, schedule, seed, stop=self.stop, read=read
            )
            self.trained[task] = result
            return result
        finally:
            del self.reading[task]

    def words_in_flight(self) -> int:
        """The words the blocks being trained have read so far."""
        return sum(int(read[0]) for read in list(self.reading.values()))

    def load_kernel(self) -> float:
        """Numba loads the kernel from its cache, or compiles it (and the learning
        rate's, which the progress bar calls). Returns the loss per example of the
        model as it starts, measured by the kernel at rate 0 on the first block's first
        :data:`STARTING_WORDS` words: its updates are exactly zero, so nothing changes,
        and it draws from a stream no task uses (epoch = ``epochs``)."""
        ids = self.ids[self.starts[0] : min(self.starts[1], self.starts[0] + STARTING_WORDS)]
        still = Schedule(ZERO, ZERO, np.int64(0), np.int64(max(self.total_words, 1)))
        seed = mix_seed(self.seed, self.epochs, 0)
        loss, examples, _ = self.kernel(ids, self.weights, self.tables, self.spec, still, seed)
        self.learning_rate(0)
        return loss / examples if examples else math.nan

    def learning_rate(self, words: int) -> float:
        """The rate the kernel uses after ``words`` words of the whole schedule."""
        return float(learning_rate(self.schedule(0), words))


class Progress:
    """The progress bar, and each refresh's learning rate and mean loss (``on_interval``)."""

    def __init__(self, tasks: Tasks, stats: TrainStats, enabled: bool, resumed, on_interval):
        self.tasks = tasks
        self.stats = stats
        self.on_interval = on_interval
        self.bar = _progress_bar(tasks.total_words, stats.words, enabled, resumed)
        self.interval = [0.0, 0]  # loss and examples since the last refresh
        self.shown_in_flight = 0  # words of the blocks being trained the bar counts
        self.started = self.last_refresh = time.perf_counter()

    @contextlib.contextmanager
    def loading_kernel(self):
        """Around loading the kernel: said on the bar (the first run compiles it, some
        seconds; later runs load it from Numba's cache), timed, and before the clocks
        start: the bar's (its rate and ETA) and the loss log's."""
        description = getattr(self.bar, "desc", "")  # a disabled bar has none
        self.bar.set_description(LOADING)
        # Whether Numba will compile is known only once it does: say so when loading
        # takes longer than a cached kernel's load (a timer thread: the main thread is
        # in the compile), so a cached run never claims to compile.
        compiling = threading.Timer(COMPILING_AFTER, self.bar.set_description, (COMPILING,))
        compiling.daemon = True
        compiling.start()
        loading = time.perf_counter()
        try:
            yield
        except BaseException:  # Ctrl-C while compiling: nothing trained yet
            self.bar.close()
            raise
        finally:
            compiling.cancel()
            compiling.join()  # so it cannot rename the bar after this
        self.stats.kernel_seconds = time.perf_counter() - loading
        self.bar.unpause()  # the bar has not counted a word yet: its clock starts now
        self.bar.set_description(description)
        self.started = self.last_refresh = time.perf_counter()

    def add(self, loss: float, examples: int, words: int) -> None:
        self.interval[0] += loss
        self.interval[1] += examples
        self._in_flight(words)

    def _in_flight(self, finished: int = 0) -> None:
        """The bar counts the finished blocks' words and the words the blocks being trained
        have read so far (a small corpus is one block an epoch: the bar moved only at its
        end). ``finished``: a block's words just counted, whose own read-so-far is gone
        from the blocks in flight (one update: the bar never shows them twice)."""
        now = self.tasks.words_in_flight()
        self.bar.update(finished + now - self.shown_in_flight)
        self.shown_in_flight = now

    def refresh(self, last: bool) -> None:
        """Every second (and after the ``last`` task): the interval's loss and the rate."""
        now = time.perf_counter()
        self._in_flight()
        if not self.interval[1] or (now - self.last_refresh < 1.0 and not last):
            return
        loss = self.interval[0] / self.interval[1]
        lr = self.tasks.learning_rate(self.stats.words)
        self.bar.set_postfix(lr=f"{lr:.5f}", loss=f"{loss:.4f}", refresh=False)
        if self.on_interval is not None:
            self.on_interval(now - self.started, self.stats.words, lr, loss)
        self.interval[:] = [0.0, 0]
        self.last_refresh = now

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        self.bar.close()


class Pool:
    """The worker threads, fed a few tasks ahead (:data:`IN_FLIGHT`) so that the run
    can stop at a task boundary."""

    def __init__(self, tasks: Tasks, todo: Iterator[int], workers: int):
        self.tasks = tasks
        self.todo = todo
        self.limit = workers * (1 + IN_FLIGHT)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="w2v-nce")
        self.in_flight: dict = {}  # future: task

    def submit(self) -> None:
        while len(self.in_flight) < self.limit:
            task = next(self.todo, None)
            if task is None:
                return
            self.in_flight[self.executor.submit(self.tasks.run, task)] = task

    def finished(self) -> set:
        """The tasks that finished within half a second (or none)."""
        return wait(self.in_flight, timeout=0.5, return_when=FIRST_COMPLETED)[0]

    def all_finished(self) -> set:
        """Wait for every task in flight: a task boundary, nothing running."""
        return wait(self.in_flight).done

    def shutdown(self, cancel: bool = False) -> None:
        if cancel:
            for future in self.in_flight:
                future.cancel()
        self.executor.shutdown(wait=True)


class Training:
    """The main thread's loop: tasks to the pool, results to the statistics and the bar,
    checkpoints between tasks, Ctrl-C turned into :class:`TrainingInterrupted`."""

    def __init__(self, tasks: Tasks, model: Model, state: RunState, bar, checkpoints):
        self.tasks = tasks
        self.model = model
        self.state = state
        self.stats = state.stats
        self.bar = bar
        self.checkpoints = checkpoints
        self.starting_loss = math.nan

    def run(self, workers: int) -> TrainStats:
        self.stats.resumed_words = self.stats.words
        self.stats.resumed_examples = self.stats.examples
        self.stats.seconds = 0.0
        todo = iter(np.flatnonzero(~self.state.done).tolist())
        with self.bar.loading_kernel():
            self.starting_loss = self.tasks.load_kernel()
        started = (self.state.done.copy(), copy(self.stats))
        pool = Pool(self.tasks, todo, workers)
        try:
            self._loop(pool)
        except KeyboardInterrupt as stop:
            if self.checkpoints is None:
                # Nothing is resumed from this run: the blocks in flight may end now,
                # part-trained (a long block, k = 64 on a small corpus, the full
                # softmax, took minutes). A checkpoint needs them whole: they finish.
                self.tasks.stop[0] = 1
            pool.shutdown(cancel=True)
            self.bar.close()
            self._settle(*started)
            raise self._interrupted(stop) from None
        except BaseException:
            pool.shutdown(cancel=True)
            self.bar.close()
            raise
        pool.shutdown()
        self.bar.close()
        return self._finish()

    def _loop(self, pool: Pool) -> None:
        pool.submit()
        while pool.in_flight:
            self._collect(pool, pool.finished())
            if self.checkpoints is not None and self.checkpoints.due() and pool.in_flight:
                self._collect(pool, pool.all_finished())
                self.checkpoints.save(self.model, self.state)
            pool.submit()
            self.bar.refresh(last=not pool.in_flight)

    def _collect(self, pool: Pool, finished) -> None:
        """Count the finished tasks; a task that failed or was cancelled stays to do."""
        for future in finished:
            task = pool.in_flight.pop(future)
            if future.cancelled() or not future.done() or future.exception() is not None:
                continue
            loss, examples, words = future.result()
            self.state.done[task] = True
            self.stats.add(task // self.tasks.n_blocks, words, examples, loss)
            self.bar.add(loss, examples, words)
            faults.point("task")
            if not math.isfinite(loss):
                raise UserError(
                    "training diverged (the loss became NaN or infinite); "
                    "lower --alpha and try again; nothing was written"
                )
            if examples and loss / examples > DIVERGED * self.starting_loss:
                raise UserError(
                    f"training diverged (the loss per example rose to {loss / examples:.3g}, "
                    f"over {DIVERGED}× the {self.starting_loss:.3g} it started at); "
                    "lower --alpha and try again; nothing was written"
                )

    def _settle(self, done: np.ndarray, stats: TrainStats) -> None:
        """After Ctrl-C, the pool stopped: the run's state is the one it started from plus
        every task a pool thread trained (those running when Ctrl-C came included),
        counted in task order. Not the counts as they stand: Ctrl-C can come between a
        task's being marked done and its numbers' being added (a checkpoint claimed a
        block's words fewer than its model had trained)."""
        self.state.done[:] = done
        rebuilt = copy(stats)
        for task, (loss, examples, words) in sorted(self.tasks.trained.items()):
            self.state.done[task] = True
            rebuilt.add(task // self.tasks.n_blocks, words, examples, loss)
        vars(self.stats).update(vars(rebuilt))

    def _interrupted(self, stop: KeyboardInterrupt) -> TrainingInterrupted:
        """The partial model, marked interrupted, and its checkpoint if the run writes one."""
        self.stats.seconds = self.bar.seconds()
        self.model.config.update(interrupted=True, words_trained=self.stats.words)
        total = self.tasks.total_words
        interrupted = TrainingInterrupted(self.model, self.stats, total, signal_of(stop))
        if self.checkpoints is not None:
            try:
                interrupted.checkpoint = self.checkpoints.save(self.model, self.state)
            except KeyboardInterrupt:
                pass  # interrupted again while writing: the previous checkpoint stands
        return interrupted

    def _finish(self) -> TrainStats:
        self.stats.seconds = self.bar.seconds()
        model = self.model
        finite = np.isfinite(model.input).all() and np.isfinite(model.output).all()
        if not finite or (model.buckets is not None and not all_finite(model.buckets)):
            raise UserError(
                "training diverged (the vectors became NaN or infinite); lower --alpha; "
                "nothing was written"
            )
        if self.stats.examples == 0:
            raise UserError(
                f"nothing was trained: of the {self.stats.words:,} words read, subsampling "
                "(--sample) left no two in one sentence, so no pair; lower --sample (0 keeps "
                "every word) or use a larger corpus; nothing was written"
            )
        model.config.update(interrupted=False, words_trained=self.stats.words)
        return self.stats


def _fixed_size(stream) -> os.terminal_size | None:
    """None (the bar follows the terminal's size) unless ``stream`` is a terminal that
    reports a size of 0 -- a pseudo-terminal nobody sized, as ``script`` and some CI
    runners give -- where tqdm hides the bar (it takes row 0 for off the screen) and
    leaves an empty line: then $COLUMNS × $LINES, or 80 × 24."""
    try:
        if os.get_terminal_size(stream.fileno()).columns > 0:
            return None
    except (AttributeError, OSError, ValueError):  # not a terminal: tqdm's own choice
        return None
    return shutil.get_terminal_size()


def _progress_bar(total: int, initial: int, enabled: bool, resumed: str | None):
    from tqdm import tqdm

    size = _fixed_size(sys.stderr)
    return tqdm(
        total=total,
        initial=initial,
        unit="w",
        unit_scale=True,
        disable=not enabled,
        file=sys.stderr,
        ncols=size and size.columns,
        nrows=size and size.lines,
        dynamic_ncols=size is None,
        smoothing=0.1,
        desc=f"training (resumed at {resumed})" if resumed else "training",
    )
