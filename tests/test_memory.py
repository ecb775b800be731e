"""Memory: the estimate printed before allocating, the refusal of a model that cannot fit,
and a corpus that is one huge line training in memory that does not grow with it."""

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import entry_point, run_cli
from w2v_nce import memory
from w2v_nce.errors import UserError
from w2v_nce.losses import LOSSES


def _estimate_of(loss, model="skipgram", threads=2):
    return memory.estimate(
        vocab_size=1000, dim=50, loss=LOSSES[loss], model=model, window=5, k=5,
        threads=threads, longest_block=1 << 17,
    )  # fmt: skip


def test_estimate_of_the_example_by_example_kernel():
    neg = _estimate_of("neg")
    assert neg.model == 2 * 1000 * 50 * 4  # two float32 matrices
    block = 2 * (1 << 17) * 4  # the block read from disk and its kept words
    # skip-gram: 2·window hidden vectors and gradients, a 10 × (k+1) block of scores
    # and coefficients, three candidate vectors (ids, labels, offsets) of 8 bytes
    scratch = 2 * 10 * 50 * 4 + 2 * 10 * 6 * 4 + 3 * 6 * 8
    assert neg.buffers == 1000 * 64 + 2 * (block + scratch)
    cbow = _estimate_of("neg", model="cbow")
    assert cbow.buffers == 1000 * 64 + 2 * (block + 2 * 50 * 4 + 2 * 6 * 4 + 3 * 6 * 8)
    hs = _estimate_of("hs")  # paths of up to 64 inner nodes per word, 8 bytes each
    assert hs.buffers == 1000 * (64 + 64 * 8) + 2 * (
        block + 2 * 10 * 50 * 4 + 2 * 10 * 64 * 4 + 3 * 64 * 8
    )
    assert _estimate_of("neg", threads=4).buffers - neg.buffers == 2 * (block + scratch)
    # four centre words sharing their draws: 4 · 2·window hidden rows, k + 4 candidates
    grouped = memory.estimate(
        vocab_size=1000, dim=50, loss=LOSSES["nce"], model="skipgram", window=5, k=5,
        threads=2, longest_block=1 << 17, noise_group=4,
    )  # fmt: skip
    scratch = 2 * 40 * 50 * 4 + 2 * 40 * 9 * 4 + 3 * 9 * 8
    assert grouped.buffers == 1000 * 64 + 2 * (block + scratch)


def test_estimate_of_the_batched_softmax():
    softmax = _estimate_of("softmax", threads=1)
    assert softmax.model == _estimate_of("neg").model
    examples = 2 * 2 * 5 * (1 << 17) * 20  # every example of the block, twice, 20 bytes each
    batch = 64 * 1000 * 4 + 1000 * 50 * 4 + 2 * 64 * 50 * 4  # scores, W update, H and dH
    assert softmax.buffers == 1000 * 64 + 2 * (1 << 17) * 4 + examples + batch


def _estimate(total):
    return memory.MemoryEstimate(model=total, buffers=0, vocab_size=10, dim=10)


def test_check_refuses_more_than_the_machine_has(monkeypatch):
    monkeypatch.setattr(memory, "memory_limits", lambda: (1 << 30, 2 << 30))
    said, warned = [], []
    with pytest.raises(UserError, match="not enough memory.*lower --max-vocab or --dim"):
        memory.check(_estimate(3 << 30), said.append, warned.append)


def test_check_prints_large_estimates_and_warns_above_what_is_available(monkeypatch):
    monkeypatch.setattr(memory, "memory_limits", lambda: (1 << 30, 8 << 30))
    said, warned = [], []
    memory.check(_estimate(100 << 20), said.append, warned.append)
    assert said == [] and warned == []
    memory.check(_estimate(3 << 30), said.append, warned.append)
    assert said == [f"memory: {_estimate(3 << 30).describe()}"]
    assert len(warned) == 1 and "only 1.0 GiB is available" in warned[0]


def test_a_model_that_cannot_fit_is_refused_before_allocating(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    result = run_cli(
        "train", corpus, "--min-count", "1", "--dim", "2000000000", "-o", tmp_path / "v.txt"
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: not enough memory: ")
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


# -- one huge line ---------------------------------------------------------------------------

_PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
sys.stderr.buffer.write(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.exit(done.returncode)
"""


def _one_line_corpus(path, tokens, seed=0):
    """``tokens`` words from a 2,000-word vocabulary, space-separated, no newline at all."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(2000)])
    with open(path, "w") as f:
        for start in range(0, tokens, 1 << 18):
            n = min(1 << 18, tokens - start)
            f.write(" ".join(words[rng.zipf(1.3, size=n) % 2000]) + " ")
    return path.stat().st_size


def _peak_rss_training(corpus, tmp_path):
    """Peak RSS (bytes) of ``w2v-nce train`` alone, measured by a fresh parent process."""
    result = subprocess.run(
        [
            sys.executable, "-c", _PEAK_RSS, entry_point(), "train", str(corpus),
            "--dim", "8", "--k", "1", "--window", "2", "--epochs", "1", "--threads", "2",
            "--quiet", "-o", str(tmp_path / "v.txt"), "--tmp-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


def test_a_single_huge_line_trains_in_bounded_memory(tmp_path):
    """Five times the corpus (one line, 7 → 37 million bytes, no newline) may not cost
    more than a few MB of extra memory: the line is read in pieces, the ids live on disk.
    Holding the line would cost its bytes and about 60 bytes per token as Python strings."""
    small = _one_line_corpus(tmp_path / "small.txt", 2_000_000)
    large = _one_line_corpus(tmp_path / "large.txt", 10_000_000)
    small_rss = _peak_rss_training(tmp_path / "small.txt", tmp_path)
    large_rss = _peak_rss_training(tmp_path / "large.txt", tmp_path)
    assert large - small > 25_000_000
    growth = large_rss - small_rss
    assert growth < 0.25 * (large - small), (small_rss, large_rss, large - small)


def test_the_bucket_matrix_is_counted():
    """--subwords: the bucket matrix (B × dim floats) and each word's n-gram ids."""
    plain = _estimate_of("neg")
    with_buckets = memory.estimate(
        vocab_size=1000, dim=50, loss=LOSSES["neg"], model="skipgram", window=5, k=5,
        threads=2, longest_block=1 << 17, buckets=300_000,
    )  # fmt: skip
    assert with_buckets.model == plain.model + 300_000 * 50 * 4
    assert with_buckets.buffers == plain.buffers + 1000 * (memory.NGRAMS_PER_WORD * 4 + 8)
    assert "300,000 --buckets" in with_buckets.describe()


def test_buckets_that_cannot_fit_are_refused_before_allocating(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    result = run_cli(
        "train", corpus, "--min-count", "1", "--subwords", "3-6", "--buckets", "4000000000000",
        "-o", tmp_path / "v.txt",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: not enough memory: ") and "--buckets" in last
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


def test_sgemm_rate_is_the_mean_or_the_fastest_product(monkeypatch):
    """On a clock where the three timed products take 3, 1 and 2 s: the mean rate is
    the flops over 2 s each, the fastest over 1 s (the softmax estimate's reading,
    which other work on the machine does not slow)."""
    import types

    def clock():
        # the start; before and after each product; the loop's last test; the end
        now = iter([0.0, 0.0, 3.0, 3.0, 4.0, 4.0, 6.0, 6.0, 6.0])
        return types.SimpleNamespace(perf_counter=lambda: next(now))

    flops = 2.0 * 4 * 5 * 3
    monkeypatch.setattr(memory, "time", clock())
    assert memory.sgemm_rate(4, 5, 3, repeats=3) == flops / 2.0
    monkeypatch.setattr(memory, "time", clock())
    assert memory.sgemm_rate(4, 5, 3, repeats=3, fastest=True) == flops / 1.0


def test_the_softmax_estimate_times_one_blas_thread_per_training_thread(monkeypatch):
    """The kernel calls sgemm on one BLAS thread per vocabulary tile and training
    thread: the estimate measures it so (BLAS's own threads on a product this small
    made it some hundred times too slow on a busy machine) and times the threads."""
    from threadpoolctl import threadpool_info

    from w2v_nce.params import TrainConfig

    seen = []

    def rate(*args, **kwargs):
        seen.append(
            [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        )
        return 50e9

    monkeypatch.setattr(memory, "sgemm_rate", rate)
    monkeypatch.setattr(memory, "usable_cores", lambda: 8)
    counts = np.full(300, 100, dtype=np.int64)
    for threads in (1, 4):
        config = TrainConfig(loss="softmax", threads=threads).validate()
        assert memory.softmax_cost(counts, config)[2] == 50e9 * threads
    assert seen and all(pools == [1] * len(pools) for pools in seen), seen


def test_the_softmax_estimate_reads_in_units_that_fit():
    said = []
    config = (
        __import__("w2v_nce.params", fromlist=["TrainConfig"])
        .TrainConfig(loss="softmax", threads=1, dim=16, epochs=1)
        .validate()
    )
    memory.check_softmax_cost(np.full(300, 30, dtype=np.int64), config, said.append, said.append)
    (line,) = said
    assert "GFLOP;" in line and "0.0 " not in line and line.endswith(" seconds"), line
    assert memory._flops(3.2e12) == "3.2 TFLOP" and memory._flops(4.5e10) == "45 GFLOP"
    assert memory._flops(2e8) == "200 MFLOP" and memory._duration(0.0261) == "0.026 seconds"
    assert memory._duration(5000) == "83 minutes" and memory._duration(7200) == "2.0 hours"


def test_the_default_threads_are_the_cores_the_process_may_use():
    """Pinned to one core (as taskset or a container's cpuset pins it) the default
    --threads is the cores the process may run on, not the machine's (os.cpu_count)."""
    script = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from w2v_nce.params import TrainConfig; print(TrainConfig().threads)"
    )
    pinned = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert pinned.returncode == 0, pinned.stderr
    assert pinned.stdout.strip() == "1"
