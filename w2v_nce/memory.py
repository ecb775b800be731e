"""How much memory a training run needs, computed before anything large is allocated;
and how long the exact softmax will take (:func:`check_softmax_cost`).

The model is two float32 V×dim matrices (and with --subwords the B×dim bucket
matrix); around it each worker thread holds the
kernel's buffers, whose size depends on the model and the loss (:func:`estimate`):
the example-by-example kernel a few hidden vectors and a block of candidate
scores, the batched full softmax the examples of a whole block plus a batch×V
score matrix and a V×dim product. The per-word tables (noise, subsampling,
counts, and for hs the Huffman paths) are a few dozen to a few hundred bytes per
word.
The corpus itself is not in memory: its ids are read from disk one block per
thread at a time.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from w2v_nce.errors import UserError
from w2v_nce.losses import MAX_TREE_DEPTH, Loss
from w2v_nce.params import usable_cores

if TYPE_CHECKING:
    from w2v_nce.params import TrainConfig

FLOAT = 4
ID = 4
PER_WORD_TABLES = 64  # q, alias table, subsampling thresholds, offsets, counts (bytes/word)
NGRAMS_PER_WORD = 40  # --subwords: a bound on a word's n-gram ids (3-6: 4 per character)
REPORT_ABOVE = 1 << 30  # print the estimate for runs needing more than 1 GiB


@dataclass
class MemoryEstimate:
    model: int  # the two float32 matrices (and with --subwords the bucket matrix)
    buffers: int  # per-word tables and the threads' kernel buffers
    vocab_size: int
    dim: int
    buckets: int = 0  # --subwords: the bucket matrix's rows

    @property
    def total(self) -> int:
        return self.model + self.buffers

    def describe(self) -> str:
        matrices = f"{self.vocab_size:,} words × dim {self.dim} × 2 matrices × 4 bytes"
        if self.buckets:
            matrices = (
                f"({self.vocab_size:,} words × 2 + {self.buckets:,} --buckets) × dim "
                f"{self.dim} × 4 bytes"
            )
        return (
            f"about {format_bytes(self.total)}: the model is {matrices} = "
            f"{format_bytes(self.model)}, plus {format_bytes(self.buffers)} of buffers"
        )


def estimate(
    vocab_size: int,
    dim: int,
    loss: Loss,
    model: str,
    window: int,
    k: int,
    threads: int,
    longest_block: int,
    noise_group: int = 1,
    buckets: int = 0,
) -> MemoryEstimate:
    """Bytes a run will allocate, for the given vocabulary and encoded corpus shape.

    Per thread: the block read from disk (4 bytes an id) and its kept words, plus
    the kernel's scratch: for the example-by-example kernel, the hidden vectors
    and their gradients (2·window of them for skip-gram, 1 for CBOW) and the
    scores and coefficients of a block of candidates (k + 1, or a Huffman path),
    ``noise_group`` times as many hidden vectors and k + noise_group candidates when
    that many centre words share their noise draws (``--noise-group``);
    for the batched full softmax, every example of the block (context, target,
    start offset and learning rate: 20 bytes, twice while they are trimmed), a
    BATCH × V score matrix and the V × dim update of the output rows. With
    ``buckets`` (--subwords) the bucket matrix, and each word's n-gram ids.
    """
    matrix = vocab_size * dim * FLOAT
    per_word = PER_WORD_TABLES
    if loss.tree:
        per_word += MAX_TREE_DEPTH * (ID + FLOAT)  # each word's path: points and codes
    per_thread = 2 * longest_block * ID  # the block and its kept words
    if loss.full_softmax:
        from w2v_nce.kernels.softmax import BATCH  # imported only here: it pulls in numba

        per_thread += 2 * 2 * window * longest_block * 20
        per_thread += BATCH * vocab_size * FLOAT + matrix + 2 * BATCH * dim * FLOAT
    else:
        rows = noise_group * (1 if model == "cbow" else 2 * window)
        width = loss.outputs_per_step(k, noise_group, vocab_size)
        per_thread += 2 * rows * dim * FLOAT + 2 * rows * width * FLOAT + 3 * width * 8
    if buckets:
        per_word += NGRAMS_PER_WORD * ID + 8
    buffers = vocab_size * per_word + threads * per_thread
    model_bytes = 2 * matrix + buckets * dim * FLOAT
    return MemoryEstimate(model_bytes, buffers, vocab_size, dim, buckets)


def estimate_run(
    config: TrainConfig, vocab_size: int, longest_block: int, noise_group: int
) -> MemoryEstimate:
    """:func:`estimate` for a run of ``config`` (``noise_group`` centre words sharing
    their noise draws) on a corpus with that vocabulary and longest block."""
    return estimate(
        vocab_size=vocab_size,
        dim=config.dim,
        loss=config.loss_record,
        model=config.model,
        window=config.window,
        k=config.k,
        threads=config.loss_record.pool_size(config.threads),
        longest_block=longest_block,
        noise_group=noise_group,
        buckets=config.buckets if config.subwords else 0,
    )


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes ({} where there is none)."""
    values = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                fields = rest.split()
                if fields and fields[0].isdigit():
                    values[key] = int(fields[0]) * 1024
    except OSError:
        pass
    return values


def _cgroup_limit() -> int | None:
    """The cgroup (v2 or v1) memory limit of this process, if any."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def memory_limits() -> tuple[int | None, int | None]:
    """(available now, the most this process could ever get), in bytes; None if unknown.

    Available is MemAvailable (free memory plus what the kernel can reclaim)
    plus free swap; the ceiling is physical memory plus swap, or the cgroup limit
    if lower.
    """
    info = _meminfo()
    available = ceiling = None
    if "MemAvailable" in info:
        available = info["MemAvailable"] + info.get("SwapFree", 0)
    if "MemTotal" in info:
        ceiling = info["MemTotal"] + info.get("SwapTotal", 0)
    else:
        try:
            ceiling = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            ceiling = None
    limit = _cgroup_limit()
    if limit is not None:
        ceiling = limit if ceiling is None else min(ceiling, limit)
        available = limit if available is None else min(available, limit)
    return available, ceiling


def check(needed: MemoryEstimate, say, warn) -> None:
    """Print the estimate of a large run; refuse one that cannot fit at all.

    ``say`` prints information (silenced by --quiet), ``warn`` a warning. Raises
    :class:`UserError` when the estimate exceeds all the memory this machine (or
    cgroup) has, so the run fails now with a message instead of being killed
    by the kernel after it has read the whole corpus.
    """
    available, ceiling = memory_limits()
    if ceiling is not None and needed.total > ceiling:
        raise UserError(
            f"not enough memory: this run needs {needed.describe()}, and this machine has "
            f"{format_bytes(ceiling)} in all; lower --max-vocab or --dim"
            + (" or --buckets" if needed.buckets else "")
            + (" (or --threads)" if needed.buffers > needed.model else "")
        )
    if needed.total > REPORT_ABOVE:
        say(f"memory: {needed.describe()}")
    if available is not None and needed.total > available:
        warn(
            f"this run needs {format_bytes(needed.total)} of memory but only "
            f"{format_bytes(available)} is available; it may swap or be killed "
            "(lower --max-vocab or --dim)"
        )


# --------------------------------------------------------------------------- time


SOFTMAX_LARGE_VOCAB = 50_000  # warn above this many words: the exact softmax is O(V) a pair


def expected_pairs(counts: np.ndarray, sample: float, window: int, epochs: int) -> float:
    """Pairs training will see: kept occurrences × E[2b] = window + 1 (ignoring line ends)."""
    from w2v_nce.noise import keep_thresholds  # imported only here: noise pulls in numba

    kept = (keep_thresholds(counts, sample).astype(np.float64) / 2**32 * counts).sum()
    return float(kept * (window + 1) * epochs)


def sgemm_rate(
    rows: int, columns: int, dim: int, repeats: int = 3, seconds: float = 0.0, fastest=False
) -> float:
    """Measured float32 flop/s of numpy's (rows × dim) @ (dim × columns) on this machine.

    At least ``repeats`` products, and more until ``seconds`` have passed (the
    benchmark's steadier reading; the memory estimate wants it quick). The mean rate
    over them, or with ``fastest`` the fastest product's: what the machine does when
    the other work on it lets it (the softmax's cost estimate, which says "at least").
    """
    rng = np.random.default_rng(0)
    u = rng.random((rows, dim), dtype=np.float32)
    w = rng.random((columns, dim), dtype=np.float32)
    u @ w.T  # warm up BLAS threads
    calls, started, shortest = 0, time.perf_counter(), math.inf
    while calls < repeats or time.perf_counter() - started < seconds:
        before = time.perf_counter()
        u @ w.T
        shortest = min(shortest, time.perf_counter() - before)
        calls += 1
    each = shortest if fastest else (time.perf_counter() - started) / calls
    return 2.0 * rows * columns * dim / each


def softmax_cost(counts: np.ndarray, config: TrainConfig) -> tuple[float, float, float]:
    """(pairs, flops, flop/s) of a full-softmax run: 6·pairs·V·d flops, at the rate of
    the kernel's threads: numpy's sgemm measured on one BLAS thread, as the kernel
    calls it (one call per vocabulary tile and thread), times the threads.

    Measured with BLAS's own threads, a product this small ran some hundred times
    slower on a busy machine (0.18 against 73 GFLOP/s, audit): its threads wait for
    each other, which the kernel's never do.
    """
    from threadpoolctl import threadpool_limits

    from w2v_nce.kernels.softmax import BATCH  # imported only here: it pulls in numba

    pairs = expected_pairs(counts, config.sample, config.window, config.epochs)
    flops = 6.0 * pairs * counts.size * config.dim
    with threadpool_limits(limits=1, user_api="blas"):
        one = sgemm_rate(BATCH, min(counts.size, 20000), config.dim, fastest=True)
    return pairs, flops, one * softmax_threads(config)


def softmax_threads(config: TrainConfig) -> int:
    """The threads the full softmax's tiles run on: --threads, at most the usable cores."""
    return max(1, min(config.threads, usable_cores()))


def _flops(flops: float) -> str:
    """'3.2 TFLOP', '45 GFLOP', '120 MFLOP': three digits at most, never '0.0 TFLOP'."""
    for unit, scale in (("TFLOP", 1e12), ("GFLOP", 1e9)):
        if flops >= scale:
            return (
                f"{flops / scale:,.1f} {unit}"
                if flops < 10 * scale
                else f"{flops / scale:,.0f} {unit}"
            )
    return f"{flops / 1e6:,.0f} MFLOP"


def _duration(seconds: float) -> str:
    """'1.4 hours', '12 minutes', '40 seconds', '0.26 seconds'."""
    if seconds >= 5400:
        return f"{seconds / 3600:,.1f} hours"
    if seconds >= 90:
        return f"{seconds / 60:,.0f} minutes"
    if seconds >= 1.5:
        return f"{seconds:,.0f} seconds"
    return f"{seconds:.2g} seconds"


def check_softmax_cost(counts: np.ndarray, config: TrainConfig, say, warn) -> None:
    """What the exact softmax will cost, before it starts; a warning on a large vocabulary.

    ``say`` and ``warn`` as for :func:`check`.
    """
    pairs, flops, rate = softmax_cost(counts, config)
    threads = softmax_threads(config)
    say(
        f"softmax: about {pairs:,.0f} pairs × {counts.size:,} words × dim {config.dim} "
        f"= {_flops(flops)}; at this machine's {rate / 1e9:,.0f} GFLOP/s sgemm "
        f"({threads} thread{'s' if threads > 1 else ''}) that is at least "
        f"{_duration(flops / rate)}"
    )
    if counts.size > SOFTMAX_LARGE_VOCAB:
        warn(
            f"the exact softmax over {counts.size:,} words is slow; consider "
            "--max-vocab 50000 or --loss nce"
        )
