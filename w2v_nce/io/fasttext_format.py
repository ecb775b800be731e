"""Facebook's fastText ``.bin``, written by gensim's ``save_facebook_model``.

Chosen over writing the format here: gensim's writer is the reference reader's twin
(``load_facebook_model`` and its tests), it writes what ``fasttext.load_model``
reads (header, dictionary, the input matrix of the word rows then the bucket rows,
the output matrix), and all it needs is duck-typed: a ``FastTextKeyedVectors``
(``Model.wv`` of a subword model: the words, their counts, ``vectors_vocab`` and
``vectors_ngrams``) and a handful of training settings. The words and their
n-grams' ids are the same in both (``w2v_nce.subwords`` computes fastText's), so
the file's vectors of any word, in or out of the vocabulary, are the model's.

What fastText's format cannot say: the loss is written as negative sampling (its
``ns``) for every loss but ``hs`` (its ``hs``), so the output matrix is read as
fastText's; the word vectors, the point of the file, do not depend on it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


class _Bytes:
    """A matrix as gensim's writer reads it (``shape``, ``tobytes()``), its bytes without
    the copy ``ndarray.tobytes`` makes: the bucket matrix is the model's largest."""

    def __init__(self, array: np.ndarray):
        self.array = np.ascontiguousarray(array, dtype=np.float32)
        self.shape = self.array.shape

    def tobytes(self):
        return memoryview(self.array.reshape(-1)).cast("B") if self.array.size else b""


def write_fasttext_bin(path, kv, output: np.ndarray, settings: dict) -> None:
    """Write ``kv`` (gensim's ``FastTextKeyedVectors`` with a ``count`` per word) and the
    ``output`` rows as fastText's ``.bin`` at ``path``, atomically.

    ``settings``: ``skipgram`` (bool), ``tree`` (hs), ``k``, ``window``, ``epochs``,
    ``min_count``, ``sample`` and ``corpus_words``, what fastText's header records.
    """
    from gensim.models.fasttext import save_facebook_model

    from w2v_nce.io.atomic import atomic_output

    rows = output
    if output.shape[0] < len(kv.index_to_key):  # hs: V − 1 inner nodes; fastText's has V rows
        rows = np.zeros((len(kv.index_to_key), kv.vector_size), dtype=np.float32)
        rows[: output.shape[0]] = output
    rows = _Bytes(rows)
    tree = bool(settings["tree"])
    model = SimpleNamespace(
        wv=kv,
        vector_size=kv.vector_size,
        epochs=int(settings["epochs"]),
        hs=int(tree),
        negative=0 if tree else int(settings["k"]),
        syn1=rows,
        syn1neg=rows,
        sg=int(bool(settings["skipgram"])),
        min_count=int(settings["min_count"]),
        sample=float(settings["sample"]),
        window=int(settings["window"]),
        corpus_total_words=int(settings["corpus_words"]),
    )
    matrices = kv.vectors_vocab, kv.vectors_ngrams
    kv.vectors_vocab, kv.vectors_ngrams = _Bytes(matrices[0]), _Bytes(matrices[1])
    try:
        with atomic_output(path) as handle:
            save_facebook_model(model, handle)
    finally:
        kv.vectors_vocab, kv.vectors_ngrams = matrices
