"""Data-parallel training on Dask against one process: speed, quality, what a sync costs.

Every run is ``w2v-nce train`` on the plain corpus with ``--json`` (skip-gram,
seed 1, the main table's epochs):

- per loss (neg, nce): ``--threads 2`` (1 process × 2 threads) against ``--workers 2
  --threads 1`` (2 Dask workers × 1 thread); WordSim-353 and analogy with their
  intervals and the paired difference, workers minus one process;
- the cost of synchronising at 2 and 4 workers × 1 thread: the share of the rounds'
  wall time outside the slowest worker's training, bytes per sync (every update to
  every other worker, and the driver's snapshots of the model), seconds per sync;
  and from the neg 2-worker run, a projection to 8, 32 and 128 workers on a 10 Gbit/s
  network;
- ``--sync-every`` at 65,536, 262,144 and 1,048,576 words per worker (2 workers, 1
  epoch, neg).

words/s is the training phase's (``words_per_sec`` of ``--json``): the cluster's start,
the counting and the encoding are excluded, as they are from one process's.
"""

import json
from pathlib import Path

from ..common import Section, fmt, log, sibling_or_path, table
from ..quality import evaluate, signed_interval

LOSSES = ("neg", "nce")
SYNC_SWEEP = (65_536, 262_144, 1_048_576)
LINK_BYTES_PER_SEC = 10e9 / 8  # a 10 Gbit/s network
LATENCY = 0.005  # seconds per round for the messages themselves
PROJECTED = (8, 32, 128)


def train(bench, label, loss, epochs, extra, corpus=None):
    """One ``w2v-nce train --json`` run: its summary with ``wall``, and its vectors' path."""
    out = bench.work_dir / "distributed.bin"
    out.unlink(missing_ok=True)
    argv = [
        sibling_or_path("w2v-nce"), "train", str(corpus or bench.corpus), "--loss", loss,
        "--seed", "1", "--epochs", str(epochs), "--binary", "-o", str(out), "--json", "--quiet",
        *extra,
    ]  # fmt: skip
    run = bench.run(label, argv)
    if not run.ok:
        return None, out
    record = json.loads(Path(run.err_path).with_suffix(".out").read_text())
    record["wall"] = run.wall
    return record, out


def scored(bench, label, loss, epochs, extra):
    record, out = train(bench, label, loss, epochs, extra)
    if record is None:
        return None, None
    record["quality"], scores = evaluate(out)
    return record, scores


def compare(bench, loss, epochs):
    """1 process × 2 threads against 2 workers × 1 thread, paired."""
    single = ["--threads", "2"]
    one, one_scores = scored(bench, f"{loss} 1 process x 2 threads", loss, epochs, single)
    two, two_scores = scored(
        bench, f"{loss} 2 workers x 1 thread", loss, epochs, ["--workers", "2", "--threads", "1"]
    )
    if one is None or two is None:
        return None
    difference = {k: two_scores[k].difference(one_scores[k]) for k in ("ws353", "analogy")}
    return {"one": one, "workers": two, "difference": difference}


def projection(record, workers=PROJECTED, link=LINK_BYTES_PER_SEC):
    """Words/s at more workers from one run's measured sync record.

    Each round a worker trains its slice (the measured compute), fetches the other
    workers' updates (all to all: N - 1 updates of the measured size into its link)
    and combines the N updates into its mirror (the measured time per update). The
    driver receives no update (its snapshots of the model are rare), so it bounds
    nothing.
    """
    sync = record["distributed"]
    n, rounds = sync["workers"], max(sync["rounds"], 1)
    update = sync["update_bytes"] / rounds / n  # bytes of one worker's update
    compute = sync["compute_seconds"] / rounds
    combine = sync["combine_seconds"] / rounds / n
    words = record["words"] / rounds / n
    rows = []
    for count in workers:
        seconds = compute + count * combine + (count - 1) * update / link + LATENCY
        rows.append(
            {
                "workers": count,
                "round_seconds": seconds,
                "sync_share": 1 - compute / seconds,
                "words_per_sec": count * words / seconds,
                "speedup": count * compute / seconds,
            }
        )
    return rows


def measure(bench):
    epochs = bench.args.epochs
    log("distributed: 1 process x 2 threads against 2 Dask workers x 1 thread")
    warm = ["--workers", "2", "--threads", "1"]
    for loss in LOSSES:  # each loss's kernel loaded (or compiled) once before timing
        train(bench, f"warm-up {loss} workers", loss, 1, warm, corpus=bench.tiny)
    results = {"epochs": epochs, "compare": {loss: compare(bench, loss, epochs) for loss in LOSSES}}
    extra = ["--workers", "4", "--threads", "1"]
    four, _ = train(bench, "neg 4 workers x 1 thread", "neg", epochs, extra)
    results["four"] = four
    # From the 2-worker run: there each worker has a core of its own (4 workers share 2).
    neg = results["compare"]["neg"]
    results["projection"] = projection(neg["workers"]) if neg else None
    results["sweep"] = {}
    for every in SYNC_SWEEP:
        extra = [*warm, "--sync-every", str(every)]
        record, _ = scored(bench, f"neg 2 workers --sync-every {every}", "neg", 1, extra)
        results["sweep"][str(every)] = record
    return results


def cost_row(label, record):
    sync = record["distributed"]
    return [
        label,
        fmt(record["words_per_sec"], 0),
        str(sync["rounds"]),
        f"{100 * sync['sync_share']:.0f}%",
        f"{sync['bytes_per_sync'] / 1e6:.1f}",
        f"{sync['seconds_per_sync']:.2f}",
    ]


NOTE = (
    "`w2v-nce train --workers 2 --threads 1` (a Dask LocalCluster of 2 processes) against "
    "`--threads 2`, {epochs} epochs, seed 1, `--sync-every 262144`; words/s of the training "
    "phase; paired differences workers minus one process; the sync's cost at 2 and 4 "
    "workers, the `--sync-every` sweep (1 epoch) and a projection to more workers on a "
    "10 Gbit/s link from the neg 2-worker run (docs/distributed.md)."
)


def text(results):
    d = results["distributed"]
    rows, diffs, costs = [], [], []
    for loss, c in d["compare"].items():
        if c is None:
            rows.append([loss, "failed", "", "", "", ""])
            continue
        runs = (("1 process × 2 threads", c["one"]), ("2 workers × 1 thread", c["workers"]))
        for name, r in runs:
            q = r["quality"]
            rows.append([loss, name, fmt(r["words_per_sec"], 0), f"{r['wall']:.0f}",
                         f"{q['ws353']:.3f}", f"{q['analogy']:.3f}"])  # fmt: skip
        diffs.append([loss, signed_interval(c["difference"]["ws353"]),
                      signed_interval(c["difference"]["analogy"])])  # fmt: skip
        costs.append(cost_row(f"{loss}, 2 workers", c["workers"]))
    if d["four"]:
        costs.append(cost_row("neg, 4 workers", d["four"]))
    parts = [
        NOTE.format(epochs=d["epochs"]),
        table(["loss", "run", "words/s (training)", "wall s", "WS-353", "analogy"], rows),
        table(["loss", "WS-353 workers − one process", "analogy workers − one process"], diffs),
        table(["run", "words/s", "rounds", "sync share", "MB per sync", "s per sync"], costs),
    ]
    sweep = [
        [k, fmt(r["words_per_sec"], 0), f"{100 * r['distributed']['sync_share']:.0f}%",
         f"{r['quality']['ws353']:.3f}", f"{r['quality']['analogy']:.3f}"]
        for k, r in d["sweep"].items() if r
    ]  # fmt: skip
    parts.append(table(["--sync-every", "words/s", "sync share", "WS-353", "analogy"], sweep))
    if d["projection"]:
        parts.append(
            table(
                ["workers", "words/s (projected)", "sync share", "speed-up over 1 worker"],
                [
                    [
                        str(p["workers"]),
                        fmt(p["words_per_sec"], 0),
                        f"{100 * p['sync_share']:.0f}%",
                        f"{p['speedup']:.1f}",
                    ]
                    for p in d["projection"]
                ],  # fmt: skip
            )
        )
    return "\n\n".join(parts)


SECTION = Section("distributed", "Data-parallel training on Dask", measure, text)
