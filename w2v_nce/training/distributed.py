"""Data-parallel training on a Dask cluster: ``train --workers N`` / ``--scheduler ADDRESS``.

Dask (``dask.distributed``) is the engine: it starts the worker processes (a
``LocalCluster``) or reaches an existing cluster, places each task where its data
is, moves the data, and reruns a task whose worker died. What is ours is the plan
(pWord2Vec's, Ji et al. 2016, with design.md §11's touched rows):

1. **Shards.** The corpus (one file, a directory or a glob, local or an fsspec URL;
   plain, .gz, .bz2) is cut into pieces -- a compressed file whole, a plain file into
   newline-aligned byte ranges, as the encoder's first pass cuts it for its threads --
   and the pieces, in order, into one shard per worker of about equal bytes.
2. **Vocabulary.** Each piece is counted on a worker by the encoder's own
   tokenizer (:class:`~w2v_nce.wordtable.WordTable`); the driver adds the counts
   and applies the same vocabulary rule, so the vocabulary and its counts are
   exactly one process's. A bad byte in a piece comes back as data and is raised
   as the same one-line error, with the line number in its file.
3. **Encoding.** Each shard is encoded on a worker into int32 ids (-1 after each
   sentence) that stay in that worker's memory, a Dask future; a worker that dies
   takes it along and Dask re-encodes it from the file (a pure task). Each shard is
   cut into the same number of slices of about ``sync_every`` words.
4. **Rounds.** Each round every shard trains its next slice with ``threads`` Hogwild
   threads in the one-machine block kernel, from the synchronised model, with seeds
   from (seed, epoch, shard, round, part) and learning rates from the global schedule,
   and returns the rows it changed and by how much (:class:`Update`).
5. **Synchronising, worker to worker.** Round n + 1's task on a shard takes round n's
   updates of every shard as its inputs: Dask moves them from the workers that made
   them to the worker that needs them, and the task first adds them to that worker's
   mirror of the synchronised model (:func:`combine`: only touched rows move, their
   changes summed in shard order, as a parameter server applies its workers' updates;
   averaging was measured to lose quality), so every mirror is the same model bit for
   bit. The driver submits each round's tasks one round ahead, so the cluster never
   waits for it, and receives only each task's numbers (:class:`Numbers`); its copy of
   the model is a snapshot of a worker's mirror (:func:`snapshot`) taken after the
   last round, when a checkpoint is due and every SNAPSHOT_SECONDS.
6. **Faults.** A round's task is a pure function of (synchronised model, slice, seed):
   rerun after its worker died, it gives the same update. A worker whose mirror is not
   of the round (a replacement) answers :data:`MISSING`; the driver then drops the
   rounds in flight, sends the newest synchronised model a worker (or its snapshot)
   has to the workers that lack it and reruns the rounds from there. With
   ``--threads 1`` a seed and a worker count fix the result bit for bit.

A checkpoint is the synchronised model and the rounds done (the one-machine
checkpoint file, a round per task), a snapshot written after a round; rerunning resumes at
the next round with the same result as an uninterrupted run.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import hashlib
import io
import logging
import math
import os
import posixpath
import stat
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from w2v_nce.errors import TrainingInterrupted, UsageError, UserError, signal_of
from w2v_nce.params import RUN_OPTIONS

LOCAL_START_SECONDS = 60  # a LocalCluster's workers must be up by then
MIRROR_ATTEMPTS = 20  # a round's tries to find every worker's mirror before giving up
#: A LocalCluster's Dask settings: no statistical profiler (a stack sample every 10 ms in
#: every worker), no GIL monitor, the health ticks and memory checks once a second, no
#: active memory manager (a task's inputs are where it runs). Measured on an idle
#: 2-worker cluster: 0.025 core instead of 0.12 (docs/distributed.md), which on a
#: machine of 2 cores is training time.
QUIET_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.active-memory-manager.start": False,
}
AHEAD = 2  # rounds in flight: the next one's tasks wait on the cluster for this one's updates
SNAPSHOT_SECONDS = 30.0  # the driver's copy of the model at most this old (a fault reruns from it)


# -- the corpus: files, pieces, shards -------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A part of one file a worker reads: bytes [start, end), or the whole stream (end -1)."""

    path: str
    start: int
    end: int
    size: int  # bytes, for balancing shards (a compressed file: its compressed size)


def corpus_files(corpus: str) -> list[str]:
    """The files of ``corpus``: a file, the files of a directory, or a glob's; sorted."""
    if is_url(corpus):
        return url_files(corpus)
    if os.path.isdir(corpus):
        names = sorted(os.listdir(corpus))
        files = [os.path.join(corpus, n) for n in names if not n.startswith(".")]
        files = [f for f in files if os.path.isfile(f)]
        what = f"the directory {corpus} has no files"
    elif os.path.exists(corpus) or not glob.has_magic(corpus):
        files = [corpus]
        what = ""
    else:
        files = sorted(f for f in glob.glob(corpus) if os.path.isfile(f))
        what = f"no file matches {corpus}"
    if not files:
        raise UserError(f"{what}; give a text file (plain, .gz, .bz2), a directory or a glob")
    return files


def split_corpus(corpus: str, parts: int) -> list[Piece]:
    """The pieces of ``corpus`` in order: each plain file in ``parts`` newline-aligned
    byte ranges (the encoder's first pass), each compressed file whole."""
    from w2v_nce.io.corpus import SNIFF_BYTES, open_corpus, source_name, start_of_text
    from w2v_nce.io.first_pass import _line_bounds, _pread

    pieces = []
    for path in corpus_files(corpus):
        if is_url(path):
            pieces += url_pieces(path, parts)
            continue
        stream = open_corpus(path)
        try:
            fd = stream.fileno() if isinstance(stream, io.BufferedReader) else None
            size = os.fstat(stream.fileno()).st_size
            if fd is None or not stat.S_ISREG(os.fstat(fd).st_mode):
                pieces.append(Piece(path, 0, -1, size))
                continue
            name = source_name(path)
            start = start_of_text(_pread(fd, SNIFF_BYTES + 3, 0, name), name)
            bounds = _line_bounds(fd, start, size, parts, name)
        finally:
            stream.close()
        bounds[0] = 0  # the piece at 0 skips the byte-order mark itself (piece_blocks)
        pieces += [Piece(path, a, b, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    return pieces


def shard_pieces(pieces: list[Piece], shards: int) -> list[list[Piece]]:
    """The pieces, in order, into ``shards`` runs of about equal bytes (some may be empty)."""
    total = sum(p.size for p in pieces) or 1
    out: list[list[Piece]] = [[] for _ in range(shards)]
    done = 0
    for piece in pieces:
        middle = done + piece.size / 2
        out[min(int(middle * shards / total), shards - 1)].append(piece)
        done += piece.size
    return out


def piece_blocks(piece: Piece):
    """The blocks of :func:`~w2v_nce.corpus.blocks` of one piece (on a worker)."""
    from w2v_nce.io.corpus import (
        SNIFF_BYTES,
        blocks,
        open_corpus,
        reader,
        source_name,
        start_of_text,
        stream_chunks,
    )
    from w2v_nce.io.first_pass import CHUNK_BYTES, _pread

    name = source_name(piece.path)
    if is_url(piece.path):
        (chunks, dropped), stream = url_chunks(piece, CHUNK_BYTES)
        with contextlib.closing(stream):
            yield from blocks(chunks, dropped, name)
        return
    if piece.end < 0:
        with contextlib.closing(open_corpus(piece.path)) as stream:
            chunks, dropped = stream_chunks(reader(stream, name), CHUNK_BYTES, name)
            yield from blocks(chunks, dropped, name)
        return
    fd = os.open(piece.path, os.O_RDONLY)
    try:
        start = piece.start
        if start == 0:
            start = start_of_text(_pread(fd, SNIFF_BYTES + 3, 0, name), name)

        def chunks():
            pos = start
            while pos < piece.end:
                data = _pread(fd, min(CHUNK_BYTES, piece.end - pos), pos, name)
                if not data:
                    return
                pos += len(data)
                yield data

        yield from blocks(chunks(), start if piece.start == 0 else 0, name)
    finally:
        os.close(fd)


# -- fsspec URLs (s3://, gs://, hdfs://, file://): what the workers read -------------------


def is_url(corpus: str) -> bool:
    """A corpus given as an fsspec URL rather than a local path."""
    return "://" in corpus and not os.path.exists(corpus)


def _url_fs(url: str):
    """(filesystem, path) of an fsspec URL; a UserError when fsspec cannot read it."""
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UserError(
            f"cannot read {url}: {exc}; a URL needs fsspec and the package of its "
            "protocol (s3fs for s3://, gcsfs for gs://) on the driver and every worker"
        ) from None


def url_files(corpus: str) -> list[str]:
    """The files of a URL: the file, the files under a directory, or a glob's; sorted."""
    fs, path = _url_fs(corpus)
    try:
        if glob.has_magic(path):
            found = fs.glob(path)
        elif fs.isdir(path):
            found = fs.find(path)
        else:
            found = [path] if fs.exists(path) else []
        files = sorted(f for f in found if fs.isfile(f) and not posixpath.basename(f)[:1] == ".")
    except OSError as exc:
        raise UserError(f"cannot read {corpus}: {exc}") from None
    if not files:
        raise UserError(
            f"no file at {corpus}; give a text file (plain, .gz, .bz2), a directory or a glob"
        )
    return [fs.unstrip_protocol(f) for f in files]


def open_url(url: str):
    """A URL's file for binary reading, decompressing gzip or bzip2 by magic bytes (as
    :func:`~w2v_nce.io.corpus.open_corpus`); (stream, compressed)."""
    from w2v_nce.io.corpus import _OwningBZ2File, _OwningGzipFile

    fs, path = _url_fs(url)
    try:
        raw = fs.open(path, "rb")
        magic = raw.read(4)
        raw.seek(0)
    except OSError as exc:
        raise UserError(f"cannot read {url}: {exc}") from None
    if magic[:2] == b"\x1f\x8b":
        return _OwningGzipFile(raw), True
    if magic[:3] == b"BZh" and magic[3:4].isdigit():
        return _OwningBZ2File(raw), True
    return raw, False


def url_pieces(url: str, parts: int) -> list[Piece]:
    """A URL's pieces: a compressed file whole, a plain one in ``parts`` byte ranges,
    each boundary moved past the next newline."""
    from w2v_nce.io.corpus import SNIFF_BYTES, start_of_text

    stream, compressed = open_url(url)
    with contextlib.closing(stream):
        size = int(_url_fs(url)[0].size(_url_fs(url)[1]))
        if compressed:
            return [Piece(url, 0, -1, size)]
        start_of_text(stream.read(SNIFF_BYTES + 3), url)
        bounds = [0]
        for i in range(1, parts):
            target = max(size * i // parts, bounds[-1])
            stream.seek(target)
            bounds.append(min(target + _past_newline(stream), size))
        bounds.append(size)
    return [Piece(url, a, b, b - a) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _past_newline(stream, step: int = 1 << 16) -> int:
    """Bytes from the stream's position to just past its next newline (to its end)."""
    read = 0
    while chunk := stream.read(step):
        at = chunk.find(b"\n")
        if at >= 0:
            return read + at + 1
        read += len(chunk)
    return read


def url_chunks(piece: Piece, chunk_bytes: int):
    """(chunks, bytes dropped at the start) of a URL's piece, read on a worker."""
    from w2v_nce.io.corpus import SNIFF_BYTES, reader, start_of_text, stream_chunks

    stream, _ = open_url(piece.path)
    if piece.end < 0:
        return stream_chunks(reader(stream, piece.path), chunk_bytes, piece.path), stream
    start = piece.start
    if start == 0:
        start = start_of_text(stream.read(SNIFF_BYTES + 3), piece.path)
    stream.seek(start)
    read = reader(stream, piece.path)

    def chunks():
        pos = start
        while pos < piece.end and (data := read(min(chunk_bytes, piece.end - pos))):
            pos += len(data)
            yield data

    return (chunks(), start if piece.start == 0 else 0), stream


# -- the vocabulary: counted per piece, merged ----------------------------------------------


@dataclass
class PieceCount:
    words: list[str] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    tokens: int = 0
    sentences: int = 0
    last_line: int = 1
    error: tuple | None = None  # a LocatedError's (lineno, before, after)


def count_piece(piece: Piece, encoding_errors: str) -> PieceCount:
    """A worker's task: the distinct words of a piece and their counts."""
    from w2v_nce.io.corpus import LocatedError, source_name
    from w2v_nce.io.first_pass import _encode_blocks, _rules, _unique
    from w2v_nce.kernels.wordtable import WordTable

    table = WordTable()
    name = source_name(piece.path)
    try:
        last = _encode_blocks(piece_blocks(piece), table, _rules(encoding_errors), name, None)
    except LocatedError as exc:
        return PieceCount(error=(exc.lineno, exc.before, exc.after))
    words, counts, _ = _unique(table.words(encoding_errors), table.word_counts())
    return PieceCount(words, counts, table.tokens, table.sentences, last)


@dataclass
class Counted:
    """The merged counts of a corpus: what the vocabulary rule chooses from."""

    words: list[str]
    counts: np.ndarray
    tokens: int
    sentences: int


def merge_counts(pieces: list[Piece], counted: list[PieceCount]) -> Counted:
    """Add the pieces' counts; the first error in corpus order, with its file's line number."""
    from w2v_nce.io.corpus import LocatedError

    first_line: dict[str, int] = {}
    for piece, count in zip(pieces, counted, strict=True):
        line = first_line.get(piece.path, 1)
        if count.error is not None:
            raise LocatedError(*count.error).at(line) from None
        first_line[piece.path] = line + count.last_line - 1
    index: dict[str, int] = {}
    for count in counted:
        for word in count.words:
            index.setdefault(word, len(index))
    totals = np.zeros(len(index), dtype=np.int64)
    for count in counted:
        positions = np.fromiter((index[w] for w in count.words), np.int64, len(count.words))
        np.add.at(totals, positions, count.counts)
    return Counted(
        list(index),
        totals,
        sum(c.tokens for c in counted),
        sum(c.sentences for c in counted),
    )


def count_corpus(client, pieces: list[Piece], encoding_errors: str, name: str) -> Counted:
    """Count every piece on the cluster and merge: one process's counts of the corpus."""
    from w2v_nce.io.corpus import check_encoding_errors

    check_encoding_errors(encoding_errors)
    futures = [
        client.submit(count_piece, piece, encoding_errors, key=f"w2v-count-{i}-{_token()}")
        for i, piece in enumerate(pieces)
    ]
    counted = merge_counts(pieces, client.gather(futures))
    if counted.tokens == 0:
        raise UserError(f"{name}: the corpus is empty (no tokens); give a text file")
    return counted


# -- the shards' ids, on the workers --------------------------------------------------------


def encode_shard(pieces: list[Piece], words: list[str], encoding_errors: str) -> np.ndarray:
    """A worker's task: the shard's final ids, -1 after each sentence, none empty."""
    from w2v_nce.io.corpus import source_name
    from w2v_nce.io.encode import _remap_chunk
    from w2v_nce.io.first_pass import _encode_blocks, _rules
    from w2v_nce.kernels.wordtable import WordTable

    index = {word: i for i, word in enumerate(words)}
    parts = [np.zeros(0, dtype=np.int32)]
    with tempfile.TemporaryDirectory(prefix="w2v-nce-shard-") as tmp:
        sink = os.path.join(tmp, "provisional.int32")
        for piece in pieces:
            table = WordTable()
            name = source_name(piece.path)
            _encode_blocks(piece_blocks(piece), table, _rules(encoding_errors), name, sink)
            provisional = np.fromfile(sink, dtype=np.int32)
            remap = np.array([index.get(w, -1) for w in table.words(encoding_errors)], np.int32)
            out = np.empty(provisional.size, dtype=np.int32)
            ends = np.empty(provisional.size, dtype=np.int64)
            n_out, _ = _remap_chunk(provisional, remap, out, ends, np.zeros(3, dtype=np.int64))
            parts.append(out[:n_out])
    return np.concatenate(parts)


def cut_words(ids: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets that cut ``ids`` at sentence ends into ``parts`` parts of about equal
    words (a part may be empty when there are fewer sentences), and the words of each."""
    ends = np.flatnonzero(ids < 0) + 1
    words_at = ends - np.arange(1, ends.size + 1)  # words before each sentence end
    total = int(words_at[-1]) if ends.size else 0
    targets = np.arange(1, parts) * (total / parts)  # below total: a sentence end reaches each
    after = np.searchsorted(words_at, targets)  # the first sentence end at or past each target
    before = np.maximum(after - 1, 0)
    if total:
        nearer = (after > 0) & (targets - words_at[before] <= words_at[after] - targets)
        inner = ends[np.where(nearer, before, after)]
    else:
        inner = np.zeros(parts - 1, np.int64)
    cuts = np.concatenate(([0], inner, [ids.size])).astype(np.int64)
    lengths = np.array([shard_words(ids[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)])
    return cuts, lengths.astype(np.int64)


def shard_words(ids: np.ndarray) -> int:
    """A worker's task: the words of a shard."""
    return int((ids >= 0).sum())


# -- a round's task, on a worker ------------------------------------------------------------


class Job(NamedTuple):
    """What every round's task shares: sent to each worker once."""

    config: object  # params.TrainConfig
    tables: object  # kernels.bundles.Tables
    spec: object  # kernels.bundles.Spec
    total_words: int  # epochs × corpus words: the schedule's length


class Position(NamedTuple):
    """Where a task sits: its seeds' parts and the words of the schedule before it."""

    epoch: int
    shard: int
    round: int
    words_before: int


class Update(NamedTuple):
    """A task's result: the rows it changed and by how much, and its numbers."""

    input_rows: np.ndarray  # int32
    input_delta: np.ndarray  # bfloat16 (uint16) rows × dim: kernels/rowsync.py
    output_rows: np.ndarray
    output_delta: np.ndarray
    loss: float
    examples: int
    words: int
    seconds: float  # training the slice and finding the rows it changed
    combine_seconds: float  # combining the previous round's updates into the mirror

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self[:4])


class Numbers(NamedTuple):
    """An update's numbers: all the driver receives of a round's task."""

    loss: float
    examples: int
    words: int
    seconds: float
    combine_seconds: float
    nbytes: int


def numbers_of(update) -> Numbers | str:
    """A worker's task: the numbers of the update beside it (not the update itself)."""
    if not isinstance(update, Update):
        return MISSING
    return Numbers(*update[4:9], update.nbytes)


MISSING = "missing"  # a task's answer on a worker with no mirror of its round

_MIRROR: dict = {}  # on each worker: {"version": round, "input": ..., "output": ...}
_MIRROR_LOCK = threading.Lock()
_SCRATCH: dict = {}  # on each worker: the arrays its tasks train in, reused round after round
_SCRATCH_LOCK = threading.Lock()


def mirror_version() -> int:
    return _MIRROR.get("version", -1)


def set_mirror(version: int, input: np.ndarray, output: np.ndarray) -> int:
    with _MIRROR_LOCK:
        _MIRROR.update(version=version, input=np.array(input), output=np.array(output))
    return version


def current_mirror() -> tuple | None:
    """On a worker: (version, input, output) of its mirror, copied; None without one."""
    with _MIRROR_LOCK:
        if "version" not in _MIRROR:
            return None
        return _MIRROR["version"], _MIRROR["input"].copy(), _MIRROR["output"].copy()


def snapshot(version: int, previous: list) -> tuple | str:
    """A worker's task: the synchronised model of round ``version`` (its mirror, first
    combining ``previous``, round ``version`` - 1's updates), copied; or :data:`MISSING`
    when the mirror is not of that round (already past it, or a replacement's)."""
    if synced_model(version, previous) is None:
        return MISSING
    got = current_mirror()
    return got if got is not None and got[0] == version else MISSING


def synced_model(version: int, previous: list | None):
    """The worker's mirror as the synchronised model of round ``version`` (its Weights),
    first combining ``previous`` (round ``version`` - 1's updates, fetched by Dask from
    the workers that made them) into the mirror of that round; None when the mirror is
    neither (a replacement worker, or an update lost with its worker)."""
    from w2v_nce.kernels.bundles import Weights

    with _MIRROR_LOCK:
        have = _MIRROR.get("version")
        if have == version - 1 and previous and all(isinstance(u, Update) for u in previous):
            combine(_MIRROR["input"], [(u.input_rows, u.input_delta) for u in previous])
            combine(_MIRROR["output"], [(u.output_rows, u.output_delta) for u in previous])
            _MIRROR["version"] = have = version
        if have != version:
            return None
        return Weights(_MIRROR["input"], _MIRROR["output"])


@contextlib.contextmanager
def training_copy(synced):
    """A copy of the synchronised model for a task to train: the worker's scratch arrays
    (no fresh pages to fault in every round: 2 x V x dim floats) unless another task
    holds them."""
    from w2v_nce.kernels.bundles import Weights

    if not _SCRATCH_LOCK.acquire(blocking=False):
        yield Weights(synced.input.copy(), synced.output.copy())
        return
    try:
        arrays = []
        for name, source in (("input", synced.input), ("output", synced.output)):
            kept = _SCRATCH.get(name)
            if kept is None or kept.shape != source.shape:
                kept = _SCRATCH[name] = np.empty_like(source)
            np.copyto(kept, source)
            arrays.append(kept)
        yield Weights(*arrays)
    finally:
        _SCRATCH_LOCK.release()


def train_slice(version, previous, ids, start: int, end: int, job: Job, at: Position):
    """A worker's task: train ids[start:end] from the synchronised model of round
    ``version`` (:func:`synced_model`) with ``threads`` Hogwild threads; the rows
    changed (:class:`Update`), or :data:`MISSING`."""
    from w2v_nce.kernels.rowsync import row_changes

    started = time.perf_counter()
    synced = synced_model(version, previous)
    if synced is None:
        return MISSING
    combined = time.perf_counter()
    with training_copy(synced) as weights:
        results = train_part(ids[start:end], weights, job, at)
        input_rows, input_delta = row_changes(synced.input, weights.input)
        output_rows, output_delta = row_changes(synced.output, weights.output)
    return Update(
        input_rows,
        input_delta,
        output_rows,
        output_delta,
        float(sum(r[0] for r in results)),
        int(sum(r[1] for r in results)),
        int(sum(r[2] for r in results)),
        time.perf_counter() - combined,
        combined - started,
    )


def train_part(part: np.ndarray, weights, job: Job, at: Position) -> list:
    """Train a slice in ``weights`` with the block kernel, in ``threads`` parts of
    about equal words (Hogwild threads); each part's (loss, examples, words)."""
    from w2v_nce.kernels.bundles import Schedule
    from w2v_nce.kernels.rng import mix_seed
    from w2v_nce.training.trainer import block_kernel

    config = job.config
    cuts, words = cut_words(part, config.threads)
    before = at.words_before + np.concatenate(([0], np.cumsum(words)))
    alpha, min_alpha = np.float32(config.resolved_alpha), np.float32(config.min_alpha)
    with block_kernel(config, weights) as kernel:

        def run(i: int):
            schedule = Schedule(alpha, min_alpha, np.int64(before[i]), np.int64(job.total_words))
            seed = mix_seed(config.seed, at.epoch, at.shard, at.round, i)
            return kernel(
                part[cuts[i] : cuts[i + 1]], weights, job.tables, job.spec, schedule, seed
            )

        if len(words) == 1:  # --threads 1: in this thread, no pool to start
            return [run(0)]
        with ThreadPoolExecutor(max_workers=len(words)) as pool:
            return list(pool.map(run, range(len(words))))


def load_kernel(job: Job) -> float:
    """On a worker: load (or compile) the block kernel and the row loops before the
    first round."""
    from w2v_nce.kernels.bundles import Schedule, Weights
    from w2v_nce.kernels.rowsync import row_changes
    from w2v_nce.training.trainer import block_kernel

    started = time.perf_counter()
    dim = job.config.dim
    weights = Weights(np.zeros((1, dim), np.float32), np.zeros((1, dim), np.float32))
    schedule = Schedule(np.float32(0), np.float32(0), np.int64(0), np.int64(1))
    with block_kernel(job.config, weights) as kernel:
        kernel(np.zeros(0, np.int32), weights, job.tables, job.spec, schedule, np.uint64(0))
    rows, delta = row_changes(weights.input, weights.output)
    combine(weights.input, [(rows, delta)])
    return time.perf_counter() - started


# -- combining a round's updates, on the workers ---------------------------------------------


def combine(matrix: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Add each update's changes to the rows it touched, one update after the other in
    the order given (shard order: the float32 sums are the same every run and on every
    worker). An update's rows are distinct, so each is one pass over its touched rows
    (:func:`~w2v_nce.kernels.rowsync.add_rows`; a third of the time of summing the
    updates first).

    Only touched rows move, so a rare word's update is never divided by the workers
    that did not see it. The changes of a row several workers touched are summed, not
    averaged: averaging divides a frequent word's learning by the workers (measured on
    bench-dev, 2 workers: WordSim-353 0.370 and analogy 0.042 against one process's
    0.489 and 0.071; summed, 0.488 and 0.079; docs/distributed.md).
    """
    from w2v_nce.kernels.internal import read_only
    from w2v_nce.kernels.rowsync import add_rows

    for rows, delta in parts:
        # read-only, as an update from another worker arrives: one compiled add_rows
        add_rows(matrix, read_only(rows), read_only(delta))


# -- the cluster -----------------------------------------------------------------------------


def _token() -> str:
    return os.urandom(4).hex()


@contextlib.contextmanager
def cluster(workers: int | None, scheduler: str | None, client=None):
    """A Dask client: the one given, one of an existing cluster at ``scheduler``, or of a
    LocalCluster of ``workers`` processes (closed on exit)."""
    if client is not None:
        yield client
        return
    from dask.distributed import Client, LocalCluster

    # Ctrl-C in the middle of a gather leaves the client's own pending tasks with an
    # exception nobody retrieves, which asyncio logs with a traceback: not for the user.
    asyncio_log = logging.getLogger("asyncio")
    level = asyncio_log.level
    asyncio_log.setLevel(logging.CRITICAL)
    try:
        with _cluster(workers, scheduler, Client, LocalCluster) as connected:
            yield connected
    finally:
        asyncio_log.setLevel(level)


@contextlib.contextmanager
def _cluster(workers, scheduler, Client, LocalCluster):
    """:func:`cluster`'s client of an existing cluster, or of a new LocalCluster."""
    if scheduler:
        try:
            connected = Client(scheduler, timeout=30)
        except OSError as exc:
            raise UserError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start it with "
                "'dask scheduler' and its workers with 'dask worker ADDRESS'"
            ) from None
        with connected:
            yield connected
        return
    import dask

    with dask.config.set(QUIET_CLUSTER):
        local = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # no fixed port: runs side by side
            silence_logs=logging.CRITICAL,  # a worker's error reaches the user as an exception
        )
    try:
        with dask.config.set(QUIET_CLUSTER), Client(local) as connected:
            connected.wait_for_workers(workers, timeout=LOCAL_START_SECONDS)
            connected.register_worker_callbacks(setup=ignore_interrupts)
            yield connected
    finally:
        local.close()


def ignore_interrupts() -> None:
    """On a worker of our LocalCluster: Ctrl-C in the terminal reaches every process of
    the group; the driver handles it (checkpoint, one message) and closes the cluster."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_addresses(client) -> list[str]:
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


# -- the rounds, on the driver ---------------------------------------------------------------


@dataclass
class SyncStats:
    """What synchronising cost: for docs/distributed.md's model."""

    rounds: int = 0
    seconds: float = 0.0  # wall time of the rounds
    compute_seconds: float = 0.0  # the slowest task's training in each round, summed
    combine_seconds: float = 0.0  # the slowest task's combining of the previous updates
    driver_seconds: float = 0.0  # the driver's taking of snapshots (while rounds train)
    update_bytes: int = 0  # the updates made (each worker's rows changed and by how much)
    bytes_between_workers: int = 0  # each update to every other worker of the next round
    bytes_to_driver: int = 0  # the snapshots of the model the driver took
    bytes_whole: int = 0  # whole models sent: at the start, and to replacement workers

    @property
    def share(self) -> float:
        """The share of wall time not spent in the slowest worker's training."""
        return 1.0 - self.compute_seconds / self.seconds if self.seconds > 0 else 0.0

    @property
    def bytes_per_sync(self) -> float:
        return (self.bytes_between_workers + self.bytes_to_driver) / max(self.rounds, 1)

    def as_dict(self) -> dict:
        return {
            "rounds": self.rounds,
            "seconds": self.seconds,
            "sync_share": self.share,
            "bytes_between_workers": self.bytes_between_workers,
            "bytes_to_driver": self.bytes_to_driver,
            "update_bytes": self.update_bytes,
            "bytes_whole_models": self.bytes_whole,
            "bytes_per_sync": self.bytes_per_sync,
            "seconds_per_sync": (self.seconds - self.compute_seconds) / max(self.rounds, 1),
            "compute_seconds": self.compute_seconds,
            "combine_seconds": self.combine_seconds,
            "driver_seconds": self.driver_seconds,
        }


@dataclass
class Plan:
    """The rounds of a run: shards' ids on the workers, their slices, the schedule."""

    shards: list  # futures of the shards' ids
    homes: list[str]  # the worker each shard was encoded on, where its rounds train
    cuts: list[np.ndarray]  # per shard, the slices' offsets
    words: np.ndarray  # int64 shards × rounds of an epoch: the words of each slice
    corpus_words: int
    epochs: int

    @property
    def rounds_per_epoch(self) -> int:
        return self.words.shape[1]

    @property
    def rounds(self) -> int:
        return self.epochs * self.rounds_per_epoch

    @property
    def shard_words(self) -> np.ndarray:
        return self.words.sum(axis=1)

    def before(self, epoch: int, rnd: int, shard: int) -> int:
        """Words of the schedule before this slice: earlier rounds, then earlier shards."""
        done = int(self.words[:, :rnd].sum()) + int(self.words[:shard, rnd].sum())
        return epoch * self.corpus_words + done


def make_plan(client, shards: list[list[Piece]], words: list[str], errors: str, config, sync):
    """Encode each shard on its own worker (a round's task runs where its shard is: two
    shards on one worker would train one after the other) and cut it into slices."""
    addresses = worker_addresses(client)
    homes = [addresses[s % len(addresses)] for s in range(len(shards))]
    futures = [
        client.submit(
            encode_shard,
            pieces,
            words,
            errors,
            key=f"w2v-shard-{s}-{_token()}",
            workers=[homes[s]],
            allow_other_workers=True,
        )
        for s, pieces in enumerate(shards)
    ]
    sizes = client.gather([client.submit(shard_words, f) for f in futures])
    rounds = max(1, max(math.ceil(size / sync) for size in sizes))
    layouts = client.gather([client.submit(cut_words, f, rounds) for f in futures])
    table = np.array([lengths for _, lengths in layouts], dtype=np.int64)
    cuts = [c for c, _ in layouts]
    return Plan(futures, homes, cuts, table, int(table.sum()), config.epochs)


def check_memory(client, config, vocab_size: int, tokens: int, sync_every: int, messages):
    """Before the shards are encoded and the model is made: what each worker and the
    driver will hold, refused (one UserError) when a worker's Dask memory limit is lower,
    since Dask would kill and restart that worker over and over.

    A worker holds the synchronised model's mirror and the copy it trains, the last
    round's updates of every worker (all to all; at most every row each, in bfloat16:
    half the model and the row numbers), its shard's ids and the kernel's buffers; the
    driver the model and a snapshot arriving.
    """
    from w2v_nce import memory
    from w2v_nce.training.trainer import spec_for

    infos = client.scheduler_info(n_workers=-1)["workers"].values()
    n = max(len(infos), 1)
    slice_words = max(1, sync_every // max(config.threads, 1))
    one = memory.estimate_run(config, vocab_size, slice_words, spec_for(config).noise_group)
    update = one.model // 2 + 2 * memory.ID * vocab_size
    worker = 2 * one.model + n * update + one.buffers + memory.ID * (tokens // n + 1)
    limits = [info.get("memory_limit") or 0 for info in infos]
    smallest = min((limit for limit in limits if limit), default=0)
    if smallest and worker > smallest:
        raise UserError(
            f"not enough memory on the Dask workers: each needs about "
            f"{memory.format_bytes(worker)} (2 × the model of "
            f"{memory.format_bytes(one.model)}: its mirror and the copy it trains; the "
            f"{n} workers' updates of a round, up to {memory.format_bytes(update)} each; "
            f"plus its shard's ids), and the smallest "
            f"worker may use {memory.format_bytes(smallest)}; lower --max-vocab or --dim, "
            "or give the workers more memory (dask worker --memory-limit)"
        )
    driver = memory.MemoryEstimate(
        model=one.model, buffers=one.model, vocab_size=vocab_size, dim=config.dim
    )
    memory.check(driver, messages.info, messages.warn)


def _same(value):
    return value


def _result(future):
    """The future's result, or None when the cluster cancelled it (a worker that died
    took its inputs along; the round submits it again)."""
    from distributed.client import FutureCancelledError

    try:
        return future.result()
    except FutureCancelledError:
        return None


@dataclass
class Flight:
    """A round in flight: its tasks' updates (left on the workers), their numbers (what
    the driver receives) and, when the driver asked for it, the synchronised model after
    the round (a snapshot)."""

    number: int
    updates: list
    numbers: list
    snapshot: object = None
    final: bool = False


class Rounds:
    """The driver's side of the rounds: each round's tasks submitted one round ahead
    (round n + 1 waits on the cluster for round n's updates, which Dask moves from
    worker to worker). The driver receives only each task's numbers; its own copy of
    the model is a snapshot of a worker's mirror, taken after the last round, when a
    checkpoint is due and at least every SNAPSHOT_SECONDS (what a fault reruns from)."""

    def __init__(self, client, plan: Plan, job: Job, model, sync: SyncStats, wants=None):
        self.client, self.plan, self.job, self.model, self.sync = client, plan, job, model, sync
        # A task's result, not scattered data: Dask recomputes it if its workers die.
        self.job_future = client.submit(_same, job, key=f"w2v-job-{_token()}")
        self.version = 0  # the round whose synchronised model the driver's model is
        self.flight: collections.deque = collections.deque()  # Flight, oldest first
        self.numbers: dict[int, list[Numbers]] = {}  # each round's, counted in the stats
        self.baseline = (0, 0, 0, 0.0)  # the first round of this run, its words, examples, loss
        self.wants = wants or (lambda: False)  # a checkpoint is due
        self.taken = time.monotonic()  # when the last snapshot was taken
        self.asked = False  # a snapshot in flight

    def start(self, state) -> float:
        """Every worker mirrors the model as of ``state`` (its rounds done); the kernel
        loaded."""
        self.version = version = int(state.done.sum())
        stats = state.stats
        self.baseline = (version, stats.words, stats.examples, stats.loss_sum)
        self._refresh_mirrors()
        return max(self.client.run(load_kernel, self.job).values(), default=0.0)

    def _refresh_mirrors(self) -> None:
        """Send the whole model to the workers whose mirror is not of this round."""
        versions = self.client.run(mirror_version, on_error="return")
        stale = [a for a, v in versions.items() if v != self.version]
        if stale:
            model = self.model
            self.client.run(
                set_mirror,
                self.version,
                model.input,
                model.output,
                workers=stale,
                on_error="return",
            )
            self.sync.bytes_whole += len(stale) * (model.input.nbytes + model.output.nbytes)

    def results(self, state):
        """Run the rounds ``state`` has not done (a checkpoint's are a prefix), in order,
        AHEAD in flight; after each, mark it done and yield its tasks' numbers. When a
        worker lost its mirror (a replacement, or an update lost with its worker), the
        rounds in flight are dropped and rerun from the newest synchronised model a
        worker or the driver still has: the same tasks, the same updates; a rerun round
        counted already is not yielded again."""
        total, attempts = state.done.size, 0
        position = following = int(state.done.sum())  # next to yield, next to submit
        while position < total:
            while len(self.flight) < AHEAD and following < total:
                self.flight.append(self._submit_round(following, total))
                following += 1
            entry = self.flight.popleft()
            numbers = [_result(f) for f in entry.numbers]
            if all(isinstance(n, Numbers) for n in numbers) and self._took(entry):
                attempts = 0
                if entry.number >= position:
                    self.numbers[entry.number] = numbers
                    state.done[entry.number] = True
                    position += 1
                    yield numbers
                continue
            attempts += 1
            if attempts > MIRROR_ATTEMPTS:
                raise UserError(
                    f"the Dask workers lost the synchronised model {MIRROR_ATTEMPTS} times in "
                    f"round {entry.number}; check the cluster (dask worker logs) and rerun "
                    "(--checkpoint resumes)"
                )
            self.cancel()
            time.sleep(0.1 * attempts)  # a replacement worker: send it the model
            following = self._recover(position)

    def cancel(self) -> None:
        """Drop the rounds in flight."""
        futures = [
            f
            for entry in self.flight
            for f in [*entry.updates, *entry.numbers, entry.snapshot]
            if f is not None
        ]
        self.flight.clear()
        self.asked = False
        if futures:
            self.client.cancel(futures)

    def _submit_round(self, number: int, total: int) -> Flight:
        """Round ``number``'s tasks, one per shard with a slice in it, from the updates of
        round ``number`` - 1 in flight (else from the mirror of round ``number``), their
        numbers, and the snapshot after the last round or when one is wanted."""
        epoch, rnd = divmod(number, self.plan.rounds_per_epoch)
        last = self.flight[-1] if self.flight else None
        previous = last.updates if last is not None and last.number == number - 1 else None
        shards = [s for s in range(len(self.plan.shards)) if self.plan.shard_words[s] > 0]
        updates = [self._submit(number, epoch, rnd, s, previous) for s in shards]
        homes = [[self.plan.homes[s]] for s in shards]
        numbers = [
            self.client.submit(
                numbers_of,
                update,
                key=f"w2v-numbers-{number}-{_token()}",
                workers=home,
                allow_other_workers=True,  # a replacement worker has another address
            )
            for update, home in zip(updates, homes, strict=True)
        ]
        entry = Flight(number, updates, numbers, final=number == total - 1)
        due = self.wants() or time.monotonic() - self.taken >= SNAPSHOT_SECONDS
        if entry.final or (due and not self.asked):
            # Before the next round's task on that worker (the priority): its mirror is
            # then of this round still.
            entry.snapshot = self.client.submit(
                snapshot,
                number + 1,
                updates,
                key=f"w2v-snapshot-{number + 1}-{_token()}",
                workers=homes[0],
                allow_other_workers=True,
                priority=1,
            )
            self.asked = True
        return entry

    def _submit(self, number, epoch, rnd, shard, previous):
        """A round's task on its shard's worker (elsewhere if that one died: Dask reruns
        a task whose worker died, and recomputes the inputs it took along)."""
        plan = self.plan
        at = Position(epoch, shard, rnd, plan.before(epoch, rnd, shard))
        start, end = plan.cuts[shard][rnd], plan.cuts[shard][rnd + 1]
        return self.client.submit(
            train_slice,
            number,
            previous,
            plan.shards[shard],
            int(start),
            int(end),
            self.job_future,
            at,
            key=f"w2v-round-{number}-{shard}-{_token()}",
            workers=[plan.homes[shard]],
            allow_other_workers=True,
            retries=2,
        )

    def _took(self, entry: Flight) -> bool:
        """The entry's snapshot, if it has one, taken into the model; False when the
        last round's is missing (a fault: the run's model must be the last round's)."""
        if entry.snapshot is None:
            return True
        self.asked = False
        got = _result(entry.snapshot)
        if isinstance(got, tuple):
            self._take(got)
            return True
        return not entry.final  # a snapshot that lost the race with the next round: skip it

    def _take(self, got: tuple) -> None:
        started = time.perf_counter()
        version, input, output = got
        self.model.input[...] = input
        self.model.output[...] = output
        self.version, self.taken = version, time.monotonic()
        self.sync.bytes_to_driver += input.nbytes + output.nbytes
        self.sync.driver_seconds += time.perf_counter() - started

    def _newest_mirror(self, limit: int) -> None:
        """Take the newest mirror a worker has of a round after the driver's model's and
        not past ``limit`` (whose rounds' numbers the driver has)."""
        versions = self.client.run(mirror_version, on_error="return")
        found = sorted(
            (v, a) for a, v in versions.items() if isinstance(v, int) and self.version < v <= limit
        )
        if found:
            version, address = found[-1]
            got = self.client.run(current_mirror, workers=[address], on_error="return")
            if isinstance(got.get(address), tuple) and got[address][0] == version:
                self._take(got[address])

    def _recover(self, position: int) -> int:
        """After a fault: the newest synchronised model of a round up to ``position``,
        sent to the workers without it; the round to rerun from."""
        self._newest_mirror(position)
        self._refresh_mirrors()
        return self.version

    def latest(self, state):
        """On Ctrl-C: the newest synchronised model the driver can have (a worker's mirror
        of a round whose numbers arrived, else its snapshot) and the run's state at it."""
        known = int(state.done.sum())
        for entry in self.flight:  # rounds finished but not counted yet
            if entry.number != known or not all(f.done() for f in entry.numbers):
                break
            try:
                numbers = [f.result() for f in entry.numbers]
            except Exception:  # noqa: BLE001 - cancelled or failed: not a round to count
                break
            if not all(isinstance(n, Numbers) for n in numbers):
                break
            self.numbers[entry.number] = numbers
            known += 1
        with contextlib.suppress(Exception):
            self._newest_mirror(known)
        return self.model, self.state_at(state, self.version)

    def state_at(self, state, version: int):
        """The run's state (rounds done, words, examples, loss) at round ``version``: the
        state this run started from plus the numbers of its rounds before ``version``.
        Not the stats as they stand adjusted: Ctrl-C can come between a round's being
        marked done and its numbers' being added to them."""
        from copy import copy

        from w2v_nce.training.trainer import RunState

        done, stats = np.zeros_like(state.done), copy(state.stats)
        done[:version] = True
        first, stats.words, stats.examples, stats.loss_sum = self.baseline
        for number in range(first, version):
            numbers = self.numbers.get(number, [])
            stats.words += sum(n.words for n in numbers)
            stats.examples += sum(n.examples for n in numbers)
            stats.loss_sum += sum(n.loss for n in numbers)
        return RunState(done, stats)


def train_rounds(rounds: Rounds, state, progress: bool, resumed, on_round, writer=None):
    """Run the rounds ``state`` has not done, refreshing one progress bar; on Ctrl-C save
    the last synchronised model with ``writer`` and raise TrainingInterrupted."""
    from w2v_nce.training.trainer import _progress_bar

    plan, stats, model = rounds.plan, state.stats, rounds.model
    total_words = plan.corpus_words * plan.epochs
    stats.resumed_words = stats.words
    stats.resumed_examples = stats.examples
    bar = _progress_bar(total_words, stats.words, progress, resumed)
    description = getattr(bar, "desc", "")
    bar.set_description("loading the training kernel on the workers")
    try:
        stats.kernel_seconds = rounds.start(state)
        bar.set_description(description)
        started = clock = time.perf_counter()
        for numbers in rounds.results(state):
            now = time.perf_counter()
            _count_round(rounds.sync, numbers, now - clock)
            clock = now
            epoch = (int(state.done.sum()) - 1) // plan.rounds_per_epoch  # the round's
            lr, loss = _add_stats(stats, epoch, numbers, total_words, bar, rounds.job.config)
            stats.seconds = now - started
            if on_round is not None:
                synced = rounds.version == int(state.done.sum())
                on_round(model, state, lr, loss, bool(state.done.all()), synced)
    except KeyboardInterrupt as stop:
        bar.close()
        model.config.update(interrupted=True, words_trained=stats.words)
        interrupted = TrainingInterrupted(model, stats, total_words, signal_of(stop))
        with contextlib.suppress(KeyboardInterrupt):
            _, saved = rounds.latest(state)
            if writer is not None:
                interrupted.checkpoint = writer.save(model, saved)
        raise interrupted from None
    finally:
        bar.close()
        rounds.cancel()
    model.config.update(interrupted=False, words_trained=stats.words)
    return stats


def _count_round(sync: SyncStats, numbers: list[Numbers], seconds: float) -> None:
    """Add a round's numbers: its wall time (from the previous round's end), the slowest
    task's training and combining, and the bytes its updates travelled."""
    sync.rounds += 1
    sync.seconds += seconds
    sync.compute_seconds += max((n.seconds for n in numbers), default=0.0)
    sync.combine_seconds += max((n.combine_seconds for n in numbers), default=0.0)
    sent = sum(n.nbytes for n in numbers)
    sync.update_bytes += sent
    sync.bytes_between_workers += sent * max(len(numbers) - 1, 0)


def _add_stats(stats, epoch, numbers: list[Numbers], total_words: int, bar, config):
    """Add a round (of ``epoch``)'s numbers to ``stats`` and the bar; (the learning rate
    reached, the round's loss per example)."""
    loss = sum(n.loss for n in numbers)
    examples = sum(n.examples for n in numbers)
    words = sum(n.words for n in numbers)
    stats.add(epoch, words, examples, loss)
    if not math.isfinite(loss):
        raise UserError(
            "training diverged (the loss became NaN or infinite); "
            "lower --alpha and try again; nothing was written"
        )
    alpha = config.resolved_alpha
    lr = alpha - (alpha - config.min_alpha) * min(stats.words / max(total_words, 1), 1.0)
    per_example = loss / examples if examples else math.nan
    bar.set_postfix(lr=f"{lr:.5f}", loss=f"{per_example:.4f}", refresh=False)
    bar.update(words)
    return lr, per_example


# -- a run: what pipeline.train hands over ---------------------------------------------------


def check_corpus(corpus) -> str:
    if not isinstance(corpus, str | os.PathLike) or os.fspath(corpus) == "-":
        raise UsageError(
            "--workers/--scheduler need a corpus the workers can read: a file, a directory "
            "or a glob of files (plain, .gz, .bz2), not standard input or sentences"
        )
    return os.fspath(corpus)


def corpus_identity(corpus: str) -> dict:
    """The checkpoint's identity of a corpus of several files: their total size and
    newest modification (of a URL's files, what its filesystem reports)."""
    files = corpus_files(corpus)
    if is_url(corpus):
        fs, _ = _url_fs(corpus)
        infos = [fs.info(f) for f in files]
        sizes = [int(i.get("size") or 0) for i in infos]
        times = [str(i.get("mtime") or i.get("LastModified") or "") for i in infos]
        return {"path": corpus, "size": sum(sizes), "mtime_ns": max(times)}
    stats = [os.stat(f) for f in files]
    return {
        "path": os.path.abspath(corpus) if os.path.exists(corpus) else corpus,
        "size": sum(s.st_size for s in stats),
        "mtime_ns": max(s.st_mtime_ns for s in stats),
    }


def fingerprint(words: list[str], counts: np.ndarray, plan: Plan) -> str:
    """The vocabulary, its counts and the shards' words: what a resumed run must find again."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\n".join(words).encode("utf-8"))
    digest.update(np.ascontiguousarray(counts, dtype=np.int64).tobytes())
    digest.update(plan.words.tobytes())
    return digest.hexdigest()


def train(corpus, options: dict, *, progress=True, messages=None, outputs=(), client=None):
    """:func:`pipeline.train <w2v_nce.training.pipeline.train>`, on a Dask cluster when
    ``client`` (a ``dask.distributed.Client``), ``workers`` or ``scheduler`` is given; what
    the command line and the API call."""
    from w2v_nce.training import pipeline

    messages = messages or pipeline.LIBRARY
    given = {name for name, value in options.items() if value is not None}
    if client is None and not {"workers", "scheduler"} & given:
        return pipeline.train(
            corpus, options, progress=progress, messages=messages, outputs=outputs
        )
    settled = pipeline.resolve(options, corpus)
    return train_on_cluster(settled, client, progress, messages, outputs)


def train_on_cluster(settled, client, progress, messages, outputs):
    """pipeline.train on a Dask cluster: the same options, messages, checkpoint and Run.

    ``settled`` is the run's :class:`pipeline.Plan` (options resolved, ``init`` loaded).
    """
    from w2v_nce.training.pipeline import Run, init_identity

    config, run, base = settled.config, settled.run, settled.base
    if config.subwords is not None:
        raise UsageError(
            "--subwords is not available with --workers/--scheduler (the workers would "
            "have to exchange the bucket matrix too); train on one machine, or drop --subwords"
        )
    path, ck_path = check_corpus(settled.corpus), settled.checkpoint_path
    _check_outputs(ck_path, outputs, run, messages)
    sync_every = run.get("sync_every") or RUN_OPTIONS["sync_every"].default
    with cluster(run.get("workers"), run.get("scheduler"), client) as connected:
        n = len(worker_addresses(connected))
        shards = shard_pieces(split_corpus(path, n), n)
        if any(not shard for shard in shards):
            messages.warn(
                f"{sum(not s for s in shards)} of {n} workers have no part of {path} to train: "
                "a compressed file is read whole by one worker; give plain files, or more "
                "files than workers"
            )
        identity = {**settled.identity(), "workers": n, "sync_every": sync_every}
        resume = _resume(ck_path, identity, path, init_identity(base), messages)
        model, plan, counted = _prepare(connected, shards, settled, resume, path, messages)
        messages.info(
            f"corpus: {counted.tokens:,} tokens in {counted.sentences:,} lines; vocabulary: "
            f"{len(model.vocab):,} words (min-count {config.min_count}) covering "
            f"{plan.corpus_words:,} tokens; {n} Dask workers × {config.threads} threads, "
            f"a sync every {sync_every:,} words per worker ({plan.rounds:,} rounds)"
        )
        state = resume.state if resume is not None else _fresh_state(plan.rounds)
        resumed = None
        if resume is not None and state.done.any():
            resumed = f"round {int(state.done.sum())} of {plan.rounds}"
            messages.info(f"resumed from {ck_path} at {resumed}")
        info = {
            "options": identity,
            "corpus": {
                **corpus_identity(path),
                "fingerprint": fingerprint(model.vocab, model.counts, plan),
            },
            "init": init_identity(base),
        }
        writer, on_round = _checkpointing(ck_path, info, run)
        sync = SyncStats()
        wants = writer.due if writer is not None else None
        rounds = Rounds(connected, plan, _job(model, config, plan), model, sync, wants)
        stats = train_rounds(rounds, state, progress, resumed, on_round, writer)
    stats.sync = sync.as_dict()
    model.config["distributed"] = {"workers": n, "sync_every": sync_every, **stats.sync}
    model.stats = stats
    save = (lambda: writer.save(model, state)) if writer else None
    return Run(model, stats, ck_path, resumed, save)


def _check_outputs(ck_path, outputs, run: dict, messages) -> None:
    """The checkpoint writable; what killed runs left beside the outputs, removed."""
    from w2v_nce.io.atomic import check_writable_output
    from w2v_nce.io.stale import remove_stale

    if ck_path:
        check_writable_output(ck_path)
    removed = remove_stale([*outputs, *([ck_path] if ck_path else [])], run.get("tmp_dir"))
    if removed:
        messages.info(f"removed {len(removed)} file(s) left by killed runs: {removed[0]} ...")


def _resume(ck_path, identity: dict, path: str, init: dict | None, messages):
    """The checkpoint to resume from, made by this run (or a UsageError); None if none."""
    from w2v_nce.training import checkpoint as ck

    if not (ck_path and os.path.exists(ck_path)):
        return None
    resume = ck.load(ck_path)
    for note in ck.check_same(resume, identity, corpus_identity(path), init):
        messages.info(f"note: {note}")
    return resume


def _fresh_state(rounds: int):
    from w2v_nce.training.trainer import RunState

    return RunState(np.zeros(rounds, dtype=bool))


def _job(model, config, plan: Plan) -> Job:
    from w2v_nce.training.trainer import spec_for, tables_for

    return Job(config, tables_for(model, config), spec_for(config), plan.corpus_words * plan.epochs)


def _prepare(client, shards, settled, resume, source, messages):
    """Count, choose the vocabulary, encode the shards; the model to train (new, continued
    or resumed), the rounds' plan and the counts."""
    from w2v_nce.model import continued_model, new_model
    from w2v_nce.training import checkpoint as ck
    from w2v_nce.training.pipeline import model_config
    from w2v_nce.vocab import Fresh, first_seen

    config, run, base = settled.config, settled.run, settled.base
    errors = run.get("encoding_errors", "strict")
    pieces = [p for shard in shards for p in shard]
    counted = count_corpus(client, pieces, errors, source)
    rule = settled.vocabulary() or Fresh(config.min_count, config.max_vocab)
    vocab, to_vocab = rule(counted.words, counted.counts, source)
    sync_every = run.get("sync_every") or RUN_OPTIONS["sync_every"].default
    check_memory(client, config, len(vocab), counted.tokens, sync_every, messages)
    plan = make_plan(client, shards, vocab.words, errors, config, sync_every)
    if plan.corpus_words == 0:
        raise UserError(
            f"{source}: no token of the corpus is in the model's vocabulary; nothing to "
            "train (pass --update-vocab to add its words)"
        )
    if resume is not None:
        ck.check_same_encoding(resume, fingerprint(vocab.words, vocab.counts, plan), source)
        model = resume.model
    elif base is not None:
        model = continued_model(base, vocab, config)
    else:
        model = new_model(vocab, config, first_seen(to_vocab, len(vocab)))
    encoded = _Encoded(vocab, counted.tokens, plan.corpus_words)
    model.config = model_config(config, encoded, source, base, run)
    return model, plan, counted


class _Encoded(NamedTuple):
    """What :func:`pipeline.model_config` reads of an encoded corpus."""

    vocab: object
    raw_tokens: int
    words: int


def _checkpointing(ck_path, info, run):
    """(writer, on_round): the checkpoint writer (None without --checkpoint), and what
    follows each round: a --loss-log row, and the checkpoint when one is due and the
    driver's model is the round's (``synced``: a snapshot the writer asked for)."""
    from w2v_nce.io.loss_log import LossLog
    from w2v_nce.training import checkpoint as ck

    every = run.get("checkpoint_every", RUN_OPTIONS["checkpoint_every"].default)
    writer = ck.Writer(ck_path, info, every) if ck_path else None
    loss_log = LossLog(run["loss_log"]) if run.get("loss_log") else None

    def on_round(model, state, lr: float, loss: float, finished: bool, synced: bool) -> None:
        stats = state.stats
        if loss_log is not None:
            loss_log.add(stats.seconds, stats.words, lr, loss)
            if finished:
                loss_log.close()
        if writer is not None and not finished and synced and writer.due():
            writer.save(model, state)

    return writer, on_round
