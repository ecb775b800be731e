"""Turn a corpus into integer ids once, on disk, for every epoch to train from.

One pass over the text (so ``-`` for stdin works): each token gets a provisional
id in first-seen order and the ids are appended to an int32 file with -1 after
each sentence. Counts come from that file with ``np.bincount``; the vocabulary is
chosen; a second, purely numeric pass maps provisional ids to final ids, drops
out-of-vocabulary tokens (before any windowing, as word2vec and gensim do) and
sentences left empty, and writes the final int32 file, read by the kernels through
a memmap. Memory is bounded by the distinct-word dictionary plus fixed buffers;
the id files live in a temporary directory that is removed with the corpus.

The final file is cut into blocks of about ``block_words`` tokens on sentence
boundaries: a block is the unit a thread trains, with its own RNG stream, and the
point between which the trainer checks for Ctrl-C and reports progress.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from .corpus import iter_sentences
from .errors import UserError
from .vocab import Vocabulary, select_vocabulary

SENTENCE_END = -1
FLUSH_IDS = 1 << 20  # ids buffered in memory before a write
DEFAULT_BLOCK_WORDS = 1 << 17


@dataclass
class EncodedCorpus:
    vocab: Vocabulary
    path: str  # the final int32 id file
    raw_tokens: int  # tokens read, including out-of-vocabulary ones
    sentences: int  # pieces read (lines, or chunks of long lines)
    block_starts: np.ndarray  # int64 offsets into the id file; last = its length
    block_words: np.ndarray  # int64 in-vocabulary tokens in each block
    workdir: str

    @property
    def words(self) -> int:
        """In-vocabulary tokens: the words one epoch trains on."""
        return self.vocab.total

    def ids(self) -> np.ndarray:
        if int(self.block_starts[-1]) == 0:
            return np.zeros(0, dtype=np.int32)
        return np.asarray(np.memmap(self.path, dtype=np.int32, mode="r"))

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> EncodedCorpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def encode_corpus(
    path: str,
    min_count: int = 5,
    max_vocab: int | None = None,
    encoding_errors: str = "strict",
    block_words: int = DEFAULT_BLOCK_WORDS,
    tmp_dir: str | None = None,
) -> EncodedCorpus:
    """Read ``path`` once and return the encoded corpus (see the module docstring)."""
    workdir = tempfile.mkdtemp(prefix="w2v-nce-", dir=tmp_dir)
    try:
        return _encode(path, min_count, max_vocab, encoding_errors, block_words, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _encode(path, min_count, max_vocab, encoding_errors, block_words, workdir):
    provisional_path = os.path.join(workdir, "provisional.int32")
    lookup: dict[str, int] = {}
    counts = np.zeros(0, dtype=np.int64)
    buffer: list[int] = []
    raw_tokens = 0
    sentences = 0

    def flush(out, distinct: int) -> None:
        nonlocal counts
        chunk = np.array(buffer, dtype=np.int32)
        buffer.clear()
        chunk.tofile(out)
        chunk_counts = np.bincount(chunk[chunk >= 0], minlength=distinct)
        chunk_counts[: counts.size] += counts
        counts = chunk_counts

    with open(provisional_path, "wb") as out:
        for tokens in iter_sentences(path, encoding_errors=encoding_errors):
            raw_tokens += len(tokens)
            sentences += 1
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
    vocab, kept = select_vocabulary(words, counts, min_count, max_vocab)
    if len(vocab) == 0:
        raise UserError(
            f"{_name(path)}: no word occurs at least --min-count {min_count} times "
            f"({len(words):,} distinct words, most frequent {int(counts.max())} times); "
            "lower --min-count"
        )
    del words
    remap = np.full(counts.size + 1, SENTENCE_END, dtype=np.int32)  # last slot: -1 → -1
    remap[kept] = np.arange(len(vocab), dtype=np.int32)
    final_path = os.path.join(workdir, "ids.int32")
    block_starts, block_word_counts = _remap(provisional_path, final_path, remap, block_words)
    os.unlink(provisional_path)
    return EncodedCorpus(
        vocab=vocab,
        path=final_path,
        raw_tokens=raw_tokens,
        sentences=sentences,
        block_starts=block_starts,
        block_words=block_word_counts,
        workdir=workdir,
    )


def _remap(provisional_path, final_path, remap, block_words):
    """Map to final ids, drop OOV tokens and empty sentences, cut into blocks."""
    provisional = np.memmap(provisional_path, dtype=np.int32, mode="r")
    written = 0
    previous = SENTENCE_END  # so a leading end marker is dropped
    starts = [0]
    next_cut = block_words
    with open(final_path, "wb") as out:
        for lo in range(0, provisional.size, FLUSH_IDS):
            mapped = remap[provisional[lo : lo + FLUSH_IDS]]
            valid = (mapped >= 0) | (provisional[lo : lo + FLUSH_IDS] == SENTENCE_END)
            mapped = mapped[valid]
            before = np.concatenate(([previous], mapped[:-1]))
            mapped = mapped[(mapped >= 0) | (before >= 0)]
            if mapped.size == 0:
                continue
            previous = int(mapped[-1])
            ends = np.flatnonzero(mapped == SENTENCE_END) + written + 1
            while True:
                at = np.searchsorted(ends, next_cut)
                if at >= ends.size:
                    break
                starts.append(int(ends[at]))
                next_cut = int(ends[at]) + block_words
            mapped.tofile(out)
            written += mapped.size
    if starts[-1] != written:
        starts.append(written)
    starts = np.array(starts, dtype=np.int64)
    final = np.memmap(final_path, dtype=np.int32, mode="r") if written else np.zeros(0, np.int32)
    block_word_counts = np.array(
        [
            int(np.count_nonzero(final[a:b] >= 0))
            for a, b in zip(starts[:-1], starts[1:], strict=True)
        ],
        dtype=np.int64,
    )
    return starts, block_word_counts


def _name(path: str) -> str:
    return "<stdin>" if path == "-" else path
