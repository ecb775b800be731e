"""Plain-numpy, plain-Python references for the kernels.

Written for clarity, not speed: the random stream is re-implemented with Python
integers so a reference run consumes exactly the same numbers as the jitted
kernel, and every update is written as the formula of its loss (docs/losses.md).
"""

import numpy as np

from w2v_nce import losses

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


NOISE_STREAM = 0x6E6F6973655F7374


def noise_stream(seed: int) -> SplitMix64:
    """A block's second stream, the noise draws' (the kernel's ``rng.noise_seed``)."""
    return SplitMix64(SplitMix64((int(seed) & MASK) ^ NOISE_STREAM).next())


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f at x, entry by entry."""
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        out[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return out


def alias_draw(rng: SplitMix64, threshold: np.ndarray, alias: np.ndarray) -> int:
    bits = rng.next()
    column = ((bits >> 32) * len(threshold)) >> 32
    return column if (bits & 0xFFFFFFFF) < int(threshold[column]) else int(alias[column])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def learning_rate(alpha, min_alpha, done, total):
    return np.float32(alpha - (alpha - min_alpha) * min(done / max(total, 1), 1.0))


def sentence_windows(rng, ids, keep_threshold, window):
    """Yield (words read, sentence, windows) per sentence, drawing as the kernel does.

    ``windows`` is a generator of (centre position, context positions) that draws
    each centre's window when it is reached, so that whatever the caller draws for
    that centre (noise words) comes between two window draws, as in the kernel.
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

        def windows(sentence=sentence):
            for i in range(len(sentence)):
                reduced = window - (((rng.next() >> 32) * window) >> 32)
                lo, hi = max(0, i - reduced), min(len(sentence), i + reduced + 1)
                if hi - lo >= 2:
                    yield i, [j for j in range(lo, hi) if j != i]

        yield read, sentence, windows()


def sentence_pairs(rng, ids, keep_threshold, window):
    """Yield (words read, [(context, centre), ...]) per sentence (no noise draws between)."""
    for read, sentence, windows in sentence_windows(rng, ids, keep_threshold, window):
        pairs = [(sentence[j], sentence[i]) for i, ctx in windows for j in ctx]
        yield read, pairs


def logistic_terms(x, labels, mask=None):
    """(loss, dL/dx) of Σ_b −log p(label_b | x_b), p = σ (float64), over the terms not
    masked (``mask`` True: the term is left out)."""
    terms = np.where(labels == 1, np.logaddexp(0, -x), np.logaddexp(0, x))
    grad = sigmoid(x) - labels
    if mask is not None:
        terms, grad = np.where(mask, 0.0, terms), np.where(mask, 0.0, grad)
    return terms.sum(), grad


def softmax_terms(z):
    """(loss, dL/dz) of the softmax cross-entropy with the target in column 0, per row."""
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    y = np.zeros_like(p)
    y[..., 0] = 1
    return -np.log(p[..., 0]).sum(), p - y


def candidate_set(rng, tables, target, step, k, skip_positive):
    """(rows of the output matrix, labels, logit offsets): the positive and k draws, or
    the path."""
    if step == "tree":
        n = int(tables.lengths[target])
        points = tables.points[target, :n].astype(int)
        return points, 1.0 - tables.codes[target, :n].astype(float), np.zeros(n)
    draws = [alias_draw(rng, tables.noise_threshold, tables.noise_alias) for _ in range(k)]
    if skip_positive:
        draws = [d for d in draws if d != target]
    rows = np.array([target] + draws)
    labels = np.array([1.0] + [0.0] * len(draws))
    return rows, labels, tables.logit_offsets[rows].astype(np.float64)


def block_step(hidden, output, rows, labels, offsets, lr, step, mask=None, contrast=None):
    """The m × width block at the starting point: (loss, deltas of the hidden vectors).

    ``labels`` are a candidate's (width) or a term's (m × width); ``mask`` (m × width,
    True: left out) drops terms. Updates the ``output`` matrix in place. Every update is −lr × the
    gradient of the block's loss (the sum of its terms) with respect to that row.
    ``step`` "triplet", "contrastive" or "infonce" (a similarity or a temperature) is the
    contrastive family's (tests/reference_contrastive.py), with ``contrast`` its options.
    """
    v = output[rows].astype(np.float64)
    if step in ("triplet", "contrastive", "infonce"):
        from tests.reference_contrastive import contrast_block, gradients

        loss, a, c, e = contrast_block(hidden, v, rows, offsets, step, contrast)
        grad_h, grad_v = gradients(a, c, e, hidden, v)
        np.add.at(output, rows, (-lr * grad_v).astype(np.float32))
        return loss, -lr * grad_h
    z = hidden @ v.T - offsets[None, :]
    if step == "sampled":
        loss, grad = softmax_terms(z)
    else:
        loss, grad = logistic_terms(z, np.broadcast_to(labels, z.shape), mask)
    coefficients = -lr * grad
    np.add.at(output, rows, (coefficients.T @ hidden).astype(np.float32))
    return loss, coefficients @ v


def contrast_options(contrast):
    """The kernels' Contrast as the option names spell it (reference_contrastive's dict)."""
    from w2v_nce.kernels.contrastive import MININGS, SIMILARITIES

    return {
        "similarity": {v: k for k, v in SIMILARITIES.items()}[contrast.similarity],
        "temperature": float(contrast.temperature),
        "margin": float(contrast.margin),
        "mining": {v: k for k, v in MININGS.items()}[contrast.mining],
    }


def input_rows(word, input, buckets, tables):
    """Word ``word``'s input rows, float64: its own row, then (with subwords) the bucket
    rows of its n-grams (``tables.ngram_starts``/``ngram_rows``)."""
    rows = [input[word].astype(np.float64)]
    if tables.ngram_starts.size:
        ngrams = tables.ngram_rows[tables.ngram_starts[word] : tables.ngram_starts[word + 1]]
        rows += [buckets[g].astype(np.float64) for g in ngrams]
    return np.array(rows)


def add_input_delta(word, delta, input, buckets, tables):
    """Add ``delta`` (float32) to every input row of ``word``: its row and its n-gram rows."""
    input[word] += delta
    if tables.ngram_starts.size:
        ngrams = tables.ngram_rows[tables.ngram_starts[word] : tables.ngram_starts[word + 1]]
        np.add.at(buckets, ngrams, delta)


def train_block_reference(ids, input, output, tables, spec, schedule, seed, buckets=None):
    """Sequential SGD over a block, consuming the random streams in the kernel's order:
    subsampling and windows from the block's seed, noise draws from its noise stream.

    The kernel's own bundles say what to train: ``spec.model`` skip-gram or CBOW,
    ``spec.step`` noise (neg, nce), sampled softmax (infonce) or tree (hs).
    Skip-gram's hidden vectors are the context rows, one per context; CBOW's is
    their mean, and its gradient goes unscaled to every context row (word2vec.c).
    With subwords (``tables.ngram_starts``) a context's rows are its own and its
    n-grams' rows in ``buckets``: skip-gram's hidden vector is their mean, CBOW's the
    mean of all the context words' rows, and every row gets the whole gradient.
    With ``spec.share_negatives`` (always for the tree) the hidden vectors of a
    centre word share one candidate set and one block step; a noise group of
    ``spec.noise_group`` consecutive centre words of a sentence share their k draws
    (the kernel's output_step): one block of all their hidden vectors, a row's terms
    against the other centres' positives (and, for neg, against a draw equal to its
    own positive) left out. A sentence's last noise group may be smaller; a group of
    one is the ordinary step.
    """
    model = "cbow" if spec.model == losses.CBOW else "skipgram"
    step = {
        losses.NOISE: "noise",
        losses.SAMPLED_SOFTMAX: "sampled",
        losses.TREE: "tree",
        losses.TRIPLET: "triplet",
        losses.DRLIM: "contrastive",
    }[spec.step]
    contrast = contrast_options(spec.contrast)
    if step == "sampled" and (contrast["similarity"] != "dot" or contrast["temperature"] != 1):
        step = "infonce"
    k, window, skip_positive = spec.k, spec.window, spec.skip_positive
    alpha, min_alpha = float(schedule.alpha), float(schedule.min_alpha)
    words_before, total_words = int(schedule.words_before), int(schedule.total_words)
    rng, noise = SplitMix64(seed), noise_stream(seed)
    loss, examples, words = 0.0, 0, 0

    def hidden_of(positions):
        rows_in = [input_rows(w, input, buckets, tables) for w in positions]
        if model == "cbow":
            return np.concatenate(rows_in).mean(axis=0, keepdims=True)
        return np.array([rows.mean(axis=0) for rows in rows_in])

    def add_deltas(positions, deltas):
        if model == "cbow":
            deltas = np.repeat(deltas, len(positions), axis=0)
        for w, delta in zip(positions, deltas.astype(np.float32), strict=True):
            add_input_delta(w, delta, input, buckets, tables)

    def centre_step(target, ctx, lr):
        """One centre word: its candidate set(s) and block step(s)."""
        hidden = hidden_of(ctx)
        shared = spec.share_negatives or step == "tree"
        row_sets = [range(len(hidden))] if shared else [[a] for a in range(len(hidden))]
        deltas = np.zeros_like(hidden)
        part = 0.0
        for row_set in row_sets:
            row_set = list(row_set)
            cands, labels, offsets = candidate_set(noise, tables, target, step, k, skip_positive)
            step_loss, deltas[row_set] = block_step(
                hidden[row_set], output, cands, labels, offsets, lr, step, contrast=contrast
            )
            part += step_loss
        add_deltas(ctx, deltas)
        return part, len(hidden)

    def noise_group_step(group, lr):
        """Several centre words (target, contexts) sharing k draws: one masked block."""
        targets = [target for target, _ in group]
        hidden = [hidden_of(ctx) for _, ctx in group]
        draws = [alias_draw(noise, tables.noise_threshold, tables.noise_alias) for _ in range(k)]
        cands = np.array(targets + draws)
        g, width = len(group), len(cands)
        labels = np.concatenate(
            [np.tile(np.eye(g, width)[c], (len(h), 1)) for c, h in enumerate(hidden)]
        )
        mask = np.concatenate(
            [
                np.tile(
                    [(b < g and b != c) or (skip_positive and b >= g and cands[b] == targets[c])
                     for b in range(width)],
                    (len(h), 1),
                )
                for c, h in enumerate(hidden)
            ]
        )  # fmt: skip
        offsets = tables.logit_offsets[cands].astype(np.float64)
        part, deltas = block_step(np.concatenate(hidden), output, cands, labels, offsets, lr,
                                  step, mask)  # fmt: skip
        first = 0
        for (_, ctx), h in zip(group, hidden, strict=True):
            add_deltas(ctx, deltas[first : first + len(h)])
            first += len(h)
        return part, first

    for read, sentence, windows in sentence_windows(rng, ids, tables.keep, window):
        words += read
        lr = float(learning_rate(alpha, min_alpha, words_before + words, total_words))
        gathered, noise_groups = [], []
        for i, positions in windows:
            gathered.append((sentence[i], [sentence[j] for j in positions]))
            if len(gathered) == spec.noise_group:
                noise_groups.append(gathered)
                gathered = []
        for group in noise_groups + ([gathered] if gathered else []):
            if len(group) == 1:
                part, rows = centre_step(*group[0], lr)
            else:
                part, rows = noise_group_step(group, lr)
            loss, examples = loss + part, examples + rows
    return loss, examples, words


def brute_force_huffman_lengths(counts):
    """Code lengths of an optimal prefix code (a heap Huffman), for comparison."""
    import heapq

    heap = [(int(c), i, [i]) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    lengths = [0] * len(counts)
    tie = len(counts)
    while len(heap) > 1:
        c1, _, a = heapq.heappop(heap)
        c2, _, b = heapq.heappop(heap)
        for leaf in a + b:
            lengths[leaf] += 1
        heapq.heappush(heap, (c1 + c2, tie, a + b))
        tie += 1
    return np.array(lengths)
