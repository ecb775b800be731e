"""The corpus pass alone against 0.1.0's (benchmarks/encode_rate.py)."""

import subprocess

from .. import encode_rate
from ..common import COPIES, ROOT, Section, corpus_copies, fmt, log, median, ratio, rotated, table

BASELINE_REV = "f7dda9a"  # w2v-nce 0.1.0: the corpus pass in one Python thread


def measure(bench):
    """The corpus pass alone (read, tokenize, count, encode) on the plain corpus, and on
    COPIES copies of it (the same words, more tokens: a corpus large enough that
    the pass's fixed costs -- starting the workers, merging their tables, choosing the
    vocabulary -- weigh little, as on a corpus worth parallel reading).

    benchmarks/encode_rate.py's measurement: a fresh child times one
    ``encode_corpus(path, workers=W)`` call, wall and CPU seconds, after loading the
    compiled code on a tiny corpus. This version with 1 and --threads workers, and
    0.1.0's package (``git archive`` of BASELINE_REV; one Python thread) on the
    corpus, in the same rounds.
    """
    packages = {"current": ROOT}
    try:
        baseline = bench.work_dir / "baseline"
        baseline.mkdir(exist_ok=True)
        packages["0.1.0"] = encode_rate.extract(BASELINE_REV, baseline)
    except (OSError, subprocess.CalledProcessError) as error:
        log(f"encode: no 0.1.0 baseline ({error}); measuring this version alone")
    copies = corpus_copies(bench, bench.work_dir / "corpus-copies.txt")
    inputs = {"corpus": bench.corpus, f"{COPIES} copies": copies}
    workers = sorted({1, bench.args.threads})
    variants = [("current", label, w) for label in inputs for w in workers]
    variants += [(name, "corpus", 1) for name in packages if name != "current"]
    for package in packages.values():  # warm the Numba and page caches
        encode_rate.measure(package, "count", bench.corpus, 1)
    runs = {variant: [] for variant in variants}
    for round_ in range(bench.args.repeats):
        log(f"encode: round {round_ + 1}/{bench.args.repeats}")
        for name, label, w in rotated(variants, round_):
            try:
                result = encode_rate.measure(packages[name], "encode", inputs[label], w)
            except subprocess.CalledProcessError as error:
                bench.failures.append(
                    {
                        "run": f"encode {name} {label} workers={w}",
                        "command": "",
                        "tail": error.stderr,
                    }
                )
                continue
            runs[(name, label, w)].append(result)
            log(f"  encode {name} {label} workers={w:<3} {result['seconds']:7.2f} s")
    copies.unlink()
    rows = []
    for (name, label, w), done in runs.items():
        if done:
            tokens = done[0]["tokens"]
            rows.append(
                {
                    "code": name,
                    "input": label,
                    "tokens": tokens,
                    "workers": w,
                    "tokens_per_sec": tokens / median([r["seconds"] for r in done]),
                    "tokens_per_cpu_sec": tokens / median([r["cpu"] for r in done]),
                }
            )
    return {"baseline_rev": BASELINE_REV, "rows": rows}


ENCODE_NOTE = (
    "The corpus pass alone (read, tokenize, count, choose the vocabulary, write the "
    "encoded ids) on the plain corpus file: `encode_corpus(path, workers=W)` timed in a "
    "fresh child (benchmarks/encode_rate.py), wall and CPU seconds; medians over the "
    "rounds. 0.1.0's pass (one Python thread) is measured in the same rounds; per core × "
    "0.1.0 compares tokens per CPU-second, which a loaded machine disturbs less. The "
    "copies are the corpus several times over: on it the pass's fixed costs (starting "
    "the workers, merging their word tables, choosing the vocabulary) weigh little, as "
    "on any corpus large enough for the reading to matter."
)


def encode_text(encode):
    rows = {(r["code"], r["input"], r["workers"]): r for r in encode["rows"]}
    baseline = rows.get(("0.1.0", "corpus", 1))
    body = []
    for (code, label, workers), row in rows.items():
        one = rows.get((code, label, 1))
        per_core = ratio(row["tokens_per_cpu_sec"], baseline and baseline["tokens_per_cpu_sec"])
        body.append(
            [
                "this version" if code == "current" else f"{code} (`{encode['baseline_rev']}`)",
                f"{label} ({row['tokens']:,} tokens)",
                workers,
                fmt(row["tokens_per_sec"]),
                fmt(row["tokens_per_cpu_sec"]),
                fmt(per_core, suffix="×"),
                fmt(ratio(row["tokens_per_sec"], one and one["tokens_per_sec"]), suffix="×"),
            ]
        )
    # The column titles, one a line (data: every section's table ends like this one).
    header = [
        "code",
        "input",
        "workers",
        "tokens/s",
        "tokens per CPU-second",
        "per core × 0.1.0",
        "× 1 worker",
    ]
    return ENCODE_NOTE + "\n\n" + table(header, body)


SECTION = Section("encode", "Encoding the corpus", measure, lambda r: encode_text(r["encode"]))
