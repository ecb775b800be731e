"""One checkpoint of a bench-dev-sized model (27,445 words x dim 100): seconds per write."""

import os
import tempfile
import time

import numpy as np

import w2v_nce
from w2v_nce import checkpoint
from w2v_nce.trainer import RunState

m = w2v_nce.train(
    [[f"w{i}" for i in range(27445)]] * 5, min_count=1, epochs=1, progress=False, threads=1
)
path = os.path.join(tempfile.mkdtemp(), "ck.npz")
state = RunState(done=np.zeros(5 * 18, dtype=bool))
times = []
for _ in range(7):
    t = time.perf_counter()
    checkpoint.save(path, m, state, {"options": {}, "corpus": {}})
    times.append(time.perf_counter() - t)
cost = sorted(times)[3]
size = os.path.getsize(path) / 2**20
print(
    f"one checkpoint: {cost:.3f} s (median of 7), {size:.1f} MiB;",
    f"at the default 600 s: {cost / 6:.3f}%",
)
