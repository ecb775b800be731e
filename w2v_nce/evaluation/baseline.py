"""The gensim side of ``compare``: Word2Vec (FastText with --subwords) on the same tokens
with the same settings.

Both trainers read one plain copy of the corpus written from
:func:`~w2v_nce.io.corpus.iter_sentences` (a sentence per line, tokens joined by
single spaces), so they see exactly the same tokens and sentence boundaries
whatever the input was (gzip, bzip2, stdin, long lines already cut at 10,000
tokens, which is also gensim's limit). gensim reads it in its fastest mode,
``corpus_file``.

Settings map one to one (sg = 1 for skipgram and 0 for cbow, cbow_mean=1;
hs=1, negative=0 for ``--loss hs``, else hs=0, negative=k; window,
vector_size=dim, sample, epochs, alpha, min_alpha, min_count, workers=threads,
seed, ns_exponent=noise_power) except two: gensim has no nce, softmax or infonce,
so for those it trains with negative sampling, and ``--max-vocab`` becomes
``max_final_vocab``, which gensim meets by raising min_count (so it may keep
fewer words than our cut, which breaks ties by the word).

With ``--subwords MIN-MAX`` gensim trains ``FastText`` with min_n=MIN, max_n=MAX and
bucket=``--buckets`` and otherwise the same arguments, so both sides learn fastText's
subword model. :func:`gensim_as_model` hands its word rows (``wv.vectors_vocab``) and
n-gram rows (``wv.vectors_ngrams``) to a w2v-nce subword Model, which composes each
word's vector itself: gensim 4 hashes n-grams as fastText's dictionary.cc does
(``compute_ngrams_bytes``, ``ft_hash_bytes``: signed bytes, FNV-1a, modulo the buckets),
and so does :mod:`w2v_nce.subwords`, so a bucket row means the same n-grams on both
sides (tests/test_eval_cli.py checks the composed vectors against gensim's ``wv[word]``,
in and out of the vocabulary). Both sides are then scored by one code path.

Only ``train()`` is timed on both sides (not reading the corpus or building
the vocabulary), and words/s is the same quantity for both: in-vocabulary
corpus words × epochs / training seconds.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from w2v_nce import losses
from w2v_nce.errors import UserError
from w2v_nce.io.corpus import iter_sentences
from w2v_nce.model import Model
from w2v_nce.subwords import END_OF_SENTENCE, Subwords

if TYPE_CHECKING:
    from w2v_nce.params import TrainConfig

_WRITE_LINES = 4096  # sentences joined per write


def write_plain_copy(path: str, out_path: str, encoding_errors: str = "strict") -> int:
    """Write the corpus as one sentence per line, single spaces; returns the token count."""
    tokens = 0
    lines: list[str] = []
    with open(out_path, "w", encoding="utf-8") as out:
        for sentence in iter_sentences(path, encoding_errors=encoding_errors):
            tokens += len(sentence)
            lines.append(" ".join(sentence))
            if len(lines) >= _WRITE_LINES:
                out.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            out.write("\n".join(lines) + "\n")
    if tokens == 0:
        raise UserError(f"{path}: the corpus is empty (no tokens); give a text file")
    return tokens


@dataclass
class GensimRun:
    model: Model  # gensim's vectors as a w2v-nce Model (gensim_as_model)
    seconds: float
    words_per_sec: float


@contextmanager
def _quiet_gensim():
    """gensim logs warnings (e.g. about job counts) that would clutter the table."""
    logger = logging.getLogger("gensim")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def gensim_loss(config: TrainConfig) -> str:
    """The loss gensim trains for ``config`` (its record's ``gensim_name``): hs as it is,
    negative sampling for the losses gensim does not have."""
    return config.loss_record.gensim_name


def gensim_class(config: TrainConfig) -> str:
    """The gensim model ``compare`` trains for ``config``: ``FastText`` for a run with
    --subwords (w2v-nce then learns fastText's subword model, so gensim must too, for a
    like-for-like comparison), else ``Word2Vec``."""
    return "Word2Vec" if config.subword_model is None else "FastText"


def gensim_settings(config: TrainConfig) -> dict:
    """The arguments of :func:`gensim_class` for the same run (sg/cbow, hs or negative
    sampling; FastText's n-gram lengths and buckets with --subwords)."""
    hs = losses.get(gensim_loss(config)).tree
    settings = dict(
        sg=1 if config.model == "skipgram" else 0,
        cbow_mean=1,
        hs=1 if hs else 0,
        negative=0 if hs else config.k,
        window=config.window,
        vector_size=config.dim,
        sample=config.sample,
        epochs=config.epochs,
        alpha=config.resolved_alpha,
        min_alpha=config.min_alpha,
        min_count=config.min_count,
        max_final_vocab=config.max_vocab,
        ns_exponent=config.noise_power,
        workers=config.threads,
        seed=config.seed,
    )
    subwords = config.subword_model
    if subwords is not None:
        settings.update(min_n=subwords.minn, max_n=subwords.maxn, bucket=subwords.buckets)
    return settings


def train_gensim(plain_path: str, config: TrainConfig) -> GensimRun:
    """Train gensim's :func:`gensim_class` on ``plain_path`` with the settings of ``config``."""
    from gensim import models

    with _quiet_gensim():
        w2v = getattr(models, gensim_class(config))(**gensim_settings(config))
        w2v.build_vocab(corpus_file=plain_path)
        if len(w2v.wv) == 0:
            raise UserError(
                f"gensim kept no word at --min-count {config.min_count}; lower --min-count"
            )
        started = time.perf_counter()
        w2v.train(
            corpus_file=plain_path,
            total_words=w2v.corpus_total_words,
            total_examples=w2v.corpus_count,
            epochs=w2v.epochs,
        )
        seconds = time.perf_counter() - started
    model = gensim_as_model(w2v)
    words = int(model.counts.sum()) * config.epochs
    return GensimRun(model, seconds, words / seconds if seconds > 0 else 0.0)


def gensim_as_model(w2v) -> Model:
    """A gensim Word2Vec or FastText seen as a w2v-nce Model, for the same evaluation.

    Negative sampling: output = ``syn1neg``. Hierarchical softmax: output = the
    inner nodes of ``syn1`` and gensim's own tree (its ``code`` and ``point``).
    Word2Vec: input = ``wv.vectors``. FastText: a subword Model, input = the word rows
    ``wv.vectors_vocab``, buckets = the n-gram rows ``wv.vectors_ngrams`` (the hashing
    is the same, see the module's docstring), so its word vectors are composed by
    w2v-nce's own code, as those of w2v-nce's subword model are.
    """
    from gensim.models import FastText

    wv = w2v.wv
    fasttext = isinstance(w2v, FastText)
    vocab = list(wv.index_to_key)
    counts = np.array([wv.get_vecattr(word, "count") for word in vocab], np.int64)
    config = {
        "loss": losses.gensim_native(tree=bool(w2v.hs)).name,
        "model": "skipgram" if w2v.sg else "cbow",
        "base": "none",
        "k": int(w2v.negative),
        "window": int(w2v.window),
        "noise_power": float(w2v.ns_exponent),
        "sample": float(w2v.sample),
        "epochs": int(w2v.epochs),
        "dim": int(w2v.vector_size),
    }
    tree = None
    if w2v.hs:
        codes = [np.asarray(wv.get_vecattr(word, "code")) for word in vocab]
        points = [np.asarray(wv.get_vecattr(word, "point")) for word in vocab]
        lengths = np.array([len(c) for c in codes], dtype=np.int32)
        width = int(lengths.max(initial=0))
        padded_points = np.zeros((len(vocab), width), dtype=np.int32)
        padded_codes = np.zeros((len(vocab), width), dtype=np.float32)
        for i, (code, point) in enumerate(zip(codes, points, strict=True)):
            padded_points[i, : len(point)] = point
            padded_codes[i, : len(code)] = code
        tree = (padded_points, padded_codes, lengths)
        output = np.asarray(w2v.syn1[: max(len(vocab) - 1, 0)], dtype=np.float32)
    else:
        output = np.asarray(w2v.syn1neg, dtype=np.float32)
    if not fasttext:
        return Model(vocab, counts, np.asarray(wv.vectors, dtype=np.float32), output, config, tree)
    subwords = Subwords(int(wv.min_n), int(wv.max_n), int(wv.bucket))
    config.update(subwords=str(subwords), buckets=subwords.buckets)
    inputs = np.array(wv.vectors_vocab, dtype=np.float32)
    if END_OF_SENTENCE in wv.key_to_index:
        # w2v-nce gives fastText's end-of-sentence word no n-grams, gensim does (it has
        # no such word): its row alone is its vector here, so the row is gensim's vector.
        row = wv.key_to_index[END_OF_SENTENCE]
        inputs[row] = wv.vectors[row]
    model = Model(vocab, counts, inputs, output, config, tree)
    model.buckets = np.asarray(wv.vectors_ngrams, dtype=np.float32)
    return model


def neighbour_overlap(
    a: tuple[list[str], np.ndarray],
    b: tuple[list[str], np.ndarray],
    n_words: int = 1000,
    topn: int = 10,
) -> float | None:
    """Mean |N_a(w) ∩ N_b(w)| / topn over the ``n_words`` most frequent words of ``a`` in both.

    N(w) are the ``topn`` nearest neighbours by cosine in each model's own
    vocabulary, w itself excluded (fewer when a vocabulary is tiny). None when
    the vocabularies share no word.
    """
    words_b = {word: i for i, word in enumerate(b[0])}
    shared = [word for word in a[0] if word in words_b][:n_words]
    if not shared:
        return None
    index_a = {word: i for i, word in enumerate(a[0])}
    near_a = _nearest(a[1], [index_a[w] for w in shared], topn)
    near_b = _nearest(b[1], [words_b[w] for w in shared], topn)
    size = min(near_a.shape[1], near_b.shape[1])
    if size == 0:
        return None
    overlaps = [
        len({a[0][i] for i in row_a[:size]} & {b[0][i] for i in row_b[:size]}) / size
        for row_a, row_b in zip(near_a, near_b, strict=True)
    ]
    return float(np.mean(overlaps))


def _nearest(vectors: np.ndarray, rows: list[int], topn: int, batch: int = 256) -> np.ndarray:
    """Indices of the ``topn`` highest-cosine rows for each of ``rows``, itself excluded."""
    norms = np.linalg.norm(vectors, axis=1)
    unit = (vectors / np.where(norms > 0, norms, 1)[:, None]).astype(np.float32)
    n = min(topn, len(vectors) - 1)
    out = np.empty((len(rows), max(n, 0)), dtype=np.int64)
    for lo in range(0, len(rows), batch):
        ids = np.asarray(rows[lo : lo + batch])
        scores = unit[ids] @ unit.T
        scores[np.arange(len(ids)), ids] = -np.inf
        if n > 0:
            out[lo : lo + batch] = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    return out
