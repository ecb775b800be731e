"""Plain-numpy, plain-Python references for the kernels.

Written for clarity, not speed: the random stream is re-implemented with Python
integers so a reference run consumes exactly the same numbers as the jitted
kernel, and every update is written as the formula in design.md §2.
"""

import numpy as np

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int):
        self.state = int(seed) & MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def alias_draw(rng: SplitMix64, threshold: np.ndarray, alias: np.ndarray) -> int:
    bits = rng.next()
    column = ((bits >> 32) * len(threshold)) >> 32
    return column if (bits & 0xFFFFFFFF) < int(threshold[column]) else int(alias[column])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def binary_loss_and_grads(u, v_pos, v_noise, offset_pos, offsets_noise):
    """L = -log σ(u·v - o) - Σ_i log σ(-(u·n_i - o_i)) and its gradients (float64)."""
    x_pos = u @ v_pos - offset_pos
    x_noise = v_noise @ u - offsets_noise
    loss = np.logaddexp(0, -x_pos) + np.logaddexp(0, x_noise).sum()
    d_pos = -(1 - sigmoid(x_pos))  # dL/dx_pos
    d_noise = sigmoid(x_noise)  # dL/dx_noise
    grad_u = d_pos * v_pos + d_noise @ v_noise
    grad_v_pos = d_pos * u
    grad_v_noise = d_noise[:, None] * u[None, :]
    return loss, grad_u, grad_v_pos, grad_v_noise


def sentence_pairs(rng, ids, keep_threshold, window, groups=False):
    """Yield (words read, [(context, centre), ...]) per sentence, as the kernel draws them.

    With ``groups`` the pairs come as a list of lists, one per centre position.
    """
    pos = 0
    ids = list(ids)
    while pos < len(ids):
        sentence, read = [], 0
        while pos < len(ids) and ids[pos] >= 0:
            w = ids[pos]
            pos += 1
            read += 1
            if (rng.next() & 0xFFFFFFFF) < int(keep_threshold[w]):
                sentence.append(w)
        pos += 1
        grouped = []
        for i, centre in enumerate(sentence):
            reduced = window - (((rng.next() >> 32) * window) >> 32)
            lo, hi = max(0, i - reduced), min(len(sentence), i + reduced + 1)
            group = [(sentence[j], centre) for j in range(lo, hi) if j != i]
            if group:
                grouped.append(group)
        yield read, grouped if groups else [p for g in grouped for p in g]


def learning_rate(alpha, min_alpha, done, total):
    return np.float32(alpha - (alpha - min_alpha) * min(done / max(total, 1), 1.0))


def binary_pair_reference(syn0, syn1, ctx, centre, noise_words, offsets, lr):
    """word2vec's update for one pair: output rows term by term, the input row last."""
    u = syn0[ctx]
    grad = np.zeros_like(u)
    loss = 0.0
    for target, label in [(centre, 1.0)] + [(n, 0.0) for n in noise_words]:
        v = syn1[target]
        x = float(u @ v) - float(offsets[target])
        g = np.float32(lr * (label - sigmoid(x)))
        grad += g * v
        syn1[target] = v + g * u
        loss += np.logaddexp(0, -x if label else x)
    syn0[ctx] = u + grad
    return loss


def row_softmax_pair_reference(syn0, syn1, ctx, candidates, offsets, lr):
    """Softmax over candidate rows (target = candidates[0]) with logits u·v − offset."""
    u = syn0[ctx].astype(np.float64)
    rows = syn1[candidates].astype(np.float64)
    z = rows @ u - offsets[candidates]
    p = np.exp(z - z.max())
    p /= p.sum()
    y = np.zeros_like(p)
    y[0] = 1
    g = lr * (y - p)
    loss = -np.log(p[0])
    syn0[ctx] = u + g @ rows
    np.add.at(syn1, candidates, (g[:, None] * u[None, :]).astype(np.float32))
    return loss


def train_block_reference(
    ids,
    syn0,
    syn1,
    keep_threshold,
    threshold,
    alias,
    offsets,
    skip_positive,
    loss_kind,
    k,
    window,
    alpha,
    min_alpha,
    words_before,
    total_words,
    seed,
):
    """Sequential SGD over a block, consuming the random stream in the kernel's order."""
    rng = SplitMix64(seed)
    loss, n_pairs, words = 0.0, 0, 0
    for read, pairs in sentence_pairs(rng, ids, keep_threshold, window):
        words += read
        lr = learning_rate(alpha, min_alpha, words_before + words, total_words)
        for ctx, centre in pairs:
            draws = [alias_draw(rng, threshold, alias) for _ in range(k)]
            if loss_kind == 0:
                noise = [n for n in draws if not (skip_positive and n == centre)]
                loss += binary_pair_reference(syn0, syn1, ctx, centre, noise, offsets, lr)
            else:
                loss += row_softmax_pair_reference(
                    syn0, syn1, ctx, np.array([centre] + draws), offsets, lr
                )
            n_pairs += 1
    return loss, n_pairs, words


def train_block_shared_reference(
    ids,
    syn0,
    syn1,
    keep_threshold,
    threshold,
    alias,
    offsets,
    skip_positive,
    k,
    window,
    alpha,
    min_alpha,
    words_before,
    total_words,
    seed,
):
    """Negative sharing: per centre word, one set of k draws; the m × (k+1) block of
    logistic terms takes its gradient at the group's starting point."""
    rng = SplitMix64(seed)
    loss, n_pairs, words = 0.0, 0, 0
    for read, groups in sentence_pairs(rng, ids, keep_threshold, window, groups=True):
        words += read
        lr = learning_rate(alpha, min_alpha, words_before + words, total_words)
        for group in groups:
            centre = group[0][1]
            draws = [alias_draw(rng, threshold, alias) for _ in range(k)]
            cands = [centre] + [n for n in draws if not (skip_positive and n == centre)]
            labels = np.array([1.0] + [0.0] * (len(cands) - 1))
            ctx = [c for c, _ in group]
            u = syn0[ctx].astype(np.float64)  # m x d
            v = syn1[cands].astype(np.float64)  # (k+1) x d
            x = u @ v.T - offsets[cands][None, :].astype(np.float64)
            g = lr * (labels[None, :] - sigmoid(x))
            loss += np.where(labels[None, :] == 1, np.logaddexp(0, -x), np.logaddexp(0, x)).sum()
            np.add.at(syn1, cands, (g.T @ u).astype(np.float32))
            np.add.at(syn0, ctx, (g @ v).astype(np.float32))
            n_pairs += len(group)
    return loss, n_pairs, words
