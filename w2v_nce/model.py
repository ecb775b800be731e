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
