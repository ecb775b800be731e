import numpy as np
import pytest

from w2v_nce.kernels.alias import draw_many
from w2v_nce.noise import AliasTable, noise_distribution


def test_noise_distribution_is_unigram_to_the_power():
    counts = np.array([100, 10, 1])
    q = noise_distribution(counts, 0.75)
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(q, expected, rtol=1e-12)
    np.testing.assert_allclose(noise_distribution(counts, 0.0), np.full(3, 1 / 3))


@pytest.mark.parametrize("seed", [1, 2])
def test_alias_sampler_matches_unigram_075_in_total_variation(seed):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.zipf(1.3, size=2000))[::-1]  # heavy-tailed, like word counts
    q = noise_distribution(counts, 0.75)
    table = AliasTable(q)
    draws = draw_many(seed, table.threshold, table.alias, 1_000_000)
    empirical = np.bincount(draws, minlength=q.size) / draws.size
    tv = 0.5 * np.abs(empirical - q).sum()
    assert tv < 0.01, tv
    # The most frequent word is drawn as often as q says (±5 standard errors).
    se = np.sqrt(q[0] * (1 - q[0]) / draws.size)
    assert abs(empirical[0] - q[0]) < 5 * se


def test_alias_table_is_exact_up_to_32_bits():
    """Each word's total acceptance mass over all columns equals q (no sampling noise)."""
    q = noise_distribution(np.array([50, 20, 20, 5, 3, 1, 1]), 0.75)
    table = AliasTable(q)
    n = q.size
    mass = np.zeros(n)
    for column in range(n):
        accept = float(table.threshold[column]) / 2**32
        mass[column] += accept / n
        mass[table.alias[column]] += (1 - accept) / n
    np.testing.assert_allclose(mass, q, atol=1e-9)


def test_alias_table_rejects_bad_weights():
    with pytest.raises(ValueError):
        AliasTable(np.array([]))
    with pytest.raises(ValueError):
        AliasTable(np.array([0.0, 0.0]))
