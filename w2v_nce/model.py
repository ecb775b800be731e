"""The trained model: vocabulary, counts, both embedding matrices and the config.

Direction convention (the same as word2vec.c and gensim): for a centre word at
position i and a context word at position j of its window, the pair trains the
*input* row of the context word against the *output* row of the centre word.
``input`` is what we export as "the word vectors"; ``output`` is word2vec's
``syn1neg``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

NPZ_KEYS = ("vocab", "counts", "input", "output", "config")


def unigram_log_prior(counts) -> np.ndarray:
    """log P(c) = log(count(c) / Σ count) as float64."""
    counts = np.asarray(counts, dtype=np.float64)
    return np.log(counts / counts.sum())


@dataclass
class Model:
    vocab: list[str]
    counts: np.ndarray  # int64, descending
    input: np.ndarray  # float32 V x d: exported vectors (u_w)
    output: np.ndarray  # float32 V x d: output vectors (v_c)
    config: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.input.shape[1])

    def output_bias(self) -> np.ndarray:
        """b_c in the score s(w, c) = u_w·v_c + b_c, as float64.

        log P(c), the unigram log-probability from ``counts``, when the model was
        trained with the unigram base measure (``config["base"] == "unigram"``);
        zero otherwise. It is not stored: ``counts`` determines it.
        """
        if self.config.get("base") == "unigram":
            return unigram_log_prior(self.counts)
        return np.zeros(len(self.vocab), dtype=np.float64)

    def scores(self, rows) -> np.ndarray:
        """s(w, c) for the input rows ``rows`` against every c (float64)."""
        u = np.asarray(self.input[rows], dtype=np.float64)
        return u @ self.output.T.astype(np.float64) + self.output_bias()

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}

    def to_npz_arrays(self) -> dict[str, np.ndarray]:
        return {
            "vocab": np.array(self.vocab, dtype=str),
            "counts": np.asarray(self.counts, dtype=np.int64),
            "input": np.asarray(self.input, dtype=np.float32),
            "output": np.asarray(self.output, dtype=np.float32),
            "config": np.array(json.dumps(self.config, sort_keys=True)),
        }

    @classmethod
    def from_npz_arrays(cls, arrays) -> Model:
        return cls(
            vocab=[str(w) for w in arrays["vocab"]],
            counts=np.asarray(arrays["counts"], dtype=np.int64),
            input=np.asarray(arrays["input"], dtype=np.float32),
            output=np.asarray(arrays["output"], dtype=np.float32),
            config=json.loads(str(arrays["config"])),
        )
