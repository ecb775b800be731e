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


def train_block_reference(
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
    """word2vec's sequential SGD, one term at a time, exactly as the kernel orders it."""
    rng = SplitMix64(seed)
    loss, pairs, words = 0.0, 0, 0
    pos = 0
    ids = list(ids)
    while pos < len(ids):
        sentence = []
        while pos < len(ids) and ids[pos] >= 0:
            w = ids[pos]
            pos += 1
            words += 1
            if (rng.next() & 0xFFFFFFFF) < int(keep_threshold[w]):
                sentence.append(w)
        pos += 1
        progress = min((words_before + words) / max(total_words, 1), 1.0)
        lr = np.float32(alpha - (alpha - min_alpha) * progress)
        for i, centre in enumerate(sentence):
            reduced = window - (((rng.next() >> 32) * window) >> 32)
            for j in range(max(0, i - reduced), min(len(sentence), i + reduced + 1)):
                if j == i:
                    continue
                u = syn0[sentence[j]]
                grad = np.zeros_like(u)
                targets = [(centre, 1.0)]
                for _ in range(k):
                    noise = alias_draw(rng, threshold, alias)
                    if skip_positive and noise == centre:
                        continue
                    targets.append((noise, 0.0))
                for target, label in targets:
                    v = syn1[target]
                    x = float(u @ v) - float(offsets[target])
                    p = sigmoid(x)
                    g = np.float32(lr * (label - p))
                    grad += g * v
                    syn1[target] = v + g * u
                    loss += np.logaddexp(0, -x if label else x)
                syn0[sentence[j]] = u + grad
                pairs += 1
    return loss, pairs, words
