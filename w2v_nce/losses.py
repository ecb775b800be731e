"""One record per loss: the only place that switches on a loss's name.

Everything that differs between the losses -- which kernel step scores the hidden
vector, the logit offset, the default base measure, how p(c|w) is read from the
score, what the PMI check expects the score to learn, how many threads the
trainer uses, how much memory a thread needs -- is a field of the loss's
:class:`Loss` record, so code elsewhere asks the record instead of comparing
names, and a new loss is one more record (fastText's ``createLoss``).

The kernels see only the integer ``output`` of the record (which output step to
run: :data:`NOISE`, :data:`SAMPLED_SOFTMAX`, :data:`TREE`, or the batched
:data:`FULL_SOFTMAX`) and the per-word offsets it computes.

Importing this module costs nothing (numpy is imported inside the functions that
need it): the command line's ``--help`` reads the names and help texts from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kernels.steps import CBOW, FULL_SOFTMAX, NOISE, SAMPLED_SOFTMAX, SKIPGRAM, TREE  # noqa: F401

# How p(c|w) is read from the model's score s(w, c) (see Model.log_probs).
SELF = "self"  # exp(s) as it is: the model claims to be self-normalised (NCE)
SOFTMAX = "softmax"  # the softmax of s over the vocabulary: the model's distribution
READING = "reading"  # the softmax of s over the vocabulary, but not a normalised model
TREE_PATH = "tree"  # the product of the binary decisions along the Huffman path: exact


@dataclass(frozen=True)
class Loss:
    name: str
    help: str
    output: int  # kernel output step
    uses_k: bool  # draws k noise words (else -k is ignored)
    skip_positive: bool  # drop a noise draw equal to the positive (word2vec/gensim's rule)
    default_base: str  # "unigram" or "none" for --base auto
    base_allowed: bool  # whether a unigram base measure makes sense for the score at all
    shares_noise: bool  # --share-negatives applies
    noise_offset: str  # what the logit subtracts besides the base: "", "log_kq" or "log_q"
    distribution: str  # SELF, SOFTMAX, READING or TREE_PATH
    target: str  # what the PMI check compares the score with (its name)
    formula: str  # ... and its formula
    centred: bool  # score and target compared after centring each row
    batched: bool  # one block at a time, its batches threaded over vocabulary tiles
    loss_printed: str  # what the progress bar's loss means

    @property
    def normalised(self) -> bool:
        """p(c|w) is the model's own distribution (not a reading of unnormalised scores)."""
        return self.distribution != READING

    def resolved_base(self, base: str) -> str:
        return self.default_base if base == "auto" else base

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
        return 1 if self.batched else threads


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            name="neg",
            help="word2vec negative sampling",
            output=NOISE,
            uses_k=True,
            skip_positive=True,
            default_base="none",
            base_allowed=True,
            shares_noise=True,
            noise_offset="",
            distribution=READING,
            target="shifted PMI",
            formula="log(P(c|w) / q(c)) - log k",
            centred=False,
            batched=False,
            loss_printed="the binary loss of the positive and its k noise words",
        ),
        Loss(
            name="nce",
            help="noise-contrastive estimation (Z = 1)",
            output=NOISE,
            uses_k=True,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            shares_noise=True,
            noise_offset="log_kq",
            distribution=SELF,
            target="log P(c|w)",
            formula="log(#(w,c) / #(w))",
            centred=False,
            batched=False,
            loss_printed="the data-against-noise cross-entropy of the positive and k noise words",
        ),
        Loss(
            name="softmax",
            help="exact full softmax",
            output=FULL_SOFTMAX,
            uses_k=False,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            shares_noise=False,
            noise_offset="",
            distribution=SOFTMAX,
            target="row-centred log P(c|w)",
            formula="log P(c|w) - mean over the row",
            centred=True,
            batched=True,
            loss_printed="the cross-entropy -log p(c|w) over the vocabulary",
        ),
        Loss(
            name="infonce",
            help="sampled softmax over the positive and k noise words",
            output=SAMPLED_SOFTMAX,
            uses_k=True,
            skip_positive=False,
            default_base="unigram",
            base_allowed=True,
            shares_noise=False,
            noise_offset="log_q",
            distribution=SOFTMAX,
            target="row-centred log P(c|w)",
            formula="log P(c|w) - mean over the row",
            centred=True,
            batched=False,
            loss_printed="the (k+1)-way cross-entropy",
        ),
        Loss(
            name="hs",
            help="word2vec hierarchical softmax (a Huffman tree; exactly normalised)",
            output=TREE,
            uses_k=False,
            skip_positive=False,
            default_base="none",
            base_allowed=False,
            shares_noise=False,
            noise_offset="",
            distribution=TREE_PATH,
            target="log P(c|w)",
            formula="log(#(w,c) / #(w))",
            centred=False,
            batched=False,
            loss_printed="-log p(c|w), summed along the path",
        ),
    )
}
LOSS_NAMES = tuple(LOSSES)

# The models that build the hidden vector the loss scores.
MODELS = ("skipgram", "cbow")
DEFAULT_ALPHA = {"skipgram": 0.025, "cbow": 0.05}  # word2vec.c's defaults
# Consecutive centre words that share one set of noise draws (kernels.block.group_step),
# by loss; 1 for the others. Measured on bench-dev, 1 thread, 1M tokens: nce k = 25 ran
# 23 GFLOP/s with 1, 34 with 4; WordSim-353 and analogy moved less than a change of seed
# does. neg keeps word2vec's draws per centre word (with 4, analogy was ~0.005 lower
# over three seeds).
DEFAULT_NOISE_GROUP = {"nce": 4}


def get(name: str) -> Loss:
    """The record of loss ``name`` (a KeyError means a bug: options are validated first)."""
    return LOSSES[name]
