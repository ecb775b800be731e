"""The kernel's arithmetic rate against numpy's sgemm in one thread."""

import json
import os
import sys
from pathlib import Path

# The softmax section imports much the same list: both time w2v-nce against numpy's sgemm.
from ..common import (
    SETTINGS,
    Section,
    count_tokens,
    fmt,
    head_corpus,
    log,
    median,
    ratio,
    rotated,
    table,
    train_summary,
)
from ..systems import Setup, w2v_nce_command

KERNEL_TOKENS = 1_000_000  # the kernel-rate corpus (one thread, k up to 64)


SGEMM_SHAPE = (64, 512)  # (rows, columns) of the one-thread sgemm the kernel is compared with


# The dimensions of the kernel-rate runs: the benchmark's, and 300 (the 1-billion-word
# benchmark's and most published vectors'; issue 28)
KERNEL_DIMS = (SETTINGS["dim"], 300)


# --noise-group of the kernel-rate runs: nce's default (4 centre words share a draw set), and 1
KERNEL_GROUPS = (None, 1)


SGEMM_SCRIPT = """
import json, sys
from w2v_nce.memory import sgemm_rate
rows, columns, dim = (int(x) for x in sys.argv[1:4])
print(json.dumps({"gflops": sgemm_rate(rows, columns, dim, seconds=2.0) / 1e9}))
"""


def kernel_flops_per_pair(k, dim=SETTINGS["dim"]):
    """Flops of one pair's share of the candidate block: (k + 1) · 6 · dim.

    S = H Vᵀ, D = C V and V += Cᵀ H are 2 flops per (row, candidate, dimension)
    each, and an nce pair has k + 1 candidates (the positive and k draws, none
    dropped); the logistic step and the bookkeeping are not counted.
    """
    return (k + 1) * 6 * dim


def measure(bench):
    """The kernel's arithmetic rate: `--loss nce --threads 1`, flops over training seconds,
    at each of KERNEL_DIMS.

    Against numpy's float32 sgemm in one thread (OPENBLAS_NUM_THREADS=1 and the
    like in a child) on a (64 × dim) @ (dim × 512) shape, by wall time over 2 s as
    the kernel is, once per round and dimension between the kernel runs: a shared
    machine slows both alike.
    """
    args = bench.args
    ks = [int(k) for k in args.nce_k.split(",")]
    corpus = head_corpus(bench.corpus, bench.work_dir / "kernel.txt", KERNEL_TOKENS)
    one_thread = {
        name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env = dict(os.environ, **one_thread)
    jobs = [(dim, k, group) for dim in KERNEL_DIMS for k in ks for group in KERNEL_GROUPS]
    rates = {job: [] for job in jobs}
    sgemm = {dim: [] for dim in KERNEL_DIMS}
    for round_ in range(args.repeats):
        log(f"kernel: round {round_ + 1}/{args.repeats}")
        for dim, k, group in rotated(jobs, round_):
            rate = kernel_rate(bench, corpus, env, dim, k, group, round_)
            if rate is not None:
                rates[(dim, k, group)].append(rate)
        for dim in KERNEL_DIMS:
            rate = sgemm_in_child(bench, env, dim, round_)
            if rate is not None:
                sgemm[dim].append(rate)
    return {
        "tokens": count_tokens(corpus),
        "dims": {
            str(dim): {
                "sgemm_gflops": median(sgemm[dim]),
                "k": {str(k): median(rates[(dim, k, None)]) for k in ks},
                "k_alone": {str(k): median(rates[(dim, k, 1)]) for k in ks},
            }
            for dim in KERNEL_DIMS
        },
    }


def kernel_rate(bench, corpus, env, dim, k, group, round_):
    """GFLOP/s of one `--loss nce --threads 1` run (None if it failed)."""
    settings = dict(SETTINGS, dim=dim)
    command = w2v_nce_command(
        corpus, bench.work_dir / "kernel.bin", 1, 1, Setup(loss="nce", k=k), bench.work_dir,
        settings,
    )  # fmt: skip
    if group is not None:
        command += ["--noise-group", str(group)]
    name = f"w2v-nce nce dim={dim} k={k} noise group {group or 'default'} threads=1"
    run = bench.run(f"{name} (round {round_ + 1})", command, env)
    summary = train_summary(run) if run.ok else None
    if not summary:
        return None
    return kernel_flops_per_pair(k, dim) * summary["examples"] / summary["seconds"] / 1e9


def sgemm_in_child(bench, env, dim, round_):
    """GFLOP/s of numpy's sgemm at ``dim`` in a one-thread child (None if it failed)."""
    rows, columns = SGEMM_SHAPE
    argv = [sys.executable, "-c", SGEMM_SCRIPT, str(rows), str(columns), str(dim)]
    run = bench.run(f"numpy sgemm, dim {dim}, one thread (round {round_ + 1})", argv, env)
    if not run.ok:
        return None
    return json.loads(Path(run.err_path).with_suffix(".out").read_text())["gflops"]


def kernel_text(kernel):
    dims = kernel.get("dims") or {str(SETTINGS["dim"]): kernel}  # results from before issue 28
    note = (
        f"`w2v-nce train --loss nce --k K --dim DIM --threads 1 --epochs 1` on the first "
        f"{kernel['tokens']:,} tokens, with nce's default `--noise-group 4` (four consecutive "
        "centre words share one set of k noise draws, one block of all their hidden rows) "
        "and with `--noise-group 1` (a set per centre word); flops per pair = (K + 1) · 6 · "
        "DIM (the candidate block's three products S = H Vᵀ, D = C V, V += Cᵀ H, 2 flops per "
        "row, candidate and dimension each; the masked terms of a group's block "
        "are not counted), over the training seconds of the summary line. sgemm: numpy "
        f"float32 ({SGEMM_SHAPE[0]} × DIM) @ (DIM × {SGEMM_SHAPE[1]}) in one thread, by "
        "wall time over 2 s in each round (medians over the rounds)."
    )
    rows = []
    for dim, at in dims.items():
        sgemm, alone = at["sgemm_gflops"], at.get("k_alone", {})
        rows += [
            [
                dim,
                k,
                f"{kernel_flops_per_pair(int(k), int(dim)):,}",
                fmt(rate),
                fmt(ratio(rate, sgemm)),
                fmt(alone.get(k)),
                fmt(ratio(alone.get(k), sgemm)),
            ]
            for k, rate in at["k"].items()
        ]
        rows.append([dim, "numpy sgemm, one thread", "", fmt(sgemm), "1.00", "", ""])
    # The column titles, one a line (data: every section's table ends like this one).
    header = [
        "dim",
        "k",
        "flops per pair",
        "GFLOP/s",
        "÷ sgemm",
        "GFLOP/s, `--noise-group 1`",
        "÷ sgemm, `--noise-group 1`",
    ]
    return note + "\n\n" + table(header, rows)


SECTION = Section("kernel", "Kernel arithmetic rate", measure, lambda r: kernel_text(r["kernel"]))
