"""The encoded corpus on disk: the final int32 id file and what the trainer needs to know of it.

:func:`w2v_nce.io.encode.encode_corpus` returns an :class:`EncodedCorpus`. The trainer
reads its id file one block at a time with ``pread`` (:class:`IdFile`), not through a
memory map, so even the pages of the id file never accumulate in the process: memory
is bounded by the distinct-word tables plus fixed buffers, whatever the corpus size.
The id files live in a temporary directory named after the process
(:mod:`w2v_nce.io.stale`) that is removed with the corpus (:meth:`EncodedCorpus.close`).
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass

import numpy as np

from w2v_nce.vocab import Vocabulary


@dataclass
class EncodedCorpus:
    """A corpus as the trainer reads it: its vocabulary, the final id file (word ids, -1
    after each sentence) cut into blocks, and what the run reports and checks of it.
    Close it (or use it in ``with``) to remove its temporary directory."""

    vocab: Vocabulary
    path: str  # the final int32 id file
    raw_tokens: int  # tokens read, including out-of-vocabulary ones
    sentences: int  # pieces read (lines, or chunks of long lines)
    block_starts: np.ndarray  # int64 offsets into the id file; last = its length
    block_words: np.ndarray  # int64 in-vocabulary tokens in each block
    workdir: str
    longest_sentence: int  # in-vocabulary tokens of the longest sentence
    # int64 per vocabulary word: its occurrences in the id file. With a Fixed or Merged
    # vocabulary they may all be 0 (no word of the corpus in it): the caller decides.
    corpus_counts: np.ndarray
    fingerprint: str  # blake2b of the id file, the words and corpus_counts
    # int64 per vocabulary word: a rank of its first appearance (vocab.first_seen)
    first_seen: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._files: list[IdFile] = []

    @property
    def words(self) -> int:
        """In-vocabulary tokens in the id file: the words one epoch trains on."""
        return int(self.corpus_counts.sum())

    @property
    def oov_tokens(self) -> int:
        """Tokens of this corpus dropped because their word is not in the vocabulary."""
        return self.raw_tokens - self.words

    @property
    def longest_block(self) -> int:
        """Ids (with sentence ends) in the longest block."""
        return int(np.diff(self.block_starts).max(initial=0))

    def ids(self) -> IdFile:
        """The id file as a read-only int32 array that reads the slices it is asked for."""
        ids = IdFile(self.path, int(self.block_starts[-1]))
        self._files.append(ids)
        return ids

    def close(self) -> None:
        for ids in self._files:
            ids.close()
        self._files.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> EncodedCorpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class IdFile:
    """An int32 file on disk, indexed like a read-only 1-D array.

    A slice is read with ``os.pread`` into a new read-only array (the type the
    kernels were compiled for, as with a read-only memmap). Unlike a memmap, pages
    read once do not stay mapped in the process, so resident memory stays bounded
    by the blocks being trained, not by the corpus. Safe to use from several
    threads (pread has no shared file position).
    """

    dtype = np.dtype(np.int32)
    ndim = 1

    def __init__(self, path: str, size: int):
        self.path = path
        self.size = size
        self._fd = os.open(path, os.O_RDONLY) if size else None

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            if step != 1:
                raise IndexError("IdFile supports contiguous slices only")
            return self._read(start, max(stop - start, 0))
        index = int(key)
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"index {key} out of range for {self.size} ids")
        return int(self._read(index, 1)[0])

    def _read(self, start: int, count: int) -> np.ndarray:
        if count == 0:
            out = np.zeros(0, dtype=np.int32)
        else:
            if self._fd is None:
                raise ValueError(f"{self.path} is closed")
            data = read_exactly(self._fd, 4 * count, 4 * start, self.path)
            out = np.frombuffer(data, dtype=np.int32)
        out.flags.writeable = False
        return out

    def __array__(self, dtype=None, copy=None):
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)

    def tolist(self) -> list[int]:
        return self[:].tolist()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_exactly(fd: int, size: int, offset: int, path: str) -> bytes:
    """``size`` bytes of ``fd`` at ``offset``; pread may return less (huge reads, signals)."""
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            raise OSError(errno.EIO, f"{path} is shorter than expected")
        data += more
    return data


def write_ids(array: np.ndarray, handle) -> None:
    """Append ``array``'s bytes to ``handle``.

    Not ``ndarray.tofile``: on a full disk it raises an OSError without an errno
    ("N requested and M written"), which the no-space message could not recognise.
    """
    handle.write(memoryview(np.ascontiguousarray(array)).cast("B"))
