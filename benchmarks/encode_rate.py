"""Tokens per second of the corpus pass (read, tokenize, count, encode), by worker count.

    python benchmarks/encode_rate.py [CORPUS] [--workers 1,2] [--repeats 5]
        [--against REV] [--json PATH]

CORPUS (default ../shared/corpora/bench-dev.txt.gz, else the demo corpus) is measured
twice: as given (a .gz is one stream, read by one thread) and decompressed once, outside
any timing, to a plain file in a temporary directory (read by --workers threads over
newline-aligned byte ranges). ``--concatenate N`` makes the plain file N copies of the
corpus (and skips the .gz): N times the tokens, the same distinct words, which shows
the rate of a large corpus, where the work per distinct word (merging the threads'
tables, choosing the vocabulary) weighs less.

Every measurement is a fresh ``python`` child that imports w2v_nce and times one call
-- ``encode_corpus(path, workers=W)`` (``encode``: the whole pass, including choosing
the vocabulary and writing the final id file) or ``count_words(path, workers=W)``
(``count``: what ``w2v-nce vocab`` does) -- reporting wall seconds and the process's
CPU seconds (user + system) over the call. tokens/s = corpus tokens / wall seconds;
tokens per CPU-second is the per-core rate, which a loaded machine disturbs less.

``--against REV`` also measures the w2v_nce package of git revision REV (extracted
with ``git archive`` into a temporary directory; its encode_corpus has no ``workers``,
so only 1 worker) in the same rounds. Every round runs every variant once, the order
rotated from round to round, so that slow phases of a shared machine hit all variants
alike; the table gives medians over the rounds.

Before the timed call each child encodes a tiny corpus, which loads the compiled code
(and Numba itself: about 0.5 s on the first jitted call of a process, which training
pays anyway); that start-up is reported apart. Compile time: that start-up in a child
with an empty NUMBA_CACHE_DIR (it compiles the kernels) minus the median start-up with
the cache.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = (
    ROOT.parent / "shared" / "corpora" / "bench-dev.txt.gz",
    ROOT / "data" / "wordnet-glosses.txt.gz",
)

CHILD = """
import inspect, json, os, resource, sys, tempfile, time
from w2v_nce.io import encode
kind, path, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
call = encode.encode_corpus if kind == "encode" else encode.count_words
kwargs = {"workers": workers} if "workers" in inspect.signature(call).parameters else {}


def run(path):
    result = call(path, **kwargs)
    if kind == "encode":
        result.close()
        return result.raw_tokens
    return result[2]


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


with tempfile.NamedTemporaryFile("w", suffix=".txt") as tiny:
    tiny.write("a tiny corpus to load the compiled code\\n" * 50)
    tiny.flush()
    t0 = time.perf_counter()
    run(tiny.name)
    startup = time.perf_counter() - t0
c0, t0 = cpu(), time.perf_counter()
tokens = run(path)
seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
print(json.dumps({"tokens": tokens, "seconds": seconds, "cpu": cpu_seconds,
                  "startup": startup, "file": encode.__file__}))
"""


def measure(package_dir: Path, kind: str, path: Path, workers: int, env=None) -> dict:
    env = dict(os.environ if env is None else env, PYTHONPATH=str(package_dir))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path), str(workers)],
        capture_output=True, text=True, env=env, check=True, cwd=package_dir,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(result.pop("file")).is_relative_to(package_dir), "imported the wrong w2v_nce"
    return result


def extract(rev: str, into: Path) -> Path:
    """The w2v_nce package of git revision ``rev``, in ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "w2v_nce"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="also measure this git revision")
    parser.add_argument("--kinds", default="encode,count")
    parser.add_argument(
        "--concatenate", type=int, default=1, metavar="N",
        help="the plain file is N copies of the corpus (more tokens, the same words)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the raw measurements here")
    args = parser.parse_args()
    args.corpus = args.corpus or next(p for p in DEFAULT_CORPORA if p.exists())
    args.workers = [int(w) for w in args.workers.split(",")]
    args.kinds = args.kinds.split(",")
    return args


def prepare_inputs(corpus: Path, copies: int, tmp: Path) -> dict[str, Path]:
    """{label: path}: "plain", ``copies`` copies of the corpus decompressed (outside any
    timing), and the .gz itself (one stream) when it is one and not copied."""
    plain = tmp / "corpus.txt"
    opener = gzip.open if corpus.read_bytes()[:2] == b"\x1f\x8b" else open
    with open(plain, "wb") as dst:
        for _ in range(copies):
            with opener(corpus, "rb") as src:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            dst.write(b"\n")
    inputs = {"plain": plain}
    if opener is gzip.open and copies == 1:
        inputs[corpus.name] = corpus
    return inputs


def measure_rounds(args, packages: dict[str, Path], inputs: dict[str, Path]) -> dict:
    """{(package, kind, input, workers): [one measurement per round]}, every variant once
    per round, the order rotated from round to round."""
    variants = []  # (package, kind, input, workers)
    for kind in args.kinds:
        for label in inputs:
            for package in packages:
                for w in args.workers if package == "current" and label == "plain" else [1]:
                    variants.append((package, kind, label, w))
    for package in packages:  # warm the page cache and the Numba cache
        measure(packages[package], "count", inputs["plain"], 1)
    results = {v: [] for v in variants}
    for round_ in range(args.repeats):
        shift = round_ % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            package, kind, label, w = variant
            results[variant].append(measure(packages[package], kind, inputs[label], w))
        print(f"round {round_ + 1}/{args.repeats} done", file=sys.stderr)
    return results


def compile_cost(results: dict, plain: Path, tmp: Path) -> float:
    """Seconds of the first call with an empty Numba cache beyond the median with one."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba-cache"))
    cold = measure(ROOT, "encode", plain, 1, env)["startup"]
    warm = statistics.median(r["startup"] for r in results[("current", "encode", "plain", 1)])
    return cold - warm


def print_results(args, results: dict, packages: dict, compile_seconds: float | None) -> None:
    tokens = next(iter(results.values()))[0]["tokens"]
    copies = f" ({args.concatenate} copies)" if args.concatenate > 1 else ""
    print(f"corpus {args.corpus}{copies}: {tokens:,} tokens; medians of {args.repeats} rounds\n")
    print("| pass | input | code | workers | tokens/s | tokens/CPU-s | vs baseline (wall, CPU) |")
    print("|---|---|---|---:|---:|---:|---:|")
    rows = {
        variant: (
            tokens / statistics.median(r["seconds"] for r in runs),
            tokens / statistics.median(r["cpu"] for r in runs),
        )
        for variant, runs in results.items()
    }
    for (package, kind, label, w), (rate, per_cpu) in rows.items():
        base = rows.get((f"@{args.against}", kind, label, 1))
        ratio = ""
        if base and package == "current":
            ratio = f"{rate / base[0]:.2f}×, {per_cpu / base[1]:.2f}×"
        print(
            f"| {kind} | {label} | {package} | {w} | {rate / 1e6:.2f} M "
            f"| {per_cpu / 1e6:.2f} M | {ratio} |"
        )
    for kind in args.kinds:
        one = rows.get(("current", kind, "plain", 1))
        for w in args.workers[1:]:
            many = rows.get(("current", kind, "plain", w))
            if one and many:
                print(f"\n{kind}, plain file: {w} workers {many[0] / one[0]:.2f}× one worker")
    for package in packages:
        startups = [r["startup"] for (p, *_), runs in results.items() if p == package for r in runs]
        print(f"\n{package}: first call on a tiny corpus {statistics.median(startups):.2f} s")
    if compile_seconds is not None:
        print(f"\nfirst call with an empty Numba cache: +{compile_seconds:.1f} s (compilation)")


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="encode-rate-") as tmp:
        tmp = Path(tmp)
        inputs = prepare_inputs(args.corpus, args.concatenate, tmp)
        packages = {"current": ROOT}
        if args.against:
            (tmp / "baseline").mkdir()
            packages[f"@{args.against}"] = extract(args.against, tmp / "baseline")
        results = measure_rounds(args, packages, inputs)
        compile_seconds = None
        if "encode" in args.kinds:
            compile_seconds = compile_cost(results, inputs["plain"], tmp)
    print_results(args, results, packages, compile_seconds)
    if args.json:
        raw = [{"package": p, "kind": k, "input": i, "workers": w, "runs": runs}
               for (p, k, i, w), runs in results.items()]  # fmt: skip
        args.json.write_text(
            json.dumps(
                {"corpus": str(args.corpus), "compile_seconds": compile_seconds, "results": raw},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
