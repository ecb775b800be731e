"""Subword n-grams: fastText's model of a word as its character n-grams.

With ``--subwords MIN-MAX`` a word's input vector is the mean of its own row and the
rows of its character n-grams of MIN..MAX characters (Bojanowski et al. 2017;
fastText's choice of the mean), each n-gram hashed into one of ``--buckets`` rows of
a second input matrix, the bucket matrix. The ids are the ones fastText computes
(:mod:`w2v_nce.kernels.ngrams`: ``<``/``>`` framing, UTF-8 code points, its FNV-1a),
so a model's buckets mean the same n-grams in fastText's ``.bin``.

A word of the vocabulary has its n-grams computed once per run, into a CSR table
(:meth:`Subwords.table`); the kernels read the table, never a word's characters. A
word out of the vocabulary gets the mean of its n-gram rows alone (:meth:`Subwords.vectors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from w2v_nce.errors import UsageError

DEFAULT_BUCKETS = 2_000_000  # fastText's -bucket
FASTTEXT_RANGE = (3, 6)  # fastText's -minn, -maxn
END_OF_SENTENCE = "</s>"  # fastText's EOS word: it has no n-grams


@dataclass(frozen=True)
class Table:
    """The n-gram rows of a list of words: word i's are rows[starts[i]:starts[i + 1]]."""

    starts: np.ndarray  # int64 words + 1
    rows: np.ndarray  # int32: bucket ids

    def of(self, i: int) -> np.ndarray:
        return self.rows[self.starts[i] : self.starts[i + 1]]


@dataclass(frozen=True)
class Subwords:
    """The n-gram lengths ``minn``..``maxn`` and the number of ``buckets``."""

    minn: int
    maxn: int
    buckets: int

    @classmethod
    def parse(cls, text: str, buckets: int = DEFAULT_BUCKETS) -> Subwords:
        """``"3-6"`` (or one length, ``"4"``) and a bucket count; a UsageError if malformed."""
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(text))
        if not match:
            raise UsageError(
                f"--subwords takes MIN-MAX, the n-gram lengths (fastText's is 3-6), not {text!r}"
            )
        minn = int(match[1])
        maxn = int(match[2]) if match[2] else minn
        if not 1 <= minn <= maxn:
            raise UsageError(f"--subwords {text}: need 1 <= MIN <= MAX (fastText's is 3-6)")
        if buckets < 1:
            raise UsageError(f"--buckets must be at least 1, not {buckets}")
        return cls(minn, maxn, int(buckets))

    def __str__(self) -> str:
        return f"{self.minn}-{self.maxn}"

    def table(self, words) -> Table:
        """The n-gram ids of every word of ``words`` (computed once, in compiled code)."""
        from w2v_nce.kernels.ngrams import ngram_table

        framed = [f"<{word}>".encode() for word in words]
        offsets = np.zeros(len(framed) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in framed], out=offsets[1:])
        data = np.frombuffer(b"".join(framed), dtype=np.uint8) if framed else np.zeros(0, np.uint8)
        skip = np.array([word == END_OF_SENTENCE for word in words], dtype=np.bool_)
        starts, rows = ngram_table(data, offsets, skip, self.minn, self.maxn, self.buckets)
        return Table(starts, rows)

    def ngram_ids(self, word: str) -> np.ndarray:
        """One word's n-gram ids (bucket rows), in fastText's order."""
        return self.table([word]).rows

    def ngrams(self, word: str) -> list[str]:
        """One word's n-grams as strings, in the order of :meth:`ngram_ids`."""
        framed = f"<{word}>"
        if word == END_OF_SENTENCE:
            return []
        return [
            framed[i : i + n]
            for i in range(len(framed))
            for n in range(1, self.maxn + 1)
            if i + n <= len(framed)
            and n >= self.minn
            and not (n == 1 and (i == 0 or i + n == len(framed)))
        ]

    def bucket_matrix_bytes(self, dim: int) -> int:
        """The bucket matrix's size (float32), for the memory estimate."""
        return self.buckets * dim * 4

    def vectors(self, words, index, input, buckets) -> np.ndarray:
        """The vectors of ``words`` (float32 len × dim): a word of the vocabulary
        (``index``: word -> row of ``input``) the mean of its row and its n-gram rows,
        any other word the mean of its n-gram rows (zero if it has none)."""
        from w2v_nce.kernels.ngrams import compose

        words = list(words)
        table = self.table(words)
        ids = np.array([index.get(word, -1) for word in words], dtype=np.int64)
        out = np.empty((len(words), input.shape[1]), dtype=np.float32)
        compose(input, buckets, ids, table.starts, table.rows, out)
        return out

    def config(self) -> dict:
        """What a model's config records (``minn``, ``maxn``, ``buckets``)."""
        return {"minn": self.minn, "maxn": self.maxn, "buckets": self.buckets}

    @classmethod
    def from_config(cls, config: dict) -> Subwords | None:
        """The subwords a model's config records, or None."""
        if not config.get("subwords"):
            return None
        sub = config["subwords"]
        return cls(int(sub["minn"]), int(sub["maxn"]), int(sub["buckets"]))
