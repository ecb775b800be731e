"""Plain-numpy (float64) references for the contrastive family's steps
(w2v_nce/kernels/contrastive.py), written as the formulas of design.md section 9.

A block is m hidden rows h against ``width`` candidate rows v, column 0 the
positive. Each loss gives dL/ds per term; :func:`chain` writes the gradients as
∂L/∂h_j = Σ_b a_jb v_b + c_j h_j and ∂L/∂v_b = Σ_j a_jb h_j + e_b v_b.
"""

import numpy as np

from tests.reference import softmax_terms

EPSILON = 1e-8  # the kernel's floor of a squared norm or distance


def squared_norms(h, v):
    return (h * h).sum(axis=1)[:, None], (v * v).sum(axis=1)[None, :]


def similarity_terms(h, v, kind):
    """s_jb = s(h_j, v_b): dot, cosine or euclidean (−|h − v|², from h·v and the norms)."""
    p = h @ v.T
    hn, vn = squared_norms(h, v)
    if kind == "cosine":
        return p / np.sqrt(np.maximum(hn, EPSILON) * np.maximum(vn, EPSILON))
    if kind == "euclidean":
        return -np.maximum(hn - 2 * p + vn, 0.0)
    return p


def chain(g, s, h, v, kind):
    """(a, c, e) from g = dL/ds."""
    if kind == "dot":
        return g, np.zeros(len(h)), np.zeros(len(v))
    if kind == "euclidean":
        return 2 * g, -2 * g.sum(axis=1), -2 * g.sum(axis=0)
    hn, vn = squared_norms(h, v)
    hn, vn = np.maximum(hn, EPSILON), np.maximum(vn, EPSILON)
    return g / np.sqrt(hn * vn), -(g * s / hn).sum(axis=1), -(g * s / vn).sum(axis=0)


def gradients(a, c, e, h, v):
    """(∂L/∂h, ∂L/∂v) from the coefficients."""
    return a @ v + c[:, None] * h, a.T @ h + e[:, None] * v


def noise_columns(candidates):
    """The noise columns of triplet and contrastive: a draw equal to the positive is out."""
    return [b for b in range(1, len(candidates)) if candidates[b] != candidates[0]]


def mined(s_row, candidates, margin, mining):
    """The noise columns a row's triplet loss sums over (all violating, or FaceNet's
    semi-hard ones else the hardest, or the hardest), violating ones only."""
    noise = noise_columns(candidates)
    if not noise:
        return []
    positive = s_row[0]
    violating = [b for b in noise if margin - positive + s_row[b] > 0]
    hardest = max(noise, key=lambda b: s_row[b])  # the first of equals
    if mining == "all":
        return violating
    if mining == "semi-hard":
        semi = [b for b in violating if s_row[b] < positive]
        if semi:
            return semi
    return [hardest] if hardest in violating else []


def triplet_terms(s, candidates, margin, mining):
    loss, g = 0.0, np.zeros_like(s)
    for j, row in enumerate(s):
        for b in mined(row, candidates, margin, mining):
            loss += margin - row[0] + row[b]
            g[j, b] += 1.0
            g[j, 0] -= 1.0
    return loss, g


def drlim_terms(s, candidates, margin):
    """DrLIM with s = −d²: ½d² (positive), ½·max(0, M − d)² (noise); g = dL/ds = −dL/d(d²)."""
    squared = -s
    loss, w = 0.5 * squared[:, 0].sum(), np.zeros_like(s)
    w[:, 0] = 0.5
    for b in noise_columns(candidates):
        d = np.sqrt(np.maximum(squared[:, b], EPSILON))
        gap = np.maximum(margin - d, 0.0)
        loss += 0.5 * (gap * gap).sum()
        w[:, b] = -gap / (2 * d)
    return loss, -w


def infonce_terms(s, offsets, temperature):
    """The softmax over z = s/τ − offsets, the target in column 0; g = dL/dz / τ."""
    loss, dz = softmax_terms(s / temperature - offsets[None, :])
    return loss, dz / temperature


def contrast_block(h, v, candidates, offsets, loss, contrast):
    """(loss, a, c, e) of one block; ``contrast``: dict of similarity, temperature,
    margin, mining (names as the options spell them)."""
    kind = "euclidean" if loss == "contrastive" else contrast["similarity"]
    s = similarity_terms(h, v, kind)
    if loss == "triplet":
        value, g = triplet_terms(s, candidates, contrast["margin"], contrast["mining"])
    elif loss == "contrastive":
        value, g = drlim_terms(s, candidates, contrast["margin"])
    else:
        value, g = infonce_terms(s, offsets, contrast["temperature"])
    return (value, *chain(g, s, h, v, kind))
