"""PMI check: exact co-occurrence counts and each loss's target on hand-computed examples."""

import math
from fractions import Fraction

import numpy as np
import pytest

from w2v_nce.errors import UserError
from w2v_nce.evaluation.pmi import (
    Cooccurrence,
    centre_rows,
    chunks_of,
    count_ids,
    encode_with_vocab,
    model_pmi,
    target_values,
)
from w2v_nce.evaluation.pmi import (
    pmi_fidelity as fidelity,
)
from w2v_nce.io.corpus import MAX_SENTENCE_TOKENS
from w2v_nce.io.encode import encode_corpus
from w2v_nce.model import Model

WORDS = ["a", "b", "c", "d", "e"]


def brute_force(lines, vocab, window):
    """#(w, c) and #(w) as Fractions, straight from the rules of w2v_nce.evaluation.pmi."""
    index = {w: i for i, w in enumerate(vocab)}
    pairs, rows = {}, {}
    for line in lines:
        tokens = line.split()
        for lo in range(0, len(tokens), MAX_SENTENCE_TOKENS):  # long lines come in pieces
            ids = [index[t] for t in tokens[lo : lo + MAX_SENTENCE_TOKENS] if t in index]
            for i, centre in enumerate(ids):
                for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                    context, d = ids[j], abs(i - j)
                    if d:
                        weight = Fraction(window - d + 1, window)
                        pairs[context, centre] = pairs.get((context, centre), 0) + weight
                        rows[context] = rows.get(context, 0) + weight
    return pairs, rows


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(3)
    alphabet = WORDS + ["oov1", "oov2"]  # two words outside every vocabulary used below
    lines = [
        " ".join(
            rng.choice(alphabet, size=rng.integers(1, 12), p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.1, 0.05])
        )
        for _ in range(300)
    ]
    lines.append(" ".join(rng.choice(WORDS, size=MAX_SENTENCE_TOKENS + 7)))  # cut in two
    lines.append("oov1 oov2 oov1")  # a sentence left empty
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n\n")
    return path, lines


@pytest.mark.parametrize(("window", "top"), [(1, 5), (3, 5), (4, 2)])
def test_counts_equal_a_brute_force_count(corpus, window, top):
    path, lines = corpus
    vocab = ["c", "a", "e", "b", "d"]  # any order: tokens are mapped by word
    cooc = count_ids(encode_with_vocab(str(path), vocab), len(vocab), window, top)
    pairs, rows = brute_force(lines, vocab, window)
    expected = np.zeros((top, top), dtype=np.int64)
    for (w, c), value in pairs.items():
        if w < top and c < top:
            expected[w, c] = value * window  # exact: integers in units of 1/window
    np.testing.assert_array_equal(cooc.pairs, expected)
    np.testing.assert_array_equal(cooc.rows, [rows.get(i, 0) * window for i in range(5)])
    np.testing.assert_array_equal(cooc.pairs, cooc.pairs.T)  # the window is symmetric
    tokens = " ".join(lines).split()
    np.testing.assert_array_equal(cooc.unigrams, [tokens.count(w) for w in vocab])
    assert cooc.weighted_pairs()[0, 0] == pytest.approx(float(pairs.get((0, 0), 0)))


def test_the_encoded_training_corpus_gives_the_same_counts(corpus, tmp_path):
    path, _ = corpus
    with encode_corpus(str(path), min_count=1, block_words=50, tmp_dir=tmp_path) as encoded:
        assert len(encoded.block_starts) > 3
        vocab = encoded.vocab.words
        from_blocks = count_ids(chunks_of(encoded.ids(), encoded.block_starts), len(vocab), 3, 4)
    from_text = count_ids(encode_with_vocab(str(path), vocab), len(vocab), 3, 4)
    np.testing.assert_array_equal(from_blocks.pairs, from_text.pairs)
    np.testing.assert_array_equal(from_blocks.rows, from_text.rows)
    np.testing.assert_array_equal(from_blocks.unigrams, encoded.vocab.counts)


def test_target_formulas_by_hand():
    # P(c|w) = 6/24 = 1/4 and q(c) = 1/4: PMI 0, shifted by log k = log 2.
    assert target_values("neg", np.array(6.0), np.array(24.0), np.array(0.25), 2) == (
        pytest.approx(-math.log(2))
    )
    assert target_values("nce", np.array(6.0), np.array(24.0), np.array(0.25), 2) == (
        pytest.approx(math.log(0.25))
    )
    for loss in ("softmax", "infonce"):  # log P(c|w); centred by the caller
        assert target_values(loss, np.array(1.0), np.array(8.0), np.array(0.5), 9) == (
            pytest.approx(-math.log(8))
        )
    with pytest.raises(UserError, match="no PMI target"):
        target_values("bogus", np.array(1.0), np.array(1.0), np.array(1.0), 1)


def test_centre_rows():
    values = np.array([1.0, 3.0, 10.0, 4.0, 5.0])
    rows = np.array([0, 0, 2, 1, 1])
    np.testing.assert_allclose(centre_rows(values, rows), [-1, 1, 0, -0.5, 0.5])


def test_log_partition_is_log_sum_exp():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(300, 4)).astype(np.float32)
    v = 3 * rng.normal(size=(300, 4)).astype(np.float32)
    expected = np.log(np.exp(u.astype(float) @ v.T.astype(float)).sum(axis=1))
    model = Model([str(i) for i in range(300)], np.ones(300, np.int64), u, v, {"base": "none"})
    np.testing.assert_allclose(model.log_partition(np.arange(300)), expected, rtol=1e-12)


def hand_cooc():
    """Three words, window 1; only the first two are 'top'.

    #(w,c) among the top words: [[4, 2], [2, 0]]; #(w) = [6, 3, ...] (word 1 also
    co-occurs once with word 2, outside the top).
    """
    return Cooccurrence(
        window=1,
        pairs=np.array([[4, 2], [2, 0]], dtype=np.int64),
        rows=np.array([6, 3, 1], dtype=np.int64),
        unigrams=np.array([3, 2, 1], dtype=np.int64),
    )


def vectors_with_dots(dots_by_pair, extra_rows=1):
    """Input rows e_w and output rows holding the wanted dots, so u_w·v_c is exact."""
    top = 2
    u = np.zeros((top + extra_rows, top), dtype=np.float64)
    u[np.arange(top), np.arange(top)] = 1
    v = np.zeros((top + extra_rows, top), dtype=np.float64)
    for (w, c), value in dots_by_pair.items():
        v[c, w] = value
    return u, v


def pmi_fidelity(cooc, u, v, counts, loss, k, noise_power, min_count):
    """The PMI check of a model with these matrices and config (no base measure)."""
    config = {"loss": loss, "k": k, "noise_power": noise_power, "base": "none"}
    model = Model([str(i) for i in range(len(u))], np.asarray(counts), u, v, config)
    return fidelity(cooc, model, min_count)


def test_neg_target_and_scores_by_hand():
    counts = np.array([3, 2, 1])  # noise power 1: q = counts / 6
    q = counts / 6
    expected = {  # log(#(w,c) / (#(w) q(c))) - log k, k = 2
        (0, 0): math.log(4 / 6 / q[0]) - math.log(2),
        (0, 1): math.log(2 / 6 / q[1]) - math.log(2),
        (1, 0): math.log(2 / 3 / q[0]) - math.log(2),
    }
    u, v = vectors_with_dots(expected)
    result = pmi_fidelity(hand_cooc(), u, v, counts, "neg", 2, 1.0, min_count=1)
    assert result.pairs == 3  # (1, 1) never co-occurs
    np.testing.assert_allclose(sorted(result.targets), sorted(expected.values()))
    assert result.rmse == pytest.approx(0, abs=1e-12)
    assert result.pearson == pytest.approx(1)  # (Spearman: two targets tie)
    assert result.mean_logz is None and result.std_logz is None
    assert result.target == "shifted PMI"

    off = {key: value + 0.5 for key, value in expected.items()}
    u, v = vectors_with_dots(off)
    assert pmi_fidelity(hand_cooc(), u, v, counts, "neg", 2, 1.0, 1).rmse == pytest.approx(0.5)


def test_min_count_is_on_the_weighted_count():
    cooc = Cooccurrence(2, np.array([[8, 3], [3, 0]]), np.array([11, 3]), np.array([1, 1]))
    u, v = vectors_with_dots({}, extra_rows=0)
    # weighted counts: 8/2 = 4 and 3/2 = 1.5
    assert pmi_fidelity(cooc, u, v, np.array([1, 1]), "nce", 1, 1.0, min_count=1.5).pairs == 3
    result = pmi_fidelity(cooc, u, v, np.array([1, 1]), "nce", 1, 1.0, min_count=2)
    assert result.pairs == 1 and result.pearson is None  # one pair: no correlation


def test_nce_target_and_log_z_by_hand():
    expected = {(0, 0): math.log(4 / 6), (0, 1): math.log(2 / 6), (1, 0): math.log(2 / 3)}
    u, v = vectors_with_dots(expected)
    counts = np.array([3, 2, 1])
    result = pmi_fidelity(hand_cooc(), u, v, counts, "nce", 5, 0.75, min_count=1)
    assert result.rmse == pytest.approx(0, abs=1e-12) and result.pairs == 3
    assert result.target == "log P(c|w)"
    # log Z over the whole vocabulary (three output rows; the third is zero, exp 0 = 1)
    logz = [math.log(4 / 6 + 2 / 6 + 1), math.log(2 / 3 + math.exp(0) + 1)]
    mean = (3 * logz[0] + 2 * logz[1]) / 5
    assert result.mean_logz == pytest.approx(mean)
    assert result.std_logz == pytest.approx(
        math.sqrt((3 * (logz[0] - mean) ** 2 + 2 * (logz[1] - mean) ** 2) / 5)
    )


@pytest.mark.parametrize("loss", ["softmax", "infonce"])
def test_softmax_targets_are_row_centred(loss):
    logp = {(0, 0): math.log(4 / 6), (0, 1): math.log(2 / 6), (1, 0): math.log(2 / 3)}
    shifted = {key: value + (7.0 if key[0] == 0 else -3.0) for key, value in logp.items()}
    u, v = vectors_with_dots(shifted)  # right up to a constant per row
    result = pmi_fidelity(hand_cooc(), u, v, np.array([3, 2, 1]), loss, 5, 0.75, 1)
    assert result.pairs == 2  # row 1 has a single pair: nothing to compare after centring
    half = (math.log(4 / 6) - math.log(2 / 6)) / 2
    np.testing.assert_allclose(sorted(result.targets), [-half, half])
    assert result.rmse == pytest.approx(0, abs=1e-12)
    assert result.mean_logz is not None


def test_model_pmi_reads_the_config_and_needs_it(corpus):
    path, _ = corpus
    rng = np.random.default_rng(1)
    model = Model(
        vocab=list(WORDS),
        counts=np.array([5, 4, 3, 2, 1]),
        input=rng.normal(size=(5, 3)).astype(np.float32),
        output=rng.normal(size=(5, 3)).astype(np.float32),
        config={"loss": "nce", "k": 4, "window": 2, "noise_power": 0.75},
    )
    result, cooc = model_pmi(model, encode_with_vocab(str(path), WORDS), top=5, min_count=1)
    assert cooc.window == 2 and result.loss == "nce" and result.pairs > 0
    model.config = {"loss": "nce"}
    with pytest.raises(UserError, match="lacks k, window, noise_power"):
        model_pmi(model, encode_with_vocab(str(path), WORDS), top=5, min_count=1)
