"""A freshly compiled training kernel and the same kernel loaded from Numba's cache give
the same bytes.

A checkpoint resumes in a new process, which loads the kernel from the cache, and
``--threads 1 --seed`` is promised bit for bit whichever process compiled it. Each
test trains through the installed entry point twice with a Numba cache directory of
its own: first empty (everything compiled), then filled by that first run (the
kernels loaded). Once broke for the full softmax: a fast-math sum came out in another
order in the copy of ``tile_exponentials`` that the cached caller carries
(kernels/softmax.py). One block-kernel loss checks the other kernel.
"""

import os
import subprocess

import pytest

from tests import test_reproducible
from tests.conftest import entry_point

corpus = test_reproducible.corpus  # the fixture: the demo corpus's first 2,000 lines


def train(corpus, out, loss, cache):
    """The vectors file of one ``--threads 1 --seed 3`` run with NUMBA_CACHE_DIR=cache."""
    vocab = ["--max-vocab", "300"] if loss == "softmax" else []
    args = [
        "train", corpus, "--model", "skipgram", "--loss", loss, "--threads", "1",
        "--seed", "3", "--dim", "16", "--epochs", "1", *vocab, "--quiet", "-o", out,
    ]  # fmt: skip
    env = dict(os.environ, PYTHONWARNINGS="ignore", NUMBA_CACHE_DIR=str(cache))
    result = subprocess.run(
        [entry_point(), *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


@pytest.mark.parametrize(
    "loss, kernel",
    [("softmax", "softmax.tiled_step"), ("neg", "block.train_block_of_model*")],
)
def test_the_cached_kernel_gives_the_fresh_kernels_bytes(corpus, tmp_path, loss, kernel):
    cache = tmp_path / "numba-cache"
    fresh = train(corpus, tmp_path / "fresh.txt", loss, cache)
    # The first run compiled the kernel and saved it: the second one loads it.
    assert any(cache.rglob(f"{kernel}-*.nbi")), sorted(p.name for p in cache.rglob("*"))
    if loss == "neg":  # --noise-group 1, no subwords: only that path was compiled
        compiled = {p.name.split("-")[0] for p in cache.rglob("*.nbi")}
        assert {"block.train_block_of_model0_step0", "block.output_step_of_step0"} <= compiled
        steps = {name for name in compiled if name.startswith("block.output_step_of")}
        assert steps == {"block.output_step_of_step0"}, compiled  # not the grouped one
        assert "block.mask_terms" not in compiled, compiled  # the noise groups' masking
    cached = train(corpus, tmp_path / "cached.txt", loss, cache)
    assert cached == fresh
