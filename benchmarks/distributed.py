"""Data-parallel training on Dask against one process: speed, quality, what a sync costs.

    python benchmarks/distributed.py CORPUS [--epochs 5] [--losses neg,nce]
        [--sync-sweep 65536,262144,1048576] [--json PATH]

The corpus is decompressed once to a plain file (a compressed file would be one
shard: Dask workers split plain files by newline-aligned byte ranges). Every run is
the installed ``w2v-nce train`` console script with ``--json``, skip-gram, seed 1:

- quality and speed, per loss: ``--threads 2`` (1 process × 2 threads) against
  ``--workers 2 --threads 1`` (2 Dask workers × 1 thread), the same epochs;
  WordSim-353 and analogy with 95% bootstrap intervals and the paired difference
  (workers minus one process) on the same resampled pairs and questions (the
  bench's helpers, benchmarks/bench.py);
- the cost of synchronising, at 2 and 4 workers × 1 thread: the share of the
  rounds' wall time outside the slowest worker's training, bytes sent per sync
  (the changed rows up, the combined rows down to every worker) and seconds per
  sync, from the run's ``distributed`` record;
- ``--sync-every``: 2 workers, 1 epoch, at each value of ``--sync-sweep``;
- a projection to 8, 32 and 128 workers on a 10 Gbit/s network from the neg
  2-worker run's bytes and seconds per sync (:func:`projection`).

words/s is the training phase's (``words_per_sec`` of ``--json``: cluster start,
counting and encoding excluded, as for one process); wall is the whole command.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402  (benchmarks/bench.py: corpus handling and quality helpers)


def train(corpus: Path, out: Path, epochs: int, loss: str, extra: list[str]) -> dict:
    command = [
        bench.sibling_or_path("w2v-nce"), "train", str(corpus), "--loss", loss, "--seed", "1",
        "--epochs", str(epochs), "--binary", "-o", str(out), "--json", "--quiet", *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr}")
    record = json.loads(result.stdout)
    record["wall"] = wall
    bench.log(
        f"  {loss} {' '.join(extra):<32} {record['words_per_sec']:>10,.0f} words/s, "
        f"wall {wall:.0f} s"
        + (
            f", sync share {record['distributed']['sync_share']:.0%}, "
            f"{record['distributed']['bytes_per_sync'] / 1e6:.1f} MB/sync"
            if "distributed" in record
            else ""
        )
    )
    return record


def scored(record: dict, out: Path):
    quality, scores = bench.evaluate(out)
    record["quality"] = quality
    bench.log(f"  {'':<34} WS-353 {quality['ws353']:.3f}, analogy {quality['analogy']:.3f}")
    return scores


def compare(corpus: Path, work: Path, epochs: int, loss: str) -> dict:
    """1 process × 2 threads against 2 workers × 1 thread: speed, quality, paired difference."""
    one, two = work / f"{loss}-one.bin", work / f"{loss}-workers.bin"
    runs = {
        "one_process_2_threads": train(corpus, one, epochs, loss, ["--threads", "2"]),
        "workers_2x1": train(corpus, two, epochs, loss, ["--workers", "2", "--threads", "1"]),
    }
    scores_one = scored(runs["one_process_2_threads"], one)
    scores_two = scored(runs["workers_2x1"], two)
    runs["difference"] = {
        name: scores_two[name].difference(scores_one[name]) for name in ("ws353", "analogy")
    }
    runs["speed_ratio"] = (
        runs["workers_2x1"]["words_per_sec"] / runs["one_process_2_threads"]["words_per_sec"]
    )
    return runs


LINK_BYTES_PER_SEC = 10e9 / 8  # a 10 Gbit/s network
LATENCY = 0.005  # seconds per round for the messages themselves (scheduling, round trips)


def projection(record: dict, workers=(8, 32, 128), link=LINK_BYTES_PER_SEC) -> list[dict]:
    """Words/s at more workers from one run's measured sync record.

    Per round, each worker trains its slice in the measured compute time, sends its
    changed rows (measured bytes up per worker) and receives the combined rows
    (measured bytes down per worker); all of it passes the driver's link, so a round
    takes compute + N · (up + down) / link + N · the combine time per update + latency.
    """
    sync = record["distributed"]
    n, rounds = sync["workers"], max(sync["rounds"], 1)
    up, down = sync["bytes_up"] / rounds / n, sync["bytes_down"] / rounds / n
    compute = sync["compute_seconds"] / rounds
    combine = sync["combine_seconds"] / rounds / n
    words = record["words"] / rounds / n  # per worker per round
    rows = []
    for count in workers:
        seconds = compute + count * (up + down) / link + count * combine + LATENCY
        rows.append(
            {
                "workers": count,
                "round_seconds": seconds,
                "sync_share": 1 - compute / seconds,
                "words_per_sec": count * words / seconds,
                "speedup_over_one_worker": count * compute / seconds,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--losses", default="neg,nce")
    parser.add_argument("--sync-sweep", default="65536,262144,1048576")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results: dict = {"machine": bench.machine(), "epochs": args.epochs}
    with tempfile.TemporaryDirectory(prefix="w2v-nce-distributed-") as tmp:
        work = Path(tmp)
        corpus = bench.plain_corpus(Path(args.corpus), work)
        results["tokens"] = bench.count_tokens(corpus)
        bench.log("warm-up (kernels, page cache)")
        tiny = work / "tiny.txt"
        bench.head_corpus(corpus, tiny, 50_000)
        for loss in args.losses.split(","):
            train(tiny, work / "warm.bin", 1, loss, ["--workers", "2", "--threads", "1"])
        results["compare"] = {}
        for loss in args.losses.split(","):
            bench.log(f"{loss}: 1 process × 2 threads against 2 workers × 1 thread")
            results["compare"][loss] = compare(corpus, work, args.epochs, loss)
        bench.log("sync cost at 4 workers × 1 thread")
        out = work / "four.bin"
        four = train(corpus, out, args.epochs, "neg", ["--workers", "4", "--threads", "1"])
        results["workers_4x1"] = four
        # From the 2-worker run: there each worker has a core of its own (4 workers share 2).
        results["projection"] = projection(results["compare"]["neg"]["workers_2x1"])
        for row in results["projection"]:
            bench.log(
                f"  projected {row['workers']:>3} workers: {row['words_per_sec']:,.0f} words/s, "
                f"sync share {row['sync_share']:.0%}"
            )
        results["sweep"] = {}
        for every in args.sync_sweep.split(","):
            bench.log(f"--sync-every {every}, 2 workers, 1 epoch")
            out = work / f"sweep-{every}.bin"
            record = train(
                corpus, out, 1, "neg", ["--workers", "2", "--threads", "1", "--sync-every", every]
            )
            scored(record, out)
            results["sweep"][every] = record
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
