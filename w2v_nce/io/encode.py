"""Turn a corpus into integer ids once, on disk, for every epoch to train from.

Two passes, of which only the first reads the text (so ``-`` for stdin works):

1. :mod:`w2v_nce.io.first_pass` reads the corpus -- a plain file by ``workers`` threads
   over newline-aligned byte ranges, a stream by one, or an iterable of token lists --
   into its distinct words, their counts and files of provisional ids.
2. The distinct words and their counts go to a vocabulary rule (:mod:`w2v_nce.vocab`:
   a fresh vocabulary, a fixed one or one merged with a model's), which chooses the
   vocabulary and maps provisional ids to final ones. A purely numeric pass (this
   module) maps the ids, drops out-of-vocabulary tokens (before any windowing, as
   word2vec and gensim do) and sentences left empty, and writes the final int32
   file, hashing it as it goes (:attr:`EncodedCorpus.fingerprint`). The result does
   not depend on ``workers``: provisional ids differ, final ids do not.

The final file is cut into blocks of about ``block_words`` tokens on sentence
boundaries: a block is the unit a thread trains, with its own RNG stream, and the
point between which the trainer checks for Ctrl-C and reports progress. The trainer
reads it through :class:`~w2v_nce.io.idfile.EncodedCorpus` (:mod:`w2v_nce.io.idfile`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable

import numba
import numpy as np

from w2v_nce.errors import UserError
from w2v_nce.io.atomic import NO_SPACE_ERRNOS
from w2v_nce.io.first_pass import SENTENCES_NAME, Counted, Workers, count
from w2v_nce.io.idfile import EncodedCorpus, read_exactly, write_ids
from w2v_nce.io.stale import workdir_prefix
from w2v_nce.kernels.wordtable import SENTENCE_END
from w2v_nce.vocab import Fresh, Vocabulary, VocabularyRule, first_seen

__all__ = [
    "DEFAULT_BLOCK_WORDS",
    "EncodedCorpus",
    "check_tmp_dir",
    "count_words",
    "encode_corpus",
    "make_workdir",
]

PIECE_IDS = 1 << 18  # ids the second pass maps at a time; a leaf of the fingerprint's tree
DEFAULT_BLOCK_WORDS = 1 << 17


def encode_corpus(
    source: str | os.PathLike | Iterable[list[str]],
    min_count: int = 5,
    max_vocab: int | None = None,
    encoding_errors: str = "strict",
    block_words: int = DEFAULT_BLOCK_WORDS,
    tmp_dir: str | None = None,
    vocabulary: VocabularyRule | None = None,
    workers: int = 1,
) -> EncodedCorpus:
    """Read ``source`` once and return the encoded corpus (see the module docstring).

    ``source`` is a path (``-``: standard input) or an iterable of token lists.
    ``vocabulary`` is the rule that chooses the words (:mod:`w2v_nce.vocab`); by
    default ``Fresh(min_count, max_vocab)``. ``workers`` threads read a plain file
    and write the final ids. Raises :class:`UserError` for an unusable ``tmp_dir``
    or when the disk holding it fills up; the temporary directory is removed on any
    error or interrupt.
    """
    rule = vocabulary if vocabulary is not None else Fresh(min_count, max_vocab)
    workdir = make_workdir(tmp_dir)
    try:
        with Workers(workers) as pool:
            counted = count(source, encoding_errors, pool, workdir)
            return _finish(counted, rule, block_words, workdir, pool)
    except BaseException as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            raise UserError(
                f"no space left for the encoded corpus in {os.path.dirname(workdir)} "
                f"({exc.strerror}); it needs 4 bytes per token: free some space or "
                "pass --tmp-dir on a bigger disk"
            ) from None
        raise


def count_words(
    source: str | os.PathLike | Iterable[list[str]],
    encoding_errors: str = "strict",
    workers: int = 1,
) -> tuple[list[str], np.ndarray, int, int]:
    """Count the words of ``source`` in one streaming pass, writing nothing.

    Returns ``(words, counts, tokens, lines)`` with the same counts, tokens and
    lines (non-empty lines; a line of more than 10,000 tokens counts once per
    piece) as :func:`encode_corpus`. Raises :class:`UserError` for an empty corpus.
    """
    with Workers(workers) as pool:
        counted = count(source, encoding_errors, pool, None)
    _check_not_empty(counted)
    return counted.words, counted.counts, counted.tokens, counted.sentences


def check_tmp_dir(tmp_dir: str | None) -> None:
    """Fail early with a one-line UserError if ``tmp_dir`` cannot hold the encoded corpus."""
    shutil.rmtree(make_workdir(tmp_dir), ignore_errors=True)


def make_workdir(tmp_dir: str | None) -> str:
    """A new private directory ``w2v-nce-<host>-<pid>-XXXXXXXX`` in ``tmp_dir``
    (default: $TMPDIR), or a UserError."""
    where = tmp_dir if tmp_dir is not None else tempfile.gettempdir()
    try:
        return tempfile.mkdtemp(prefix=workdir_prefix(), dir=where)
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


# -- the second pass: the vocabulary, final ids, blocks ---------------------------------------


def _check_not_empty(counted: Counted) -> None:
    if counted.tokens == 0:
        what = "give non-empty sentences" if counted.name == SENTENCES_NAME else "give a text file"
        raise UserError(f"{counted.name}: the corpus is empty (no tokens); {what}")


def _finish(counted: Counted, rule, block_words: int, workdir: str, pool: Workers) -> EncodedCorpus:
    """Choose the vocabulary, then map each provisional file (in parallel) and join them."""
    _check_not_empty(counted)
    vocab, mapping = rule(counted.words, counted.counts, counted.name)
    mapping = np.asarray(mapping, dtype=np.int32)
    if mapping.shape != (len(counted.words),):
        raise ValueError(f"the vocabulary rule returned a map of shape {mapping.shape}")
    kept = mapping >= 0
    corpus_counts = np.zeros(len(vocab), dtype=np.int64)
    np.add.at(corpus_counts, mapping[kept], counted.counts[kept])
    appearance = first_seen(mapping, len(vocab))
    del counted.words
    futures = [
        pool.submit(_remap_part, part, mapping if to_word is None else mapping[to_word], pool)
        for part, to_word in zip(counted.parts, counted.maps, strict=True)
    ]
    del mapping
    remapped = [future.result() for future in futures]  # (final part, sentence ends, ids, longest)
    final_path = os.path.join(workdir, "ids.int32")
    bases = np.cumsum([0] + [r[2] for r in remapped])
    _join([r[0] for r in remapped], bases, final_path, pool)
    starts, block_word_counts = _cut_blocks([r[1] for r in remapped], bases, block_words)
    fingerprint = _fingerprint(final_path, int(bases[-1]), vocab, corpus_counts, pool)
    return EncodedCorpus(
        vocab=vocab,
        path=final_path,
        raw_tokens=counted.tokens,
        sentences=counted.sentences,
        block_starts=starts,
        block_words=block_word_counts,
        workdir=workdir,
        longest_sentence=max(r[3] for r in remapped),
        corpus_counts=corpus_counts,
        fingerprint=fingerprint,
        first_seen=appearance,
    )


@numba.njit(cache=True, nogil=True)
def _remap_chunk(provisional, remap, out, ends, state):
    """Map provisional ids to final ones, dropping out-of-vocabulary tokens and the
    sentences left empty. ``state``: ids written before, length of the unfinished
    sentence, longest sentence. Returns (ids in ``out``, sentence ends in ``ends``,
    each the offset just after a -1)."""
    n_out = 0
    n_ends = 0
    length = state[1]
    for p in provisional:
        if p < 0:
            if length > 0:
                out[n_out] = SENTENCE_END
                n_out += 1
                ends[n_ends] = state[0] + n_out
                n_ends += 1
                state[2] = max(state[2], length)
                length = 0
        else:
            word = remap[p]
            if word >= 0:
                out[n_out] = word
                n_out += 1
                length += 1
    state[0] += n_out
    state[1] = length
    return n_out, n_ends


def _remap_part(part: str, remap: np.ndarray, pool: Workers) -> tuple[str, str, int, int]:
    """Final ids of one provisional file, and the offsets of its sentence ends (int64),
    each in a file of its own. Returns (ids file, ends file, ids, longest sentence)."""
    stem = part.removesuffix(".int32")
    ids_path, ends_path = stem + ".final.int32", stem + ".ends.int64"
    state = np.zeros(3, dtype=np.int64)
    out = np.empty(PIECE_IDS, dtype=np.int32)
    ends = np.empty(PIECE_IDS // 2 + 1, dtype=np.int64)  # a sentence has a word
    with (
        open(part, "rb") as source,
        open(ids_path, "wb") as ids,
        open(ends_path, "wb") as ends_file,
    ):
        while True:
            pool.check()
            provisional = np.fromfile(source, dtype=np.int32, count=PIECE_IDS)
            if provisional.size == 0:
                break
            n, n_ends = _remap_chunk(provisional, remap, out, ends, state)
            write_ids(out[:n], ids)
            write_ids(ends[:n_ends], ends_file)
    os.unlink(part)
    return ids_path, ends_path, int(state[0]), int(state[2])


def _join(paths: list[str], bases: np.ndarray, final_path: str, pool: Workers) -> None:
    """Put the files of ids ``paths`` one after the other (at ``bases``) into ``final_path``:
    the first one renamed, the others copied in parallel, inside the kernel if it can."""
    os.replace(paths[0], final_path)
    if len(paths) == 1:
        return
    fd = os.open(final_path, os.O_WRONLY)
    try:
        futures = [
            pool.submit(_copy_into, path, fd, 4 * int(base), pool)
            for path, base in zip(paths[1:], bases[1:], strict=False)
        ]
        for future in futures:
            future.result()
    finally:
        os.close(fd)


def _copy_into(path: str, fd: int, offset: int, pool: Workers) -> None:
    size = os.path.getsize(path)
    with open(path, "rb") as source:
        done = 0
        while done < size:
            pool.check()
            step = min(size - done, 1 << 26)
            try:
                copied = os.copy_file_range(source.fileno(), fd, step, done, offset + done)
            except (AttributeError, OSError) as exc:  # not Linux, or not this filesystem
                if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
                    raise
                copied = os.pwrite(fd, os.pread(source.fileno(), step, done), offset + done)
            if copied <= 0:
                raise OSError(errno.EIO, f"{path} is shorter than expected")
            done += copied
    os.unlink(path)


def _cut_blocks(ends_paths: list[str], bases: np.ndarray, block_words: int):
    """Block starts and in-vocabulary words per block, from the sentence ends.

    A block ends at the first sentence end ``block_words`` ids or more after its
    start; the last block ends with the corpus. The sentence ends are read in
    pieces, so memory does not grow with the corpus.
    """
    starts = [0]
    words = []
    threshold = block_words
    ends_seen = 0  # sentence ends before the current piece
    ends_at_start = 0  # sentence ends before the current block
    for path, base in zip(ends_paths, bases, strict=False):
        with open(path, "rb") as source:
            while True:
                ends = np.fromfile(source, dtype=np.int64, count=PIECE_IDS)
                if ends.size == 0:
                    break
                ends += base
                at = int(np.searchsorted(ends, threshold))
                while at < ends.size:
                    cut = int(ends[at])
                    sentence_ends = ends_seen + at + 1 - ends_at_start
                    words.append(cut - starts[-1] - sentence_ends)
                    starts.append(cut)
                    ends_at_start += sentence_ends
                    threshold = cut + block_words
                    at = int(np.searchsorted(ends, threshold))
                ends_seen += ends.size
        os.unlink(path)
    total = int(bases[-1])
    if starts[-1] != total:
        words.append(total - starts[-1] - (ends_seen - ends_at_start))
        starts.append(total)
    return np.array(starts, dtype=np.int64), np.array(words, dtype=np.int64)


def _fingerprint(path: str, size: int, vocab: Vocabulary, counts: np.ndarray, pool) -> str:
    """blake2b of the id file, the words and their counts in this corpus.

    The id file is hashed in leaves of ``PIECE_IDS`` ids, in parallel, and the leaf
    digests then with the rest; leaves are fixed pieces of the final file, so the
    digest does not depend on how many threads wrote it.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        leaves = [
            pool.submit(_leaf_digest, fd, offset, min(PIECE_IDS, size - offset))
            for offset in range(0, size, PIECE_IDS)
        ]
        digest = hashlib.blake2b(size.to_bytes(8, "little"), digest_size=32)
        for leaf in leaves:
            digest.update(leaf.result())
    finally:
        os.close(fd)
    digest.update("\n".join(vocab.words).encode("utf-8", "surrogatepass") + b"\n")
    digest.update(counts.astype("<i8").tobytes())
    return digest.hexdigest()


def _leaf_digest(fd: int, offset: int, count: int) -> bytes:
    data = read_exactly(fd, 4 * count, 4 * offset, "the encoded corpus")
    return hashlib.blake2b(data, digest_size=32).digest()
