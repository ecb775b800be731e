"""The losses learn what their theory says, on a corpus whose distribution we know.

The corpus is a stationary Markov chain over 30 words. Its transition matrix is
doubly stochastic (each word's main successor is its *partner*, a random perfect
matching, with probability 0.55 + 0.2/30; a second successor from a random
permutation gets 0.25; the remaining 0.2 is spread over every word), so the
stationary distribution is uniform and the expected weighted co-occurrences have
a closed form: a context at distance d ≤ window of a centre word is used with
weight (window − d + 1)/window, and a sentence of L words has L − d position
pairs at distance d in each direction, so

    E#(w, c) ∝ Σ_d (window − d + 1)(L − d) (π_w T^d[w, c] + π_c T^d[c, w]).

P(c|w) = E#(w, c) / Σ_c' E#(w, c') is then the true conditional distribution.
Partners make the top context unambiguous (P between 0.38 and 0.42, at least
0.12 above the next), so "ranks the true top word first" is a sharp test.

Trained with --sample 0 (subsampling would change the counts), one thread (so
the run is reproducible), dim = V (room for any V x V matrix of scores).
"""

import numpy as np
import pytest

from w2v_nce import losses
from w2v_nce.context import context_neighbours
from w2v_nce.errors import UsageError
from w2v_nce.evaluation.pmi import chunks_of, model_pmi
from w2v_nce.io.encode import encode_corpus
from w2v_nce.model import Model
from w2v_nce.params import TrainConfig
from w2v_nce.training.pipeline import train_encoded

LABEL_NCE, LABEL_SOFTMAX = losses.SELF.header, losses.SOFTMAX.header

V = 30
LENGTH = 50
SENTENCES = 4000
WINDOW = 2


def transition_matrix(rng):
    order = rng.permutation(V)
    partner = np.empty(V, dtype=np.int64)
    partner[order[0::2]], partner[order[1::2]] = order[1::2], order[0::2]
    second = rng.permutation(V)
    T = np.full((V, V), 0.2 / V)
    T[np.arange(V), partner] += 0.55
    T[np.arange(V), second] += 0.25
    return T


def sample_corpus(T, rng):
    """SENTENCES chains of LENGTH words, started from the (uniform) stationary distribution."""
    cumulative = np.cumsum(T, axis=1)
    x = np.empty((SENTENCES, LENGTH), dtype=np.int64)
    x[:, 0] = rng.integers(0, V, SENTENCES)
    for t in range(1, LENGTH):
        draws = rng.random(SENTENCES)[:, None]
        x[:, t] = np.minimum((cumulative[x[:, t - 1]] < draws).sum(axis=1), V - 1)
    return x


def true_conditional(T):
    pi = np.full(V, 1 / V)
    expected = np.zeros((V, V))
    power = np.eye(V)
    for d in range(1, WINDOW + 1):
        power = power @ T
        forward = pi[:, None] * power  # w at i, c at i + d
        expected += (WINDOW - d + 1) * (LENGTH - d) * (forward + forward.T)
    return expected / expected.sum(axis=1, keepdims=True)  # [w, c]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    rng = np.random.default_rng(0)
    T = transition_matrix(rng)
    np.testing.assert_allclose(T.sum(axis=0), 1)  # doubly stochastic: uniform pi
    words = [f"w{i:02d}" for i in range(V)]
    path = tmp_path_factory.mktemp("synthetic") / "markov.txt"
    lines = (" ".join(words[i] for i in row) for row in sample_corpus(T, rng))
    path.write_text("\n".join(lines) + "\n")
    return str(path), true_conditional(T)


def train_and_check(path, **options):
    config = TrainConfig(dim=V, window=WINDOW, sample=0, min_count=1, threads=1, seed=1, **options)
    with encode_corpus(path, min_count=1) as encoded:
        model = train_encoded(encoded, config, progress=False)
        chunks = chunks_of(encoded.ids(), encoded.block_starts)
        result, _ = model_pmi(model, chunks, top=V, min_count=20)
    return model, result


@pytest.fixture(scope="module")
def nce(synthetic):
    return train_and_check(synthetic[0], loss="nce", k=10, epochs=8, alpha=0.025)


def test_negative_sampling_learns_shifted_pmi(synthetic):
    _, result = train_and_check(synthetic[0], loss="neg", k=5, epochs=5, alpha=0.025)
    print(result)
    assert result.target == "shifted PMI"
    assert result.pairs > 0.9 * V * V  # almost every pair is frequent here
    assert result.pearson >= 0.9


def test_nce_learns_log_conditional_and_is_self_normalised(nce):
    _, result = nce
    print(result)
    assert result.target == "log P(c|w)"
    assert result.pearson >= 0.9
    assert abs(result.mean_logz) <= 0.3


def test_hierarchical_softmax_learns_log_conditional_exactly_normalised(synthetic):
    """Skip-gram hs models p(c|w) exactly (log Z = 0 by construction) and learns log P(c|w).

    (CBOW predicts the centre word from the mean of its window: its optimum is not a
    function of the pair counts, so this theory is skip-gram's.)
    """
    _, result = train_and_check(synthetic[0], loss="hs", epochs=8, alpha=0.025)
    print(result)
    assert result.target == "log P(c|w)"
    assert result.pearson >= 0.9
    assert abs(result.mean_logz) <= 1e-9 and result.std_logz <= 1e-9


def test_context_neighbours_of_nce_match_the_true_distribution(synthetic, nce):
    _, truth = synthetic
    model, _ = nce
    errors = []
    for w in range(V):
        rows, label, notes = context_neighbours(model, f"w{w:02d}", topn=3)
        assert label == LABEL_NCE and notes == []
        top = int(rows[0][0][1:])
        assert top == int(np.argmax(truth[w]))  # the true most likely context comes first
        assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
        errors.append(abs(rows[0][2] - truth[w, top]))
    sharpest = int(np.argmax(np.sort(truth, axis=1)[:, -1] - np.sort(truth, axis=1)[:, -2]))
    print("p(c|w) error of the top word, per word:", np.round(errors, 3))
    assert errors[sharpest] <= 0.05
    assert np.mean(errors) <= 0.03


def tiny_model(loss):
    u = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    v = np.array([[2.0, 0.0], [0.0, 0.0], [-1.0, 3.0]], dtype=np.float32)
    return Model(["king", "queen", "kingdom"], np.array([3, 2, 1]), u, v, {"loss": loss})


@pytest.mark.parametrize("loss", ["neg", "softmax", "infonce"])
def test_context_neighbours_normalise_exactly_for_other_losses(loss):
    rows, label, notes = context_neighbours(tiny_model(loss), "kingdom", topn=5)
    if loss == "neg":  # not a normalised model: the header and a note say it is a reading
        assert label == losses.READING.header and "reading" in label
        assert notes == [losses.READING.note("a neg model")]
    else:
        assert label == LABEL_SOFTMAX and notes == []
    scores = {"kingdom": 2.0, "king": 2.0, "queen": 0.0}  # u_kingdom · v_c
    assert [w for w, _, _ in rows] == ["king", "kingdom", "queen"]  # ties by index
    z = sum(np.exp(list(scores.values())))
    for word, score, prob in rows:
        assert score == scores[word] and prob == pytest.approx(np.exp(score) / z)


def test_context_neighbours_of_nce_are_not_renormalised():
    rows, label, _ = context_neighbours(tiny_model("nce"), "king", topn=1)
    assert label == LABEL_NCE and rows == [("king", 2.0, pytest.approx(np.exp(2.0)))]


def test_context_neighbours_of_an_unknown_word_suggest_close_matches():
    with pytest.raises(UsageError, match="'kingz' is not in the vocabulary.*close matches: king"):
        context_neighbours(tiny_model("nce"), "kingz", topn=3)
    with pytest.raises(UsageError, match="topn"):
        context_neighbours(tiny_model("nce"), "king", topn=0)
