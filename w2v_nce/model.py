"""The trained model: vocabulary, counts, both embedding matrices and the config.

Direction convention (the same as word2vec.c and gensim): for a centre word at
position i and a context word at position j of its window, the pair trains the
*input* row of the context word against the *output* row of the centre word.
``input`` is what we export as "the word vectors"; ``output`` is word2vec's
``syn1neg`` (V rows), or for hierarchical softmax its ``syn1``: the V − 1 inner
nodes of the Huffman tree in ``tree`` (points, codes, lengths).

A model loaded from a word2vec text or binary file has vectors only: ``output``,
``counts`` and ``tree`` are None and ``config`` is empty; what needs more says so
(:meth:`Model.require_output`).

The user-facing methods (neighbours, evaluation, saving) are thin: each calls the
module that owns the work, so the command line and the Python API give the same
answers.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UsageError, UserError, W2VNceWarning
from w2v_nce.query import SCORE_CELLS, words_of

if TYPE_CHECKING:
    from w2v_nce.params import TrainConfig
    from w2v_nce.subwords import Subwords
    from w2v_nce.vocab import Vocabulary

NPZ_KEYS = ("vocab", "counts", "input", "output", "config")
BUCKETS_KEY = "buckets"  # a subword model's n-gram rows
TREE_KEYS = ("tree_points", "tree_codes", "tree_lengths")


def unigram_log_prior(counts) -> np.ndarray:
    """log P(c) = log(count(c) / Σ count) as float64."""
    counts = np.asarray(counts, dtype=np.float64)
    return np.log(counts / counts.sum())


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) without overflow."""
    return -np.logaddexp(0.0, -x)


@dataclass
class TrainStats:
    """What a training run did (``model.stats``; ``train --json`` prints it)."""

    words: int = 0  # words read (before subsampling), over all epochs
    examples: int = 0  # pairs (skip-gram) or centre words (CBOW) trained
    seconds: float = 0.0  # training time of this process (a resumed run: since it resumed)
    final_loss: float = float("nan")  # mean loss per example of the last epoch (see add)
    loss_sum: float = 0.0  # over the whole run, for the mean loss of a resumed run
    resumed_words: int = 0  # words already trained when this process resumed
    resumed_examples: int = 0  # and examples
    kernel_seconds: float = 0.0  # loading the kernel before training (the first run compiles it)
    final_epoch: int = -1  # the last epoch this process trained a block of
    final_epoch_loss: float = 0.0  # and the loss and examples of its blocks
    final_epoch_examples: int = 0

    def add(self, epoch: int, words: int, examples: int, loss: float) -> None:
        """Count a trained block (or a round of every shard's) of ``epoch``.

        ``final_loss`` is the mean loss per example over the blocks of the last epoch
        this process trained, whatever order they finished in: with ``--threads 1`` and
        a seed it is the same number every run (the progress bar's loss, over the last
        second, depends on timing)."""
        self.words += words
        self.examples += examples
        self.loss_sum += loss
        if epoch > self.final_epoch:
            self.final_epoch, self.final_epoch_loss, self.final_epoch_examples = epoch, 0.0, 0
        if epoch == self.final_epoch:
            self.final_epoch_loss += loss
            self.final_epoch_examples += examples
            if self.final_epoch_examples:
                self.final_loss = self.final_epoch_loss / self.final_epoch_examples

    @property
    def words_per_sec(self) -> float:
        done = self.words - self.resumed_words
        return done / self.seconds if self.seconds > 0 else 0.0


@dataclass(eq=False)
class Model:
    vocab: list[str]
    counts: np.ndarray | None  # int64, descending
    input: np.ndarray  # float32 V x d: exported vectors (u_w)
    output: np.ndarray | None  # float32 (V or V − 1) x d: output vectors (v_c) or inner nodes
    config: dict = field(default_factory=dict)
    tree: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # hs: points, codes, lengths
    stats: TrainStats | None = field(default=None, repr=False)  # set by training, not saved
    # --subwords: float32 B × dim, the n-gram rows (the config's "subwords" and "buckets")
    buckets: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        """One line, as gensim's objects (the dataclass's own printed every word and row)."""
        model, loss = self.config.get("model", "?"), self.config.get("loss", "?")
        subwords = f", subwords {self.config['subwords']}" if self.config.get("subwords") else ""
        return (
            f"<w2v_nce.Model {model} {loss}: {len(self.vocab):,} words, dim "
            f"{self.input.shape[1]}{subwords}>"
        )

    # ------------------------------------------------------------------ what it is

    @property
    def loss(self) -> losses.Loss | None:
        name = self.config.get("loss")
        return losses.LOSSES.get(name) if name else None

    @property
    def subwords(self) -> Subwords | None:
        """The model's n-gram lengths and buckets (:mod:`w2v_nce.subwords`), or None."""
        if self.buckets is None:
            return None
        from w2v_nce.subwords import Subwords

        return Subwords.parse(self.config["subwords"], self.config["buckets"])

    @cached_property
    def vectors(self) -> np.ndarray:
        """The word vectors (V × dim): the input rows, or with subwords each word's mean
        of its row and its n-gram rows (fastText's, and what -o writes)."""
        if self.subwords is None:
            return self.input
        return self.subwords.vectors(self.vocab, self.index(), self.input, self.buckets)

    def oov_vectors(self, words) -> np.ndarray:
        """A subword model's vectors of any ``words`` (float32 len × dim): a word of the
        vocabulary its vector, any other the mean of its n-gram rows (zero if it has none)."""
        return self.subwords.vectors(words, self.index(), self.input, self.buckets)

    def require_output(self, what: str) -> None:
        """A UsageError unless the model has its output vectors (a .npz from training)."""
        if self.output is None:
            raise UsageError(
                f"{what} needs the output vectors, which a word2vec file does not hold: give "
                "the .npz written by 'train --save-model' (or model.save)"
            )

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}

    # ------------------------------------------------------------------ p(c|w)

    def output_bias(self) -> np.ndarray:
        """b_c in the score s(w, c) = u_w·v_c + b_c, as float64.

        log P(c), the unigram log-probability from ``counts``, when the model was
        trained with the unigram base measure (``config["base"] == "unigram"``);
        zero otherwise. It is not stored: ``counts`` determines it.
        """
        if self.config.get("base") == "unigram":
            return unigram_log_prior(self.counts)
        return np.zeros(len(self.vocab), dtype=np.float64)

    def scores(self, rows, columns=None) -> np.ndarray:
        """The model's score of every c for the input rows ``rows`` (float64, len × V).

        s(w, c) = u_w·v_c + b_c; for hierarchical softmax, whose output rows are
        inner nodes, the score is log p(c|w) along c's path (exactly normalised).
        ``columns`` (word ids) restricts the c's to those, in that order: the
        same numbers as ``scores(rows)[:, columns]`` without computing the others
        (for hs, only the inner nodes on their paths).
        """
        rows = np.atleast_1d(np.asarray(rows))
        return self.scores_of(self.vectors[rows], columns)

    def scores_of(self, u, columns=None) -> np.ndarray:
        """:meth:`scores` for input vectors ``u`` (len × dim) rather than words: a subword
        model's vectors of words out of its vocabulary (:meth:`oov_vectors`)."""
        self.require_output("the model's scores")
        u = np.asarray(u, dtype=np.float64)
        if self.tree is None:
            if columns is None:
                return u @ self.output.T.astype(np.float64) + self.output_bias()
            columns = np.asarray(columns)
            return u @ self.output[columns].T.astype(np.float64) + self.output_bias()[columns]
        points, codes, lengths = self.tree
        nodes = self.output
        if columns is not None:
            columns = np.asarray(columns)
            points, codes, lengths = points[columns], codes[columns], lengths[columns]
            used, points = np.unique(points, return_inverse=True)
            points = points.reshape(codes.shape)
            nodes = self.output[used]
        nodes = nodes.T.astype(np.float64)
        signs = np.where(np.arange(points.shape[1]) < lengths[:, None], 1.0 - 2.0 * codes, 0.0)
        out = np.empty((len(u), len(points)))
        step = max(1, SCORE_CELLS // max(points.size, 1))
        for lo in range(0, len(u), step):
            inner = u[lo : lo + step] @ nodes  # rows × inner nodes
            on_path = inner[:, points] * signs  # rows × columns × L; 0 past each path's end
            terms = np.where(signs != 0, log_sigmoid(on_path), 0.0)
            out[lo : lo + step] = terms.sum(axis=2)
        return out

    def pair_scores(self, w_ids: np.ndarray, c_ids: np.ndarray) -> np.ndarray:
        """s(w, c) (as :meth:`scores`) for the pairs (w_ids[i], c_ids[i]) only."""
        self.require_output("the model's scores")
        u = np.asarray(self.vectors[w_ids], dtype=np.float64)
        if self.tree is None:
            v = np.asarray(self.output[c_ids], dtype=np.float64)
            return np.einsum("ij,ij->i", u, v) + self.output_bias()[c_ids]
        points, codes, lengths = self.tree
        out = np.zeros(len(w_ids))
        for d in range(points.shape[1]):
            on = lengths[c_ids] > d
            if not on.any():
                break
            v = np.asarray(self.output[points[c_ids[on], d]], dtype=np.float64)
            x = np.einsum("ij,ij->i", u[on], v) * (1.0 - 2.0 * codes[c_ids[on], d])
            out[on] += log_sigmoid(x)
        return out

    def log_partition(self, rows, vectors=None) -> np.ndarray:
        """log Σ_c exp(s(w, c)) for each input row (0 for hs, by construction); or, with
        ``vectors``, for each of those input vectors (``rows`` ignored)."""
        if vectors is None:
            vectors = self.vectors[np.asarray(rows)]
        out = np.empty(len(vectors))
        step = max(1, SCORE_CELLS // max(len(self.vocab), 1))
        for lo in range(0, len(vectors), step):
            scores = self.scores_of(vectors[lo : lo + step])
            peak = scores.max(axis=1, keepdims=True)
            out[lo : lo + step] = peak[:, 0] + np.log(np.exp(scores - peak).sum(axis=1))
        return out

    def log_probs(self, rows) -> np.ndarray:
        """log p(c|w) for every c, as the model's loss reads it (float64, len × V).

        NCE claims to be self-normalised, so exp(s) is its p(c|w) as it is, not
        renormalised; hs is normalised by construction; softmax and InfoNCE are the
        softmax of the score, and so is the reading of negative sampling's scores
        (which are not a normalised model: :attr:`Loss.normalised` says which).
        """
        return self.log_probs_of(self.vectors[np.atleast_1d(np.asarray(rows))])

    def log_probs_of(self, u) -> np.ndarray:
        """:meth:`log_probs` for input vectors ``u`` (len × dim) rather than words, as
        :meth:`scores_of` is to :meth:`scores`."""
        scores = self.scores_of(u)
        if not losses.distribution_of(self.loss).renormalise:
            return scores
        peak = scores.max(axis=1, keepdims=True)
        return scores - peak - np.log(np.exp(scores - peak).sum(axis=1, keepdims=True))

    # ------------------------------------------------------------------ .npz

    def to_npz_arrays(self) -> dict[str, np.ndarray]:
        self.require_output("saving a model")
        arrays = {
            "vocab": np.array(self.vocab, dtype=str),
            "counts": np.asarray(self.counts, dtype=np.int64),
            "input": np.asarray(self.input, dtype=np.float32),
            "output": np.asarray(self.output, dtype=np.float32),
            "config": np.array(json.dumps(self.config, sort_keys=True)),
        }
        if self.tree is not None:
            arrays.update(zip(TREE_KEYS, self.tree, strict=True))
        if self.buckets is not None:
            arrays[BUCKETS_KEY] = np.asarray(self.buckets, dtype=np.float32)
        return arrays

    @classmethod
    def from_npz_arrays(cls, arrays) -> Model:
        config = json.loads(str(arrays["config"]))
        tree = None
        if all(key in arrays for key in TREE_KEYS):
            points, codes, lengths = (np.asarray(arrays[key]) for key in TREE_KEYS)
            tree = (points.astype(np.int32), codes.astype(np.float32), lengths.astype(np.int32))
        return cls(
            vocab=[str(w) for w in arrays["vocab"]],
            counts=np.asarray(arrays["counts"], dtype=np.int64),
            input=np.asarray(arrays["input"], dtype=np.float32),
            output=np.asarray(arrays["output"], dtype=np.float32),
            config=config,
            tree=tree,
            buckets=np.asarray(arrays[BUCKETS_KEY], dtype=np.float32)
            if BUCKETS_KEY in arrays
            else None,
        )

    # ------------------------------------------------------------------ the API

    @cached_property
    def wv(self):
        """gensim's own ``KeyedVectors`` of the word vectors (sharing their memory).

        With each word's count as the ``count`` attribute, as gensim's Word2Vec sets it.
        A subword model's is gensim's ``FastTextKeyedVectors``: ``vectors_vocab`` the
        word rows, ``vectors_ngrams`` the bucket rows, ``vectors`` their means, and
        ``kv[word]`` a vector for any word, from its n-grams.
        """
        from gensim.models import KeyedVectors

        if self.subwords is not None:
            return self._fasttext_vectors(self.subwords, self.buckets)
        kv = KeyedVectors(self.input.shape[1], count=len(self.vocab), dtype=np.float32)
        return self._labelled(kv)

    def _labelled(self, kv):
        """``kv`` with the words, their vectors and counts."""
        kv.index_to_key = list(self.vocab)
        kv.key_to_index = self.index()
        kv.vectors = self.vectors
        if self.counts is not None:
            kv.expandos["count"] = np.asarray(self.counts, dtype=np.int64)
        return kv

    def _fasttext_vectors(self, subwords: Subwords, buckets: np.ndarray):
        """gensim's ``FastTextKeyedVectors`` of the word rows and the ``buckets`` rows."""
        from gensim.models.fasttext import FastTextKeyedVectors

        count = len(self.vocab)
        kv = FastTextKeyedVectors(
            self.input.shape[1], subwords.minn, subwords.maxn, subwords.buckets, count
        )
        kv.vectors_vocab = self.input
        kv.vectors_ngrams = buckets
        table = subwords.table(self.vocab)
        kv.buckets_word = [table.of(i).astype(np.uint32) for i in range(count)]
        return self._labelled(kv)

    def save_fasttext_bin(self, path) -> None:
        """Write the model as Facebook's fastText ``.bin`` (``train --fasttext-bin``), which
        ``fasttext.load_model`` and gensim's ``load_facebook_model`` read; a model without
        subwords is written with none (fastText's ``-maxn 0``)."""
        from w2v_nce.io.fasttext_format import write_fasttext_bin
        from w2v_nce.subwords import Subwords

        self.require_output("--fasttext-bin")
        kv = self.wv
        if self.subwords is None:
            no_buckets = np.zeros((0, self.input.shape[1]), dtype=np.float32)
            kv = self._fasttext_vectors(Subwords(0, 0, 0), no_buckets)
        config = self.config
        settings = {
            "skipgram": config.get("model", "skipgram") == "skipgram",
            "tree": self.tree is not None,
            "k": config.get("k", 5),
            "window": config.get("window", 5),
            "epochs": config.get("epochs", 5),
            "min_count": config.get("min_count", 5),
            "sample": config.get("sample", 1e-3),
            "corpus_words": config.get("corpus_words", int(np.sum(self.counts))),
        }
        write_fasttext_bin(path, kv, self.output, settings)

    def most_similar(self, positive, negative=(), topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest by cosine to ``positive`` − ``negative`` (3CosAdd),
        as ``[(word, cosine)]``, best first; the same as ``w2v-nce most-similar``. A
        subword model answers for words out of the vocabulary too (from their n-grams),
        with a :class:`W2VNceWarning` naming them."""
        result = self.neighbours.most_similar(positive, negative, topn=topn)
        _warn([self.neighbours.oov_note(words_of(positive, "") + words_of(negative, ""))])
        return result

    def analogy(self, a: str, b: str, c: str, topn: int = 10) -> list[tuple[str, float]]:
        """a is to b as c is to ...? (``w2v-nce analogy``; words out of the vocabulary as
        :meth:`most_similar`)."""
        result = self.neighbours.analogy(a, b, c, topn=topn)
        _warn([self.neighbours.oov_note([a, b, c])])
        return result

    def context(self, word: str, topn: int = 10) -> list[tuple[str, float, float]]:
        """The words the model predicts next to ``word``, as ``[(c, score, p(c|w))]``
        (``most-similar --by context``); needs the output vectors. Like :meth:`keywords`,
        it warns (:class:`W2VNceWarning`) that a ``neg`` model's p(c|w) is only a reading."""
        from w2v_nce.context import context_neighbours
        from w2v_nce.query import a_type

        if not isinstance(word, str):
            raise UsageError(f"context takes one word (a str), not {a_type(word)}")
        rows, _, notes = context_neighbours(self, word, topn)
        _warn(notes)
        return rows

    def keywords(self, text, topn: int | None = 10) -> list[tuple[str, float]]:
        """The words of ``text`` that best predict the rest of it, as ``[(word, log p(text |
        word))]``, best first (``w2v-nce keywords``); needs the output vectors.

        ``text`` is a str, split as the training reader splits a line, or a list of
        tokens; ``topn`` None or 0 for every word. Tokens not in the vocabulary are
        skipped with a :class:`W2VNceWarning`, as is the note that a ``neg`` model's
        p(c|w) is only a reading; fewer than two known tokens raise a UsageError.
        """
        if not isinstance(text, str | list | tuple):
            from w2v_nce.query import a_type

            raise UsageError(f"keywords takes a text (str) or a list of tokens, not {a_type(text)}")
        ranked, notes = self._keywords.text(text, topn)
        _warn(notes)
        return ranked

    def save(self, path) -> None:
        """Write the whole model as a ``.npz`` (atomically), readable by :func:`w2v_nce.load`."""
        save_npz(self, path)

    def save_word2vec_format(self, path, binary: bool = False) -> None:
        """Write the input vectors in word2vec text (or binary) format, which gensim loads."""
        from w2v_nce.io.word2vec_format import write_word2vec

        write_word2vec(path, self.vocab, self.vectors, binary=binary)

    @property
    def zero_vectors(self) -> int:
        """How many words have an all-zero vector (left out of neighbours and analogies)."""
        return self.neighbours.zero_vectors

    @cached_property
    def neighbours(self):
        """The :class:`w2v_nce.query.Neighbours` of the word vectors (and, for a subword
        model, of any word's vector from its n-grams)."""
        from w2v_nce.query import Neighbours

        return Neighbours(
            self.vocab, self.vectors, self.oov_vectors if self.subwords is not None else None
        )

    @cached_property
    def _keywords(self):
        from w2v_nce.keywords import Scorer

        return Scorer(self)


def _warn(notes) -> None:
    """The library's notes, as warnings from the caller's line."""
    import warnings

    for note in notes:
        if note:
            warnings.warn(note, W2VNceWarning, stacklevel=3)


# ---------------------------------------------------------------------- before training


def initial_vectors(
    vocab_size: int, dim: int, seed: int, output_rows: int | None = None, random_output=False
):
    """(input, output): input rows uniform in ±0.5/dim (word2vec.c), ``output_rows``
    (default V) output rows zero. With ``random_output`` (a cosine similarity: a zero row
    has no direction) the output rows are random too, from the next seed, and every row
    has unit norm: a cosine's gradient scales as 1/|row|, so word2vec's short rows made
    the first steps hundreds of times their length.

    Computed in place: the peak is the two matrices themselves, not four copies.
    """
    rng = np.random.default_rng(seed)
    inputs = np.empty((vocab_size, dim), dtype=np.float32)
    rng.random(out=inputs, dtype=np.float32)
    inputs -= np.float32(0.5)
    inputs /= np.float32(dim)
    outputs = np.zeros((vocab_size if output_rows is None else output_rows, dim), dtype=np.float32)
    if random_output:
        outputs = initial_vectors(outputs.shape[0], dim, seed + 1)[0]
        for rows in (inputs, outputs):
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), np.float32(1e-30))
    return inputs, outputs


def huffman_tree(counts: np.ndarray, first_seen: np.ndarray | None = None):
    """(points, codes, lengths) of word2vec.c's Huffman tree over ``counts`` (descending).

    The tree merges the leaves rarest first in their order, so words of equal count that are
    neighbours in it become siblings, and runs of them share subtrees. Our vocabulary breaks
    ties by the word; word2vec.c's by first appearance in the corpus (glibc's qsort is
    stable). With ``first_seen`` (a rank of each word's first appearance in the corpus,
    :func:`.vocab.first_seen`) the leaves of equal count enter the tree in that order, as in
    word2vec.c, and the paths come back in vocabulary order; without it they enter in
    vocabulary order. The order of ties moved skip-gram hs's Google analogy accuracy by
    about 0.006 either way: on the glosses twice over (lines shuffled) alphabetical ties
    gave 0.072-0.080 (4 seeds), first appearance 0.081-0.083 (3), word2vec.c 0.083-0.086 and
    0.077 with its ties sorted by word; on bench-dev 0.092-0.098, 0.090-0.096 and word2vec.c
    0.091-0.093.
    """
    from w2v_nce.kernels.tree import huffman

    counts = np.ascontiguousarray(counts, dtype=np.int64)
    if first_seen is None:
        return huffman(counts)
    order = np.lexsort((first_seen, -counts))  # count descending, ties as first seen
    points, codes, lengths = huffman(counts[order])
    back = np.empty_like(order)
    back[order] = np.arange(counts.size)
    return points[back], codes[back], lengths[back]


def new_model(
    vocab: Vocabulary, config: TrainConfig, first_seen: np.ndarray | None = None
) -> Model:
    """A model before training: random input rows, zero output rows (and the tree for hs,
    its ties in ``first_seen`` order when given: :func:`huffman_tree`)."""
    record = config.loss_record
    tree = huffman_tree(vocab.counts, first_seen) if record.tree else None
    output_rows = max(len(vocab) - 1, 0) if tree is not None else None
    inputs, outputs = initial_vectors(
        len(vocab), config.dim, config.seed, output_rows, config.random_output
    )
    model = Model(list(vocab.words), np.asarray(vocab.counts), inputs, outputs, {}, tree)
    model.buckets = initial_buckets(config)
    return model


def initial_buckets(config: TrainConfig) -> np.ndarray | None:
    """A subword model's bucket rows before training: uniform in ±0.5/dim as the word
    rows, from streams of their own (the word rows are those of a model without
    subwords), filled in parallel (:func:`w2v_nce.kernels.ngrams.uniform_rows`); None
    without --subwords."""
    subwords = config.subword_model
    if subwords is None:
        return None
    from w2v_nce.kernels.ngrams import uniform_rows
    from w2v_nce.kernels.rng import mix_seed

    buckets = np.empty((subwords.buckets, config.dim), dtype=np.float32)
    uniform_rows(buckets, mix_seed(config.seed, 0x5B), 0.5 / config.dim)
    return buckets


def continued_model(base: Model, vocab: Vocabulary, config: TrainConfig) -> Model:
    """``base``'s rows in the order of the merged ``vocab``; new words as in a new model."""
    output_rows = base.output.shape[0] if base.tree is not None else len(vocab)
    inputs, outputs = initial_vectors(
        len(vocab), config.dim, config.seed, output_rows, config.random_output
    )
    old = base.index()
    rows = np.array([old.get(word, -1) for word in vocab.words], dtype=np.int64)
    known = rows >= 0
    inputs[known] = base.input[rows[known]]
    tree = None
    if base.tree is not None:  # hs: the tree is the model's (no new words), rows reordered
        outputs[:] = base.output
        tree = tuple(part[rows] for part in base.tree)
    else:
        outputs[known] = base.output[rows[known]]
    model = Model(list(vocab.words), np.asarray(vocab.counts), inputs, outputs, {}, tree)
    model.buckets = None if base.buckets is None else base.buckets.copy()
    return model


# ---------------------------------------------------------------------- reading and writing


def load(path) -> Model:
    """A model from a ``.npz`` (everything) or a word2vec text/binary file (vectors only).

    Every problem is a one-line :class:`UserError` naming the file: malformed or
    inconsistent data, NaN or infinite values, a pickled (code-running) array.
    """
    shown = _path_of(path, "w2v_nce.load")
    if not (shown.lower().endswith(".npz") or is_zip(shown)):
        from w2v_nce.io.word2vec_format import read_word2vec

        words, vectors = read_word2vec(shown)
        return Model(list(words), None, vectors, None, {})
    return load_npz(shown)[0]


def _path_of(path, what: str) -> str:
    """``path`` as a str, or a UserError saying what ``what`` takes."""
    if not isinstance(path, str | os.PathLike):
        from w2v_nce.query import a_type

        raise UserError(f"{what} takes the path of a model file (str or Path), not {a_type(path)}")
    return os.fspath(path)


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def is_zip(shown) -> bool:
    """The file is a zip archive (a model saved under any name); False if unreadable
    (the reader then says why)."""
    if not os.path.isfile(shown):  # a FIFO would block here
        return False
    try:
        with open(shown, "rb") as handle:
            return handle.read(4) in _ZIP_MAGIC
    except OSError:
        return False


def _check_zip_magic(shown: str, extra: tuple[str, ...]) -> None:
    """A ``.npz`` is a zip archive; anything else np.load would try to read as a pickle.

    Its refusal ("contains pickled (object) data ... allow_pickle") would mislead a
    user who gave a text file or a damaged download, so say what the file is not.
    """
    try:
        with open(shown, "rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file") from None
    except OSError as exc:
        raise UserError(f"{shown}: cannot read it ({exc.strerror})") from None
    if magic not in _ZIP_MAGIC:
        what = "checkpoint" if extra else "model"
        raise UserError(
            f"{shown}: not a w2v-nce {what} (.npz files are zip archives, and this one does "
            "not start like one); give the file written by --save-model or --checkpoint, "
            "or a word2vec text or binary file under another extension"
        )


def load_npz(shown: str, extra: tuple[str, ...] = ()) -> tuple[Model, dict]:
    """The model in a ``.npz`` and the arrays named ``extra`` (a checkpoint's state)."""
    from w2v_nce.io.word2vec_format import _check_regular_file, _one_line, check_finite
    from w2v_nce.kernels.ngrams import all_finite

    _check_regular_file(shown, "model file")
    _check_zip_magic(shown, extra)
    try:
        with np.load(shown, allow_pickle=False) as arrays:
            missing = [key for key in (*NPZ_KEYS, *extra) if key not in arrays.files]
            if missing:
                raise UserError(
                    f"{shown}: not a w2v-nce {'checkpoint' if extra else 'model'}, missing "
                    f"arrays: {', '.join(missing)}"
                )
            model = Model.from_npz_arrays(arrays)
            others = {key: np.asarray(arrays[key]) for key in extra}
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file") from None
    except (OSError, ValueError, EOFError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        # np.load raises these for non-npz or damaged data and for pickled object
        # arrays (refused: loading pickles can run code); JSONDecodeError from a
        # bad config is a ValueError.
        raise UserError(f"{shown}: not a valid w2v-nce model file ({_one_line(exc)})") from None
    n_words = len(model.vocab)
    outputs = n_words if model.tree is None else max(n_words - 1, 0)
    if (
        model.input.ndim != 2
        or model.input.shape[0] != n_words
        or model.output.shape != (outputs, model.input.shape[1])
        or model.counts.shape != (n_words,)
        or (model.tree is not None and any(len(part) != n_words for part in model.tree))
    ):
        raise UserError(
            f"{shown}: inconsistent model file: {n_words} words, counts {model.counts.shape}, "
            f"input {model.input.shape}, output {model.output.shape}"
        )
    _check_buckets(model, shown)
    if model.loss is not None and model.loss.tree and model.tree is None:
        raise UserError(f"{shown}: an {model.loss.name} model without its tree (tree_points, ...)")
    for name in ("input", "output"):
        check_finite(
            getattr(model, name), model.vocab, lambda _, name=name: f"{shown}: {name} matrix"
        )
    if model.buckets is not None and not all_finite(model.buckets):
        raise UserError(f"{shown}: the buckets matrix has NaN or infinite values")
    return model, others


def _check_buckets(model: Model, shown: str) -> None:
    """A subword model's bucket matrix agrees with its config (a UserError otherwise)."""
    if model.buckets is None:
        if model.config.get("subwords"):
            raise UserError(f"{shown}: a --subwords model without its buckets matrix")
        return
    try:
        subwords = model.subwords
    except (KeyError, UsageError):
        raise UserError(f"{shown}: a buckets matrix but no valid subwords in the config") from None
    if model.buckets.shape != (subwords.buckets, model.input.shape[1]):
        raise UserError(
            f"{shown}: inconsistent model file: buckets {model.buckets.shape}, but the "
            f"config says {subwords.buckets:,} buckets of dim {model.input.shape[1]}"
        )


def save_npz(model: Model, path, also=None) -> None:
    """Write ``model`` to ``path`` atomically; ``also()`` runs before the rename.

    ``also`` lets a caller write a second file whose rename must come after this
    one is complete (``train -o ... --save-model ...``).
    """
    from w2v_nce.io.atomic import atomic_output

    with atomic_output(path) as handle:
        np.savez(handle, **model.to_npz_arrays())
        handle.flush()
        if also is not None:
            also()
