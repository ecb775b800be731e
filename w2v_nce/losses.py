"""One record per loss: everything that differs between the losses.

Which kernel step scores the hidden vector (and so whether a Huffman tree is
built, how many output rows a step scores, whether the run is the batched full
softmax with its vocabulary cost), the logit offset, the default base measure
and noise group, how p(c|w) is read from the score and what a reader is told
about it, what the PMI check expects the score to learn, gensim's name for the
loss, how a figure draws it, how many threads the trainer uses -- each is a
field, property or method of the loss's :class:`Loss` record. Code elsewhere asks
the record instead of comparing names (``tests/test_structure_losses.py`` fails
on such a comparison outside this module and the kernels' dispatch), and a new
loss is one more record (fastText's ``createLoss``).

The kernels see only the integer ``step`` of the record (which output step to
run: :data:`NOISE`, :data:`SAMPLED_SOFTMAX`, :data:`TREE`, :data:`TRIPLET`, :data:`DRLIM`,
or the batched :data:`FULL_SOFTMAX`), the per-word offsets it computes, and the
contrastive family's scalars (similarity, temperature, margin, mining) resolved from
the record's defaults.

Importing this module costs nothing (numpy is imported inside the functions that
need it): the command line's ``--help`` reads the names and help texts from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from w2v_nce.kernels.steps import (  # noqa: F401
    CBOW,
    DRLIM,
    FULL_SOFTMAX,
    NOISE,
    SAMPLED_SOFTMAX,
    SKIPGRAM,
    TREE,
    TRIPLET,
)

# Bound on a Huffman path's length, for the memory estimate: the output rows a tree
# step scores at most (word2vec.c's MAX_CODE_LENGTH is 40).
MAX_TREE_DEPTH = 64


@dataclass(frozen=True)
class Distribution:
    """How p(c|w) is read from a model's score s(w, c) (see Model.log_probs), and
    what ``most-similar --by context`` and ``keywords`` tell the reader about it."""

    renormalise: bool  # p(c|w) is the softmax of s over the vocabulary (else exp(s) as it is)
    normalised: bool  # that p(c|w) is the model's own distribution, not a reading of its scores
    header: str  # the p(c|w) column's header in ``most-similar --by context``
    # the score is a log-probability up to a constant (else a ranking or a distance only:
    # keywords and the PMI check refuse, most-similar --by context ranks with a note)
    probabilities: bool = True

    def note(self, model: str) -> str | None:
        """The note that ``model``'s p(c|w) is only a reading of its scores (None if it is not)."""
        if self.normalised:
            return None
        if not self.probabilities:
            return (
                f"{model} learns a ranking of the contexts, not probabilities: the column "
                "orders them by score (the softmax of the scores), its values are no p(c|w)"
            )
        return (
            f"{model} is not a normalised model: its p(c|w) here is a reading (the softmax "
            "of its scores over the vocabulary), not the model's own distribution"
        )


# The four readings: a table of records, alike in shape on purpose (like LOSSES).
# exp(s) as it is: the model claims to be self-normalised (NCE)
SELF = Distribution(
    renormalise=False,
    normalised=True,
    header="p(c|w) = exp(score), NCE's self-normalised model (not renormalised)",
)
# the softmax of s over the vocabulary: the model's distribution
SOFTMAX = Distribution(
    renormalise=True,
    normalised=True,
    header="p(c|w) = softmax of the score over the vocabulary (exactly normalised)",
)
# the softmax of s over the vocabulary, but not a normalised model
READING = Distribution(
    renormalise=True,
    normalised=False,
    header="p(c|w) = softmax of the score over the vocabulary (a reading: not a normalised model)",
)
# the product of the binary decisions along the Huffman path: exact
TREE_PATH = Distribution(
    renormalise=False,
    normalised=True,
    header="p(c|w) = exp(score), the product along c's Huffman path (exact)",
)
# triplet and contrastive: a ranking (or a distance), no probabilities at all
RANKING = Distribution(
    renormalise=True,
    normalised=False,
    header="softmax of the score over the vocabulary (a ranking only: no probabilities)",
    probabilities=False,
)


@dataclass(frozen=True)
class Loss:
    name: str
    help: str
    step: int  # the kernel's output step: NOISE, SAMPLED_SOFTMAX, TREE or FULL_SOFTMAX
    uses_k: bool  # draws k noise words (else -k is ignored)
    skip_positive: bool  # drop a noise draw equal to the positive (word2vec/gensim's rule)
    default_base: str  # "unigram" or "none" for --base auto
    base_allowed: bool  # whether a unigram base measure makes sense for the score at all
    no_base: str  # ... and why not, for the usage error ("" when it does)
    share_negatives: bool  # --share-negatives applies
    default_noise_group: int  # centre words sharing one set of draws (with --share-negatives)
    noise_offset: str  # what the logit subtracts besides the base: "", "log_kq" or "log_q"
    distribution: Distribution  # SELF, SOFTMAX, READING, TREE_PATH or RANKING
    score: str  # what the model's score s(w, c) is, as a figure labels it
    target: str  # what the PMI check compares the score with (its name)
    formula: str  # ... and its formula
    centred: bool  # score and target compared after centring each row
    loss_printed: str  # what the reported loss is (the training summary says it)
    gensim_name: str  # the loss gensim's Word2Vec trains in its place (``compare``)
    plot_style: tuple[str, str, str]  # label, line style and colour in a figure
    # The contrastive family's options (kernels.contrastive): the similarities
    # --similarity may name (the first is the default), which of --temperature, --margin
    # and --mining apply, and the defaults (the margin's per similarity).
    similarities: tuple[str, ...] = ("dot",)
    options: tuple[str, ...] = ()
    default_temperatures: tuple[tuple[str, float], ...] = ()  # per similarity (else 1)
    default_margins: tuple[tuple[str, float], ...] = ()
    default_mining: str = "all"
    noise_groups: bool = False  # a step can score several centre words against one set

    default_alpha_factors: tuple[tuple[str, float], ...] = ()  # of word2vec.c's alpha

    def default_temperature(self, similarity: str) -> float:
        return dict(self.default_temperatures).get(similarity, 1.0)

    def default_margin(self, similarity: str) -> float:
        return dict(self.default_margins).get(similarity, 1.0)

    def alpha_factor(self, similarity: str) -> float:
        """The default learning rate at ``similarity``, as a factor of word2vec.c's."""
        return dict(self.default_alpha_factors).get(similarity, 1.0)

    @property
    def tree(self) -> bool:
        """Scores along a Huffman tree: the model holds the tree, and its output rows
        are the V − 1 inner nodes, not one per word."""
        return self.step == TREE

    @property
    def full_softmax(self) -> bool:
        """Every step scores the whole vocabulary: the exact softmax, the maximum-likelihood
        reference of the others. Its run is batched (one block at a time, its batches
        threaded over vocabulary tiles), costs O(V·dim) per example, and needs a batch × V
        score matrix per thread."""
        return self.step == FULL_SOFTMAX

    @property
    def normalised(self) -> bool:
        """p(c|w) is the model's own distribution (not a reading of unnormalised scores)."""
        return self.distribution.normalised

    def outputs_per_step(self, k: int, noise_group: int, vocab_size: int) -> int:
        """The output rows one step scores: at most a Huffman path for the tree, the whole
        vocabulary for the full softmax, else the noise group's positives and their k draws."""
        if self.tree:
            return MAX_TREE_DEPTH
        if self.full_softmax:
            return vocab_size
        return k + noise_group

    def resolved_base(self, base: str) -> str:
        return self.default_base if base == "auto" else base

    def pmi_target(self, log_p, q, k: int):
        """What the score should learn from log P(c|w) (and q(c), k): log P(c|w), or for
        a loss that is not a normalised model the shifted PMI log(P(c|w)/q(c)) − log k
        (Levy & Goldberg 2014); the caller centres the rows of a ``centred`` loss."""
        if self.normalised:
            return log_p
        self.require_probabilities("the PMI check")
        import numpy as np

        return log_p - np.log(q) - math.log(k)

    def require_probabilities(self, what: str) -> None:
        """A UserError if the model's scores are no log-probabilities (a ranking or a
        distance: triplet, contrastive), for ``what`` needs them."""
        if not self.distribution.probabilities:
            from w2v_nce.errors import UserError

            raise UserError(
                f"{what} needs probabilities, and a {self.name} model learns a ranking of "
                "the contexts (scores with a margin), not p(c|w); use a neg, nce, infonce, "
                "softmax or hs model"
            )

    def offsets(self, k: int, q, log_prior):
        """What the loss subtracts from u·v to get its logit, per output word x (float32).

        With the unigram base measure the model's score is s(w, x) = u·v + b_x,
        b_x = log P(x) (``log_prior``; None for no base), so every offset also
        subtracts b_x: the logit is s(w, x) for neg and softmax, the log-odds
        D(w, x) = s(w, x) − log(k q(x)) for nce, s(w, x) − log q(x) for infonce.
        """
        import numpy as np

        q = np.asarray(q, dtype=np.float64)
        offset = np.zeros(q.size)
        if self.noise_offset == "log_kq":
            offset = np.log(k * q)
        elif self.noise_offset == "log_q":
            offset = np.log(q)
        if log_prior is not None:
            offset = offset - np.asarray(log_prior, dtype=np.float64)
        return offset.astype(np.float32)

    def pool_size(self, threads: int) -> int:
        """Worker threads for the blocks.

        The full softmax runs its blocks one at a time, each batch threaded over
        tiles of the vocabulary (``kernels.softmax``): every batch updates every
        output row, so Hogwild over batches would have every thread writing every
        row; measured on 2 cores it was also about half as fast.
        """
        return 1 if self.full_softmax else threads


# The records look alike on purpose: each is the table's row for one loss, every field
# written out so that a reader sees a loss whole (duplicates lists them as a pair).
LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            name="neg",
            help="word2vec negative sampling",
            step=NOISE,
            uses_k=True,
            skip_positive=True,
            default_base="none",
            base_allowed=True,
            no_base="",
            share_negatives=True,
            # word2vec's draws per centre word (with 4, analogy was ~0.005 lower over
            # three seeds)
            default_noise_group=1,
            noise_offset="",
            distribution=READING,
            score="u_w · v_c + b_c",
            target="shifted PMI",
            formula="log(P(c|w) / q(c)) - log k",
            centred=False,
            loss_printed="the binary loss of the positive and its k noise words",
            gensim_name="neg",
            plot_style=("negative sampling", "-.", "grey"),
            noise_groups=True,
        ),
        Loss(
            name="nce",
            help="noise-contrastive estimation (Z = 1)",
            step=NOISE,
            uses_k=True,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            no_base="",
            share_negatives=True,
            # Measured on bench-dev, 1 thread, 1M tokens: k = 25 ran 23 GFLOP/s with 1,
            # 34 with 4; WordSim-353 and analogy moved less than a change of seed does.
            default_noise_group=4,
            noise_offset="log_kq",
            distribution=SELF,
            score="u_w · v_c + b_c",
            target="log P(c|w)",
            formula="log(#(w,c) / #(w))",
            centred=False,
            loss_printed="the data-against-noise cross-entropy of the positive and k noise words",
            gensim_name="neg",
            plot_style=("NCE", "-", "C0"),
            noise_groups=True,
        ),
        Loss(
            name="softmax",
            help="exact full softmax",
            step=FULL_SOFTMAX,
            uses_k=False,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            no_base="",
            share_negatives=False,
            default_noise_group=1,
            noise_offset="",
            distribution=SOFTMAX,
            score="u_w · v_c + b_c",
            target="row-centred log P(c|w)",
            formula="log P(c|w) - mean over the row",
            centred=True,
            loss_printed="the cross-entropy -log p(c|w) over the vocabulary",
            gensim_name="neg",
            plot_style=("exact softmax", "--", "black"),
        ),
        Loss(
            name="infonce",
            help="sampled softmax over the positive and k noise words",
            step=SAMPLED_SOFTMAX,
            uses_k=True,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            no_base="",
            # its contexts share one set of draws, as neg's do: one block per centre word
            # instead of one per pair (measured 0.4× neg's words/s without; see docs/losses.md)
            share_negatives=True,
            default_noise_group=1,
            noise_offset="log_q",
            distribution=SOFTMAX,
            score="u_w · v_c + b_c",
            target="row-centred log P(c|w)",
            formula="log P(c|w) - mean over the row",
            centred=True,
            loss_printed="the (k+1)-way cross-entropy",
            gensim_name="neg",
            plot_style=("InfoNCE", "-", "C1"),
            similarities=("dot", "cosine", "euclidean"),
            options=("similarity", "temperature"),
            # τ = 1 keeps the dot product's InfoNCE as it was; a cosine lies in [−1, 1],
            # so its logits need a small τ (SimCLR/CPC's 0.05–0.2)
            default_temperatures=(("dot", 1.0), ("cosine", 0.1), ("euclidean", 1.0)),
        ),
        Loss(
            name="hs",
            help="word2vec hierarchical softmax (a Huffman tree; exactly normalised)",
            step=TREE,
            uses_k=False,
            skip_positive=False,
            default_base="none",
            base_allowed=False,
            no_base="scores inner nodes of a tree, not words: it takes no base measure",
            share_negatives=False,
            default_noise_group=1,
            noise_offset="",
            distribution=TREE_PATH,
            score="log p(c|w) along the tree",
            target="log P(c|w)",
            formula="log(#(w,c) / #(w))",
            centred=False,
            loss_printed="-log p(c|w), summed along the path",
            gensim_name="hs",
            plot_style=("hierarchical softmax", ":", "grey"),
        ),
        Loss(
            name="triplet",
            help="triplet hinge: the positive above each (mined) noise word by --margin",
            step=TRIPLET,
            uses_k=True,
            skip_positive=True,
            default_base="none",
            base_allowed=False,
            no_base="learns a margin between scores: a per-word offset would break it",
            share_negatives=True,
            default_noise_group=1,
            noise_offset="",
            distribution=RANKING,
            score="s(u_w, v_c): --similarity",
            target="a ranking (no PMI target)",
            formula="-",
            centred=False,
            loss_printed="the hinge sum over the mined noise words",
            gensim_name="neg",
            plot_style=("triplet", "--", "C2"),
            similarities=("dot", "cosine", "euclidean"),
            options=("similarity", "margin", "mining"),
            default_margins=(("dot", 1.0), ("cosine", 0.5), ("euclidean", 1.0)),
            default_alpha_factors=(("euclidean", 0.1),),
        ),
        Loss(
            name="contrastive",
            help="DrLIM: positives pulled in, noise words pushed beyond --margin",
            step=DRLIM,
            uses_k=True,
            skip_positive=True,
            default_base="none",
            base_allowed=False,
            no_base="learns distances with a margin: a per-word offset would break it",
            share_negatives=True,
            default_noise_group=1,
            noise_offset="",
            distribution=RANKING,
            score="-|u_w - v_c|",
            target="a distance (no PMI target)",
            formula="-",
            centred=False,
            loss_printed="½d² of the positive plus ½max(0, M - d)² of each noise word",
            gensim_name="neg",
            plot_style=("contrastive (DrLIM)", ":", "C3"),
            similarities=("euclidean",),
            options=("margin",),
            default_margins=(("euclidean", 1.0),),
        ),
    )
}
LOSS_NAMES = tuple(LOSSES)

# The models that build the hidden vector the loss scores.
MODELS = ("skipgram", "cbow")
DEFAULT_ALPHA = {"skipgram": 0.025, "cbow": 0.05}  # word2vec.c's defaults


def get(name: str) -> Loss:
    """The record of loss ``name`` (a KeyError means a bug: options are validated first)."""
    return LOSSES[name]


def per_loss(value_of, among=None, sep: str = ", ") -> str:
    """A per-loss value as help text: the losses (``among``, else all) grouped by value,
    the largest value first: ``4 for nce, 1 for neg``."""
    groups: dict = {}
    for loss in LOSSES.values() if among is None else among:
        groups.setdefault(value_of(loss), []).append(loss.name)
    return sep.join(
        f"{value} for {', '.join(names)}" for value, names in sorted(groups.items(), reverse=True)
    )


def distribution_of(loss: Loss | None) -> Distribution:
    """How p(c|w) is read for a model of ``loss``; a model whose loss is unknown (None)
    is read as the softmax of its scores, a reading."""
    return loss.distribution if loss is not None else READING


def reading_note(loss: Loss | None) -> str | None:
    """The note that a model of ``loss`` is not normalised, so the p(c|w) that
    ``keywords`` and ``most-similar --by context`` read from it is only a reading."""
    return distribution_of(loss).note(f"a {loss.name} model" if loss else "this model")


def gensim_native(tree: bool) -> Loss:
    """The loss gensim's Word2Vec trains itself: with ``hs=1`` the tree, else negative sampling."""
    return next(
        loss for loss in LOSSES.values() if loss.gensim_name == loss.name and loss.tree == tree
    )
