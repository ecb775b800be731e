"""One checkpoint of a bench-dev-sized model (27,445 words x dim 100): seconds per write.

    python benchmarks/checkpoint_cost.py [--json]

Saves the checkpoint of a real (tiny-corpus) model of that shape seven times, as a
training run does at a task boundary (temporary file, fsync, rename, fsync of the
directory), and reports the median. ``make bench`` runs it as its ``checkpoint``
section.
"""

import json
import os
import sys
import tempfile
import time

import numpy as np

import w2v_nce
from w2v_nce.training import checkpoint
from w2v_nce.training.trainer import RunState

WORDS, DIM, INTERVAL = 27_445, 100, 600.0  # bench-dev's vocabulary; --checkpoint-every 10m


def measure(writes: int = 7) -> dict:
    model = w2v_nce.train(
        [[f"w{i}" for i in range(WORDS)]] * 5,
        min_count=1,
        epochs=1,
        dim=DIM,
        progress=False,
        threads=1,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ck.npz")
        state = RunState(done=np.zeros(5 * 18, dtype=bool))
        times = []
        for _ in range(writes):
            started = time.perf_counter()
            checkpoint.save(path, model, state, {"options": {}, "corpus": {}})
            times.append(time.perf_counter() - started)
        size = os.path.getsize(path)
    seconds = float(np.median(times))
    return {
        "words": WORDS,
        "dim": DIM,
        "seconds": seconds,
        "mib": size / 2**20,
        "interval": INTERVAL,
        "share": seconds / INTERVAL,
    }


if __name__ == "__main__":
    result = measure()
    if "--json" in sys.argv[1:]:
        print(json.dumps(result))
    else:
        print(
            f"one checkpoint: {result['seconds']:.3f} s (median of 7), {result['mib']:.1f} MiB; "
            f"at the default {INTERVAL:.0f} s: {100 * result['share']:.3f}% of training time"
        )
