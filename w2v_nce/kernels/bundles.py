"""The named bundles the kernels take instead of long argument lists.

Built once per run in Python (``w2v_nce.training.trainer``'s ``tables_for`` and
``spec_for``) and handed to every block, which carries them down to the inner
kernels whole: ``typing.NamedTuple``s compile under ``numba.njit`` as plain
structs, so reading a field costs nothing, and adding a kernel input means adding
one field here and one line where the bundle is built (gensim's
``Word2VecConfig``, pynndescent's tuples of arrays); the kernel's untracked copy
of a bundle (:func:`.vecops.untracked`) follows its fields by itself. Arrays a
loss does not use are empty, never absent, so every run compiles the same
specialisation.
"""

from typing import NamedTuple

import numpy as np

from w2v_nce.kernels.contrastive import Contrast

# The bucket matrix and n-gram table of a run without subwords: empty, of the same types.
NO_BUCKETS = np.zeros((0, 0), dtype=np.float32)
NO_NGRAM_STARTS = np.zeros(0, dtype=np.int64)
NO_NGRAM_ROWS = np.zeros(0, dtype=np.int32)


class Weights(NamedTuple):
    """The matrices every block updates in place (Hogwild)."""

    input: np.ndarray  # float32 V × dim: u_w, the word rows (word2vec.c's syn0)
    output: np.ndarray  # float32 rows × dim: v_c, V rows or hs's V − 1 inner nodes (syn1neg, syn1)
    # float32 B × dim: --subwords, the n-gram rows (fastText's input rows past the words)
    buckets: np.ndarray = NO_BUCKETS


class Tables(NamedTuple):
    """Per-word tables, read-only while training."""

    keep: np.ndarray  # uint64 V: subsampling thresholds on 32 random bits (2^32 = keep)
    noise_threshold: np.ndarray  # uint64 V: the noise distribution's alias table ...
    noise_alias: np.ndarray  # int32 V: ... (kernels.alias)
    logit_offsets: np.ndarray  # float32 V: the logit of (w, x) is u_w·v_x − logit_offsets[x]
    points: np.ndarray  # int32 V × L: hs, the inner nodes on each word's path, root first
    codes: np.ndarray  # float32 V × L: hs, each word's binary code (0/1) at each depth
    lengths: np.ndarray  # int32 V: hs, each word's path length
    # --subwords: word w's input vector is the mean of its row and the bucket rows
    # ngram_rows[ngram_starts[w]:ngram_starts[w + 1]] (w2v_nce.subwords); empty without
    ngram_starts: np.ndarray = NO_NGRAM_STARTS  # int64 V + 1
    ngram_rows: np.ndarray = NO_NGRAM_ROWS  # int32


class Spec(NamedTuple):
    """What to train: the model that builds the hidden vector and the loss that scores it."""

    model: int  # steps.SKIPGRAM or steps.CBOW
    step: int  # the kind of output step: steps.NOISE, SAMPLED_SOFTMAX, TREE, TRIPLET or DRLIM
    k: int
    window: int
    share_negatives: bool  # the hidden vectors of one centre word share one candidate set
    skip_positive: bool  # drop a noise draw equal to the positive
    private: int  # hs with several threads: the top output rows each thread updates privately
    noise_group: int  # neg/nce with share_negatives: consecutive centre words sharing one set
    contrast: Contrast  # similarity, temperature, margin, mining (kernels.contrastive)


class Schedule(NamedTuple):
    """Where a block sits in the linear learning-rate decay."""

    alpha: np.float32
    min_alpha: np.float32
    words_before: np.int64  # words of the schedule before this block
    total_words: np.int64  # words of the whole schedule (epochs × corpus words)


def empty_tree() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points, codes, lengths) of a loss without a tree."""
    return (
        np.zeros((0, 0), dtype=np.int32),
        np.zeros((0, 0), dtype=np.float32),
        np.zeros(0, dtype=np.int32),
    )
