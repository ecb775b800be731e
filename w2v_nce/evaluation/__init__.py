"""Evaluation of trained embeddings: what ``w2v-nce evaluate`` and ``compare`` report.

``cosine``    WordSim-353, SimLex-999 and Google analogies, gensim's conventions
``pmi``       co-occurrence counts and the score against the loss's optimum
``context``   context neighbours: words ranked by u_w·v_c, with p(c|w)
``baseline``  gensim's Word2Vec on the same corpus and settings, neighbour overlap
``bootstrap`` 95% percentile intervals of those scores, and of two models' difference
``geometry``  alignment and uniformity of the unit input vectors (Wang & Isola 2020)

:func:`evaluate_embeddings` combines the first two into the report both commands
print; the correlations they share are in :mod:`.stats`.
Submodules are imported when used, so importing this package is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from w2v_nce.errors import UsageError

BENCHMARK_KEYS = ("ws353", "simlex999", "analogy")  # each with _ci and _oov
JSON_KEYS = (
    *(f"{key}{part}" for key in BENCHMARK_KEYS for part in ("", "_ci", "_oov")),
    "pmi",
)


@dataclass
class Evaluation:
    scores: dict  # ws353, ws353_ci, ws353_oov ... analogy_oov
    pmi: object | None = None  # pmi.PmiResult
    counts_match: bool | None = None  # the corpus's counts equal the model's
    extra_pairs: dict = field(default_factory=dict)  # --pairs FILE -> {spearman, ci, oov}
    items: dict = field(default_factory=dict)  # BENCHMARK_KEYS -> cosine.PairsScore/AnalogyScore
    notes: list = field(default_factory=list)  # what the reader should know (evaluate_model)
    geometry: object | None = None  # geometry.Geometry (evaluate_model with a corpus)

    def as_json(self) -> dict:
        """Exactly the keys of JSON_KEYS, plus ``pairs`` when extra pair files were given
        and alignment, uniformity and their ``_ci`` when a corpus was."""
        out = {key: self.scores[key] for key in JSON_KEYS[:-1]}
        out["pmi"] = None if self.pmi is None else self.pmi.as_json()
        if self.extra_pairs:
            out["pairs"] = self.extra_pairs
        if self.geometry is not None:
            out.update(self.geometry.as_json())
        return out

    def differences(self, other: Evaluation) -> dict:
        """Per benchmark, ``{"diff", "ci"}``: this score minus ``other``'s, paired bootstrap.

        Both models are scored on the same resampled pairs or questions (see
        :mod:`bootstrap`), so ``ci`` excluding 0 means the data set resolves the
        difference.
        """
        return {key: self.items[key].difference(other.items[key]) for key in BENCHMARK_KEYS}


def evaluate_embeddings(
    words: Sequence[str],
    vectors: np.ndarray,
    model=None,
    chunks: Iterable[np.ndarray] | None = None,
    pmi_top: int = 3000,
    pmi_min_count: float = 20,
    pairs_files: Sequence[str] = (),
    analogies_file: str | None = None,
    oov=None,
) -> Evaluation:
    """Cosine scores of ``vectors``; PMI fidelity too when ``model`` and ``chunks`` are given.

    ``chunks`` are the corpus as ids in ``model.vocab`` order (see
    :func:`pmi.encode_with_vocab`), each ending at a sentence end. ``oov`` gives words
    out of the vocabulary a vector (a subword model's :meth:`Model.vectors_of`).
    """
    from w2v_nce.evaluation.cosine import cosine_scores

    pmi = counts_match = None
    if model is not None and chunks is not None:  # first: a bad corpus fails fast
        from w2v_nce.evaluation.pmi import model_pmi

        pmi, cooc = model_pmi(model, chunks, pmi_top, pmi_min_count)
        counts_match = bool(np.array_equal(cooc.unigrams, model.counts))
    scores, extra, items = cosine_scores(words, vectors, pairs_files, analogies_file, oov)
    return Evaluation(scores, pmi, counts_match, extra, items)


def model_of(model):
    """``model`` if it is a :class:`~w2v_nce.model.Model`, else the model at that path,
    loaded as ``w2v-nce evaluate MODEL`` loads it (a .npz, or a word2vec file's vectors)."""
    from w2v_nce.model import Model, load

    if isinstance(model, Model):
        return model
    if isinstance(model, str | os.PathLike):
        return load(model)
    from w2v_nce.query import a_type

    raise UsageError(
        "w2v_nce.evaluate takes a Model or the path of a model file (str or Path), "
        f"not {a_type(model)}"
    )


def evaluate_model(model, corpus=None, **options) -> Evaluation:
    """What ``w2v-nce evaluate`` computes for a :class:`~w2v_nce.model.Model` (or the path
    of one, see :func:`model_of`).

    ``corpus`` (a path) adds the PMI check, which needs the output vectors, and
    alignment and uniformity, counted in the same pass. ``options`` are
    :data:`~w2v_nce.params.EVALUATE_OPTIONS` (pairs, analogies, pmi_top, pmi_min_count,
    encoding_errors), checked here with the table's checks so that the command line
    and the API refuse the same values with the same message. What the reader should
    know about the result (subsampling, a CBOW model, a corpus that is not the model's)
    is in ``notes``.
    """
    from w2v_nce.evaluation.cosine import require_files
    from w2v_nce.params import EVALUATE_OPTIONS, check_options

    given = check_options(options, EVALUATE_OPTIONS)  # before loading a model, which takes time
    options = {name: given.get(name, param.default) for name, param in EVALUATE_OPTIONS.items()}
    pairs, analogies = options["pairs"], options["analogies"]
    require_files([*pairs, *([analogies] if analogies else [])])  # not after the corpus pass
    model = model_of(model)
    encoding_errors = options["encoding_errors"]
    chunks = geometry = None
    notes = []
    if corpus is not None:
        from w2v_nce.evaluation.pmi import encode_with_vocab

        model.require_output("the PMI check (--corpus)")
        sample = float(model.config.get("sample", 0) or 0)
        if sample > 0:
            notes.append(subsampling_note(sample))
        if model.config.get("model") == "cbow":
            notes.append(
                "a CBOW model predicts the centre word from the mean of its window, so its "
                "optimum is not a function of the pair counts: the PMI targets, skip-gram's, "
                "are only a reference"
            )
        chunks = encode_with_vocab(corpus, model.vocab, encoding_errors)
        if "window" in model.config:  # else the PMI check says what the config lacks
            from w2v_nce.evaluation.geometry import GeometryCounter

            geometry = GeometryCounter(int(model.config["window"]), len(model.vocab))
            chunks = geometry.watch(chunks)
    ranking = model.loss is not None and not model.loss.distribution.probabilities
    if ranking and chunks is not None:  # no PMI check: the pass only counts the geometry
        notes.append(
            f"a {model.loss.name} model learns a ranking (scores with a margin), not "
            "probabilities: no PMI check or log Z for it"
        )
        for _ in chunks:
            pass
        chunks = None
    result = evaluate_embeddings(
        model.vocab,
        model.vectors,
        model if model.output is not None else None,
        chunks,
        options["pmi_top"],
        options["pmi_min_count"],
        pairs,
        analogies,
        model.oov_vectors if model.subwords is not None else None,
    )
    if result.counts_match is False:
        notes.append(
            f"the word counts in {corpus} differ from the model's: is it the corpus the "
            "model was trained on?"
        )
    result.notes = notes
    if geometry is not None:
        result.geometry = geometry.result(model.vectors)
    return result


def subsampling_note(sample: float) -> str:
    return (
        f"the model was trained with --sample {sample:g}: subsampling changes the "
        "co-occurrences training saw, so the PMI targets (counted without it) are only "
        "approximate; train with --sample 0 for the theory check"
    )
