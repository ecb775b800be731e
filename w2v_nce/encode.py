"""Turn a corpus into integer ids once, on disk, for every epoch to train from.

One pass over the text (so ``-`` for stdin works): each token gets a provisional
id in first-seen order and the ids are appended to an int32 file with -1 after
each sentence. Counts come from that file with ``np.bincount``; the vocabulary is
chosen; a second, purely numeric pass maps provisional ids to final ids, drops
out-of-vocabulary tokens (before any windowing, as word2vec and gensim do) and
sentences left empty, and writes the final int32 file. The trainer reads it one
block at a time with ``pread`` (:class:`IdFile`), not through a memory map, so
even the pages of the id file never accumulate in the process: memory is bounded
by the distinct-word dictionary plus fixed buffers, whatever the corpus size. The
id files live in a temporary directory that is removed with the corpus, also on
an error or Ctrl-C.

The final file is cut into blocks of about ``block_words`` tokens on sentence
boundaries: a block is the unit a thread trains, with its own RNG stream, and the
point between which the trainer checks for Ctrl-C and reports progress.
"""

from __future__ import annotations

import errno
import heapq
import os
import shutil
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .corpus import iter_sentences
from .errors import UserError
from .vocab import Vocabulary, select_vocabulary

SENTENCE_END = -1
FLUSH_IDS = 1 << 20  # ids buffered in memory before a write
DEFAULT_BLOCK_WORDS = 1 << 17
_NO_SPACE = frozenset(
    e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if e is not None
)


@dataclass
class EncodedCorpus:
    vocab: Vocabulary
    path: str  # the final int32 id file
    raw_tokens: int  # tokens read, including out-of-vocabulary ones
    sentences: int  # pieces read (lines, or chunks of long lines)
    block_starts: np.ndarray  # int64 offsets into the id file; last = its length
    block_words: np.ndarray  # int64 in-vocabulary tokens in each block
    workdir: str
    longest_sentence: int = 0  # in-vocabulary tokens of the longest sentence

    def __post_init__(self) -> None:
        self._files: list[IdFile] = []

    @property
    def words(self) -> int:
        """In-vocabulary tokens: the words one epoch trains on."""
        return self.vocab.total

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
            want = 4 * count
            data = os.pread(self._fd, want, 4 * start)
            while len(data) < want:  # pread may return less (huge reads, signals)
                more = os.pread(self._fd, want - len(data), 4 * start + len(data))
                if not more:
                    raise OSError(errno.EIO, f"{self.path} is shorter than expected")
                data += more
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


def encode_corpus(
    path: str,
    min_count: int = 5,
    max_vocab: int | None = None,
    encoding_errors: str = "strict",
    block_words: int = DEFAULT_BLOCK_WORDS,
    tmp_dir: str | None = None,
    vocabulary=None,
    workers: int = 1,
) -> EncodedCorpus:
    """Read ``path`` once and return the encoded corpus (see the module docstring).

    Raises :class:`UserError` for an unusable ``tmp_dir`` or when the disk holding
    it fills up; the temporary directory is removed on any error or interrupt.
    """
    workdir = make_workdir(tmp_dir)
    if vocabulary is not None:
        raise NotImplementedError("vocabulary rules arrive with the encoding branch")
    try:
        encoded = _encode(path, min_count, max_vocab, encoding_errors, block_words, workdir)
        encoded.corpus_counts = encoded.vocab.counts
        encoded.oov_tokens = encoded.raw_tokens - encoded.words
        encoded.fingerprint = ""
        return encoded
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            raise UserError(
                f"no space left for the encoded corpus in {os.path.dirname(workdir)} "
                f"({exc.strerror}); it needs 4 bytes per token: free some space or "
                "pass --tmp-dir on a bigger disk"
            ) from None
        raise


def check_tmp_dir(tmp_dir: str | None) -> None:
    """Fail early with a one-line UserError if ``tmp_dir`` cannot hold the encoded corpus."""
    shutil.rmtree(make_workdir(tmp_dir), ignore_errors=True)


def make_workdir(tmp_dir: str | None) -> str:
    """A new private directory in ``tmp_dir`` (default: $TMPDIR), or a UserError."""
    where = tmp_dir if tmp_dir is not None else tempfile.gettempdir()
    try:
        return tempfile.mkdtemp(prefix="w2v-nce-", dir=where)
    except FileNotFoundError:
        problem = "does not exist; create it or"
    except NotADirectoryError:
        problem = "is not a directory;"
    except PermissionError:
        problem = "is not writable;"
    except OSError as exc:
        problem = f"cannot be used ({exc.strerror});"
    raise UserError(
        f"temporary directory {where} {problem} choose another one with --tmp-dir"
    ) from None


def _encode(path, min_count, max_vocab, encoding_errors, block_words, workdir):
    provisional_path = os.path.join(workdir, "provisional.int32")
    lookup: dict[str, int] = {}
    counts = np.zeros(0, dtype=np.int64)
    buffer = array("i")  # 4 bytes per buffered id, not a Python int object
    raw_tokens = 0
    sentences = 0

    def flush(out, distinct: int) -> None:
        nonlocal counts
        chunk = np.frombuffer(buffer, dtype=np.int32).copy() if buffer else np.zeros(0, np.int32)
        del buffer[:]
        chunk.tofile(out)
        chunk_counts = np.bincount(chunk[chunk >= 0], minlength=distinct)
        chunk_counts[: counts.size] += counts
        counts = chunk_counts

    known = lookup.__getitem__
    with open(provisional_path, "wb") as out:
        for tokens in iter_sentences(path, encoding_errors=encoding_errors):
            raw_tokens += len(tokens)
            sentences += 1
            # Once most words have been seen, a C-level map over known words is twice
            # as fast as assigning ids one by one; a new word falls back to that.
            before = len(buffer)
            try:
                buffer.extend(map(known, tokens))
            except KeyError:
                del buffer[before:]
                buffer.extend([lookup.setdefault(t, len(lookup)) for t in tokens])
            buffer.append(SENTENCE_END)
            if len(buffer) >= FLUSH_IDS:
                flush(out, len(lookup))
        flush(out, len(lookup))

    if raw_tokens == 0:
        raise UserError(f"{_name(path)}: the corpus is empty (no tokens); give a text file")
    counts = np.pad(counts, (0, len(lookup) - counts.size))
    words = list(lookup)
    del lookup
    vocab, kept = choose_vocabulary(words, counts, min_count, max_vocab, path)
    del words
    remap = np.full(counts.size + 1, SENTENCE_END, dtype=np.int32)  # last slot: -1 → -1
    remap[kept] = np.arange(len(vocab), dtype=np.int32)
    final_path = os.path.join(workdir, "ids.int32")
    block_starts, block_word_counts, longest = _remap(
        provisional_path, final_path, remap, block_words
    )
    os.unlink(provisional_path)
    return EncodedCorpus(
        vocab=vocab,
        path=final_path,
        raw_tokens=raw_tokens,
        sentences=sentences,
        block_starts=block_starts,
        block_words=block_word_counts,
        workdir=workdir,
        longest_sentence=longest,
    )


def choose_vocabulary(
    words: list[str], counts: np.ndarray, min_count: int, max_vocab: int | None, path: str
) -> tuple[Vocabulary, np.ndarray]:
    """:func:`select_vocabulary`, fast for millions of distinct words, or a UserError.

    With ``max_vocab``, only the ``max_vocab`` words that will be kept are sorted,
    not every word above ``min_count``: those counted more often than the
    ``max_vocab``-th most frequent one, completed by the alphabetically first of
    those counted exactly as often (the same choice as sorting them all).
    """
    counts = np.asarray(counts, dtype=np.int64)
    candidates = np.flatnonzero(counts >= min_count)
    if max_vocab is not None and candidates.size > max_vocab:
        cut = candidates.size - max_vocab
        cutoff = np.partition(counts[candidates], cut)[cut]
        above = candidates[counts[candidates] > cutoff]
        # Of the words counted exactly `cutoff` times (often millions of words seen
        # once), the alphabetically first ones complete the vocabulary.
        ties = candidates[counts[candidates] == cutoff].tolist()
        first = heapq.nsmallest(max_vocab - above.size, ties, key=words.__getitem__)
        del ties
        candidates = np.concatenate([above, np.array(first, dtype=np.int64)])
    vocab, kept = select_vocabulary(
        [words[i] for i in candidates], counts[candidates], min_count, max_vocab
    )
    if len(vocab) == 0:
        raise UserError(
            f"{_name(path)}: no word occurs at least --min-count {min_count} times "
            f"({len(words):,} distinct words, most frequent {int(counts.max())} times); "
            "lower --min-count"
        )
    return vocab, candidates[kept]


def _remap(provisional_path, final_path, remap, block_words):
    """Map to final ids, drop OOV tokens and empty sentences, cut into blocks.

    Streams both files in pieces of FLUSH_IDS ids. Returns the block offsets, the
    in-vocabulary tokens of each block and the length of the longest sentence.
    """
    written = 0
    previous = SENTENCE_END  # so a leading end marker is dropped
    last_end = 0  # offset just after the previous sentence end
    longest = 0
    starts = [0]
    block_word_counts = []
    current_words = 0  # in-vocabulary tokens of the block being filled
    next_cut = block_words
    with open(provisional_path, "rb") as source, open(final_path, "wb") as out:
        while True:
            provisional = np.fromfile(source, dtype=np.int32, count=FLUSH_IDS)
            if provisional.size == 0:
                break
            mapped = remap[provisional]
            valid = (mapped >= 0) | (provisional == SENTENCE_END)
            mapped = mapped[valid]
            before = np.concatenate(([previous], mapped[:-1]))
            mapped = mapped[(mapped >= 0) | (before >= 0)]
            if mapped.size == 0:
                continue
            previous = int(mapped[-1])
            ends = np.flatnonzero(mapped == SENTENCE_END) + written + 1
            if ends.size:
                lengths = np.diff(ends, prepend=last_end) - 1
                longest = max(longest, int(lengths.max()))
                last_end = int(ends[-1])
            cut_from = written
            while True:
                at = np.searchsorted(ends, next_cut)
                if at >= ends.size:
                    break
                cut = int(ends[at])
                piece = mapped[cut_from - written : cut - written]
                block_word_counts.append(current_words + int(np.count_nonzero(piece >= 0)))
                current_words = 0
                starts.append(cut)
                cut_from = cut
                next_cut = cut + block_words
            current_words += int(np.count_nonzero(mapped[cut_from - written :] >= 0))
            mapped.tofile(out)
            written += mapped.size
    if starts[-1] != written:
        starts.append(written)
        block_word_counts.append(current_words)
    return (
        np.array(starts, dtype=np.int64),
        np.array(block_word_counts, dtype=np.int64),
        longest,
    )


def count_words(
    path: str, encoding_errors: str = "strict"
) -> tuple[list[str], np.ndarray, int, int]:
    """Count the words of ``path`` in one streaming pass, writing nothing.

    Returns ``(words, counts, tokens, lines)`` with the same counts, tokens and
    lines (non-empty lines; a line of more than 10,000 tokens counts once per
    piece) as :func:`encode_corpus`. Raises :class:`UserError` for an empty corpus.
    """
    counter: Counter[str] = Counter()
    tokens = lines = 0
    for sentence in iter_sentences(path, encoding_errors=encoding_errors):
        counter.update(sentence)
        tokens += len(sentence)
        lines += 1
    if tokens == 0:
        raise UserError(f"{_name(path)}: the corpus is empty (no tokens); give a text file")
    words = list(counter)
    counts = np.fromiter(counter.values(), dtype=np.int64, count=len(words))
    return words, counts, tokens, lines


def _name(path: str) -> str:
    return "<stdin>" if path == "-" else path
