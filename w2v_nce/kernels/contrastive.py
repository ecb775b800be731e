"""The coefficient steps of the contrastive family: triplet, contrastive (DrLIM) and
InfoNCE with a similarity and a temperature (docs: design.md section 9).

They plug into the block kernel as the logistic and row-softmax steps do: a block
of hidden rows h_j against ``width`` gathered candidate rows v_b (column 0 the
positive, columns 1.. the noise draws), logits[j·width + b] = h_j·v_b − offset_b.
A similarity other than the dot product also moves a vector along itself, so every
gradient here has the form

    ∂L/∂h_j = Σ_b a_jb v_b + c_j h_j,    ∂L/∂v_b = Σ_j a_jb h_j + e_b v_b,

and a step fills, besides the usual coefficients lr·(−a_jb), a self coefficient per
hidden row, lr·(−c_j), and one per candidate, lr·(−e_b) (all 0 for the dot product).
Each loss only says dL/ds for every similarity s_jb; :func:`chain` turns that into
(a, c, e) for every loss alike, from the raw products p = h·v and the squared norms:

* dot       s = p:                  a = g
* cosine    s = p/(|h||v|):         a = g/(|h||v|), c_j = −Σ_b g·s/|h|², e_b = −Σ_j g·s/|v|²
* euclidean s = −(|h|² − 2p + |v|²): a = 2g, c_j = −2 Σ_b g, e_b = −2 Σ_j g

(g = dL/ds). DrLIM's distance is the euclidean one: with s = −d², its
dL/d(d²) = w is g = −w, and ∂d²/∂h = 2(h − v) is the euclidean row above.

A step takes the block as :func:`score_block` leaves it (logits and the logit offsets)
and overwrites the logits with the similarities; cosine, euclidean and DrLIM read
the squared norms :func:`squared_norms` puts in the :class:`Terms` first (the dot
product needs none). The cosine's :func:`similarities` first turns each squared norm
into the inverse norm 1/|x|, everything its similarity and chain rule use: one square
root per row, not one per term (with 10 hidden rows and k = 5, 16 instead of 120).
The steps are not inlined: each runs once per block, and a
separate function keeps the training loop's compile time down (as ``mask_terms``).

A noise column whose candidate equals the positive is left out of triplet and
contrastive (word2vec's rule); InfoNCE keeps it, as :mod:`.rowsoftmax` does. One
centre word per block: column 0 is every row's positive (noise groups are not
supported by these steps).
"""

import math
from typing import NamedTuple

import numba
import numpy as np

from w2v_nce.kernels.rowsoftmax import softmax_coefficients
from w2v_nce.kernels.vecops import add_row, squared_norm

DOT, COSINE, EUCLIDEAN = 0, 1, 2  # Contrast.similarity
ALL, SEMI_HARD, HARD = 0, 1, 2  # Contrast.mining
SIMILARITIES = {"dot": DOT, "cosine": COSINE, "euclidean": EUCLIDEAN}
MININGS = {"all": ALL, "semi-hard": SEMI_HARD, "hard": HARD}
# The floor of a squared norm (cosine) and of a squared distance (DrLIM): a zero vector
# or two equal vectors give finite coefficients (the direction there is arbitrary).
EPSILON = np.float32(1e-8)
ZERO = np.float32(0.0)
HALF = np.float32(0.5)
TWO = np.float32(2.0)


class Contrast(NamedTuple):
    """The contrastive family's scalars (one struct: the steps stay at 8 arguments)."""

    similarity: int  # DOT, COSINE or EUCLIDEAN (triplet, infonce; DrLIM is euclidean)
    temperature: np.float32  # infonce: logits s/τ − offset
    margin: np.float32  # triplet, contrastive
    mining: int  # triplet: ALL, SEMI_HARD or HARD


def contrast(similarity="dot", temperature=1.0, margin=1.0, mining="all") -> Contrast:
    """A :class:`Contrast` from the option names (one numba type for every run)."""
    return Contrast(
        SIMILARITIES[similarity], np.float32(temperature), np.float32(margin), MININGS[mining]
    )


class Terms(NamedTuple):
    """A contrastive step's outputs and work space (rows indexed j − lo, like C's)."""

    coefficients: np.ndarray  # float32 ≥ m·width: C = lr·(−a), row after row (the block's)
    # |h_j|² and |v_b|² (squared_norms); for the cosine, 1/|h_j| and 1/|v_b| once
    # similarities has run (inverse_norms)
    hidden_norms: np.ndarray  # float32 rows_max
    row_norms: np.ndarray  # float32 width_max
    hidden_self: np.ndarray  # float32 rows_max: lr·(−c_j)
    row_self: np.ndarray  # float32 width_max: lr·(−e_b)


@numba.njit(inline="always", cache=True)
def new_terms(coefficients, rows_max, width_max):
    """Terms around the block's coefficient buffer, the rest zeroed."""
    return Terms(
        coefficients,
        np.zeros(rows_max, dtype=np.float32),
        np.zeros(width_max, dtype=np.float32),
        np.zeros(rows_max, dtype=np.float32),
        np.zeros(width_max, dtype=np.float32),
    )


@numba.njit(inline="always", fastmath=True, cache=True)
def squared_norms(hidden, lo, hi, rows, width, terms):
    """terms' |h_j|² for the rows lo..hi-1 of hidden and |v_b|² for the first ``width``
    rows of rows (padding columns are zero: they add nothing)."""
    for j in range(lo, hi):
        terms.hidden_norms[j - lo] = squared_norm(hidden, j)
    for b in range(width):
        terms.row_norms[b] = squared_norm(rows, b)


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def similarity(kind, product, hidden_norm, row_norm):
    """s(h, v) from p = h·v and the terms' norms: the squared norms (euclidean) or the
    inverse norms (cosine; see :func:`inverse_norms`), float32."""
    if kind == COSINE:
        return product * hidden_norm * row_norm
    if kind == EUCLIDEAN:
        squared = hidden_norm - TWO * product + row_norm
        return -(ZERO if ZERO > squared else squared)  # max(), see pairs.window_bounds
    return product


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def _inverse_norm(squared):
    larger = EPSILON if EPSILON > squared else squared  # max(), see pairs.window_bounds
    return np.float32(1.0) / np.float32(math.sqrt(larger))


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def inverse_norms(m, width, terms):
    """The terms' squared norms → 1/|x| (floored at EPSILON), in place: one square root
    per row of the block."""
    for j in range(m):
        terms.hidden_norms[j] = _inverse_norm(terms.hidden_norms[j])
    for b in range(width):
        terms.row_norms[b] = _inverse_norm(terms.row_norms[b])


@numba.njit(inline="always", fastmath=True, cache=True)
def similarities(logits, logit_offsets, m, width, kind, terms):
    """logits[j·width + b] = h_j·v_b − offset_b → s(h_j, v_b), in place (for the cosine
    the terms' squared norms become inverse norms first)."""
    if kind == COSINE:
        inverse_norms(m, width, terms)
    for j in range(m):
        for b in range(width):
            e = j * width + b
            product = logits[e] + logit_offsets[b]
            logits[e] = similarity(kind, product, terms.hidden_norms[j], terms.row_norms[b])


@numba.njit(inline="always", fastmath=True, cache=True, error_model="numpy")
def chain(kind, scores, m, width, terms):
    """terms.coefficients holds G = lr·(−dL/ds) per term, ``scores`` the similarities s:
    G becomes lr·(−a) in place and the self coefficients are filled (the chain rule of
    the module's table, for every loss; the cosine's from the inverse norms)."""
    coefficients, hidden_self, row_self = terms.coefficients, terms.hidden_self, terms.row_self
    for j in range(m):
        hidden_self[j] = ZERO
    for b in range(width):
        row_self[b] = ZERO
    if kind == DOT:
        return
    for j in range(m):
        inverse_h = terms.hidden_norms[j]  # (the cosine's; unused by the euclidean)
        total = ZERO
        for b in range(width):
            e = j * width + b
            g = coefficients[e]
            if kind == EUCLIDEAN:
                coefficients[e] = TWO * g
                total -= TWO * g
                row_self[b] -= TWO * g
            else:
                inverse_v = terms.row_norms[b]
                gs = g * scores[e]
                coefficients[e] = g * inverse_h * inverse_v
                total -= gs * inverse_h * inverse_h
                row_self[b] -= gs * inverse_v * inverse_v
        hidden_self[j] = total


@numba.njit(fastmath=True, cache=True, error_model="numpy")
def triplet_step(logits, logit_offsets, candidates, m, width, lr, contrast, terms):
    """Σ_n max(0, M − s_p + s_n) per hidden row over the mined noise columns n: ALL the
    violating ones; SEMI_HARD those with s_n < s_p < s_n + M, else the hardest
    (argmax s_n); HARD the hardest. Fills ``terms``; returns the block's loss (float64)."""
    similarities(logits, logit_offsets, m, width, contrast.similarity, terms)
    coefficients, margin, mining = terms.coefficients, contrast.margin, contrast.mining
    loss = 0.0
    for j in range(m):
        base = j * width
        positive = logits[base]
        hardest = -1
        top = ZERO
        for b in range(width):
            coefficients[base + b] = ZERO
            if b > 0 and candidates[b] != candidates[0]:
                if hardest < 0 or logits[base + b] > top:
                    hardest, top = b, logits[base + b]
        chosen = 0
        for b in range(1, width):
            if candidates[b] == candidates[0]:
                continue
            hinge = margin - positive + logits[base + b]
            if mining == ALL:
                pick = hinge > ZERO
            elif mining == SEMI_HARD:
                pick = logits[base + b] < positive and hinge > ZERO
            else:
                pick = b == hardest and hinge > ZERO
            if pick:
                loss += hinge
                coefficients[base + b] = -lr
                chosen += 1
        if mining == SEMI_HARD and chosen == 0 and hardest > 0:
            hinge = margin - positive + top
            if hinge > ZERO:
                loss += hinge
                coefficients[base + hardest] = -lr
                chosen = 1
        coefficients[base] = lr * np.float32(chosen)
    chain(contrast.similarity, logits, m, width, terms)
    return loss


@numba.njit(fastmath=True, cache=True, error_model="numpy")
def drlim_step(logits, logit_offsets, candidates, m, width, lr, contrast, terms):
    """DrLIM's contrastive loss, d = |h − v|: ½d² for the positive, ½·max(0, M − d)² for
    each noise column (``contrast.similarity`` is not used: d is euclidean). Fills
    ``terms``; returns the block's loss (float64)."""
    similarities(logits, logit_offsets, m, width, EUCLIDEAN, terms)  # s = −d²
    coefficients, margin = terms.coefficients, contrast.margin
    loss = 0.0
    for j in range(m):
        for b in range(width):
            e = j * width + b
            squared = -logits[e]
            w = ZERO  # dL/d(d²)
            if b == 0:
                loss += HALF * squared
                w = HALF
            elif candidates[b] != candidates[0] and squared < margin * margin:
                # (d ≥ M: no term; the square root only for the draws inside the margin)
                larger = EPSILON if EPSILON > squared else squared  # max(), as above
                distance = np.float32(math.sqrt(larger))
                gap = margin - distance
                if gap > ZERO:
                    loss += HALF * gap * gap
                    w = -gap / (TWO * distance)
            coefficients[e] = lr * w  # G = lr·(−dL/ds) with s = −d²
    chain(EUCLIDEAN, logits, m, width, terms)
    return loss


@numba.njit(fastmath=True, cache=True, error_model="numpy")
def infonce_step(logits, logit_offsets, candidates, m, width, lr, contrast, terms):
    """InfoNCE over each row, logits z_b = s_b/τ − offset_b, the positive in column 0:
    :mod:`.rowsoftmax`'s step, exactly it for the dot product at τ = 1. Fills
    ``terms``; returns the block's loss (float64). (``candidates``: unused, the
    steps share one signature.)"""
    coefficients, kind, temperature = terms.coefficients, contrast.similarity, contrast.temperature
    plain = kind == DOT and temperature == np.float32(1.0)
    inverse = np.float32(1.0) / temperature
    source = logits
    if not plain:
        similarities(logits, logit_offsets, m, width, kind, terms)
        for j in range(m):
            for b in range(width):
                coefficients[j * width + b] = logits[j * width + b] * inverse - logit_offsets[b]
        source = coefficients
    loss = softmax_coefficients(source, m, width, lr, coefficients)
    if not plain:
        for e in range(m * width):
            coefficients[e] *= inverse  # dL/ds = dL/dz / τ
    chain(kind, logits, m, width, terms)
    return loss


@numba.njit(inline="always", fastmath=True, cache=True)
def add_hidden_self(hidden, lo, hi, terms, deltas):
    """deltas[j] += lr·(−c_j)·h_j for the rows lo..hi-1 (after the deltas' Σ_b C_jb v_b)."""
    for j in range(lo, hi):
        add_row(terms.hidden_self[j - lo], hidden, j, deltas, j, deltas.shape[1])


@numba.njit(inline="always", fastmath=True, cache=True)
def add_row_self(rows, candidates, width, terms, output):
    """output[candidates[b]] += lr·(−e_b)·v_b, v_b the gathered starting point ``rows[b]``."""
    for b in range(width):
        add_row(terms.row_self[b], rows, b, output, candidates[b], output.shape[1])
