"""Speed, memory and quality of w2v-nce against gensim, word2vec.c and fastText.

    python benchmarks/bench.py CORPUS [--threads 2] [--repeats 2] [--epochs 5]
        [--only main,threads,nce,kernel,startup,softmax | --skip ...] [--json PATH]

Method
------
The corpus (plain, .gz or .bz2) is decompressed once to a plain file, outside any
timing, and every system reads that same file. Its tokens (runs of non-whitespace)
are counted once; words/s is always corpus tokens x epochs / whole-process wall
seconds, so it includes start-up, vocabulary building and writing the vectors.

Every system trains in its own child process with the same settings (skip-gram,
negative sampling with 5 noise words, window 5, dimension 100, sample 1e-3, min-count
5, alpha 0.025, binary word2vec output):

- w2v-nce: the installed `w2v-nce train ... --quiet` console script;
- gensim: `Word2Vec(corpus_file=...)` in a `python -c` child;
- word2vec.c: the `word2vec` binary that the PyPI package `word2vec` compiles;
- fastText: `fasttext.train_unsupervised(model="skipgram", minn=0, maxn=0)` in a
  `python -c` child (PyPI `fasttext-wheel`).

The optional ones come with `pip install -e '.[bench]'` and are reported as "not
installed" otherwise. A child is started by a tiny `python -S` launcher that spawns
it and reaps it with os.wait4, which gives its wall time (perf_counter around spawn
and reap) and its peak resident set size (ru_maxrss), with no sampling. (Spawned
straight from this process, the child's ru_maxrss would include this process's own
peak, which Linux carries across exec; through the launcher that floor is the
launcher's ~10 MiB, measured on /bin/true and printed with the results.) Before any
timing each system runs once on a tiny slice of the corpus, so Numba's cache and the
page cache are warm.
Each repeat round runs every system once, the order rotated from round to round, so
slow phases of a shared machine hit all systems alike; the tables give the median
wall time over the rounds and the largest peak RSS.

Quality: every output is loaded with gensim's KeyedVectors.load_word2vec_format
and scored on WordSim-353 (Spearman rho) and the Google analogies (3CosAdd,
restrict_vocab=30000) by w2v_nce.evaluation.cosine, which gives the numbers of
gensim's evaluate_word_pairs and evaluate_word_analogies (tests/test_eval_cosine.py)
in a tenth of the time, each with its 95% bootstrap interval (percentile, 1000
seeded resamples of the pairs or questions); medians over the rounds, of the
scores and of the interval bounds. Every metric is also given as a ratio to w2v-nce.

Other sections: w2v-nce thread scaling (word2vec.c beside it as a reference for
what the machine allows), NCE with k = 5, 25, 64 against word2vec.c's negative
sampling with the same k (same number of dot products per pair; 1 epoch unless
--nce-epochs says otherwise, since k = 64 costs about ten times k = 5), the
kernel's arithmetic rate (`--loss nce --threads 1` for the same k, (k + 1) · 6 ·
dim flops per pair, against numpy's sgemm in one thread), start-up (a
first run with an empty NUMBA_CACHE_DIR, which compiles, against a second run with
the same directory, and `w2v-nce --help`), and the full softmax's GFLOP/s against
a numpy sgemm of the same shape when `w2v-nce train --help` offers that loss.

The results replace BENCHMARKS.md (Markdown tables) and are printed; --json dumps
the raw numbers. The environment is passed on unchanged (OPENBLAS_CORETYPE included).
"""

import argparse
import bz2
import datetime
import gzip
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from w2v_nce.kernels.softmax import BATCH as SOFTMAX_BATCH  # the sgemm shape to compare with

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("main", "threads", "nce", "kernel", "startup", "softmax")
SETTINGS = {
    "dim": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "min_count": 5,
    "alpha": 0.025,
    "min_alpha": 0.0001,
}
TINY_TOKENS = 20_000  # the warm-up and start-up corpus
KERNEL_TOKENS = 1_000_000  # the kernel-rate corpus (one thread, k up to 64)
SGEMM_SHAPE = (64, 512)  # (rows, columns) of the one-thread sgemm the kernel is compared with
SOFTMAX_TOKENS = 200_000  # the softmax corpus (every pair costs 6·V·dim flops)

GENSIM_SCRIPT = """
import json, sys
from gensim.models import Word2Vec
p = json.loads(sys.argv[1])
model = Word2Vec(
    corpus_file=p["corpus"], sg=1, hs=0, negative=p["negative"], window=p["window"],
    vector_size=p["dim"], sample=p["sample"], epochs=p["epochs"], min_count=p["min_count"],
    alpha=p["alpha"], min_alpha=p["min_alpha"], workers=p["threads"], seed=1,
)
model.wv.save_word2vec_format(p["output"], binary=True)
"""

FASTTEXT_SCRIPT = """
import json, sys
import fasttext
p = json.loads(sys.argv[1])
model = fasttext.train_unsupervised(
    p["corpus"], model="skipgram", loss="ns", neg=p["negative"], ws=p["window"],
    dim=p["dim"], t=p["sample"], epoch=p["epochs"], minCount=p["min_count"],
    lr=p["alpha"], minn=0, maxn=0, thread=p["threads"], verbose=0,
)
words = model.get_words()
vectors = model.get_input_matrix()[: len(words)].astype("<f4")
with open(p["output"], "wb") as out:
    out.write(f"{len(words)} {vectors.shape[1]}\\n".encode())
    for word, row in zip(words, vectors):
        out.write(word.encode() + b" " + row.tobytes() + b"\\n")
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------
# Running one child process


@dataclass
class Run:
    """One child process: wall seconds, its own peak RSS, and how it ended."""

    wall: float
    rss_mib: float
    returncode: int
    stderr_tail: str = ""
    err_path: Path | None = None
    quality: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.returncode == 0


def tail(path, lines=15):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    text = text.replace("\r", "\n")
    return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])


# Linux carries the peak RSS of the memory a process had before exec into its
# ru_maxrss, and a child spawned from this (large) Python process starts out sharing
# ours: measured directly, /bin/true would read as this process's peak. So every
# child is started by this small launcher, a bare `python -S` of about 10 MiB, which
# spawns the command, reaps it with wait4 and writes its wall time and ru_maxrss.
LAUNCHER = """
import json, os, signal, sys, time
result, timeout, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
started = time.perf_counter()
try:
    pid = os.posix_spawnp(argv[0], argv, os.environ)
except OSError as error:
    sys.exit(f"could not start {argv[0]}: {error}")
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
signal.setitimer(signal.ITIMER_REAL, 0)
code = os.waitstatus_to_exitcode(status)
with open(result, "w") as out:
    json.dump({"wall": wall, "maxrss_kib": usage.ru_maxrss, "returncode": code}, out)
"""


def run_process(command, log_dir, name, timeout, env=None):
    """Run `command` through the launcher: its wall time, own peak RSS and exit code."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    result_path = log_dir / f"{name}.json"
    launcher = [sys.executable, "-S", "-c", LAUNCHER, str(result_path), str(timeout)]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        subprocess.run(
            [*launcher, *command], stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env
        )
    try:
        result = json.loads(result_path.read_text())
    except (OSError, ValueError):
        return Run(0.0, 0.0, 127, tail(err_path) or f"could not run {command[0]}")
    run = Run(result["wall"], result["maxrss_kib"] / 1024, result["returncode"], err_path=err_path)
    if not run.ok:
        run.stderr_tail = tail(err_path) or tail(out_path)
        if run.returncode == -signal.SIGKILL:
            run.stderr_tail += f"\n(killed after the {timeout:.0f} s time limit)"
    return run


def rss_floor(log_dir):
    """What the launcher reports for /bin/true: the smallest peak RSS it can show."""
    return run_process(["true"], log_dir, "rss-floor", 60).rss_mib


# ---------------------------------------------------------------------------
# The systems and their command lines


def sibling_or_path(name):
    """A script installed next to this interpreter (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def w2v_nce_command(corpus, output, threads, epochs, k=5, loss="neg", tmp_dir=None):
    s = SETTINGS
    command = [
        sibling_or_path("w2v-nce"), "train", str(corpus), "--loss", loss, "--k", str(k),
        "--dim", str(s["dim"]), "--window", str(s["window"]), "--epochs", str(epochs),
        "--min-count", str(s["min_count"]), "--sample", str(s["sample"]),
        "--alpha", str(s["alpha"]), "--min-alpha", str(s["min_alpha"]),
        "--threads", str(threads), "--binary", "-o", str(output), "--quiet",
    ]  # fmt: skip
    if tmp_dir is not None:
        command += ["--tmp-dir", str(tmp_dir)]
    return command


def word2vec_c_command(corpus, output, threads, epochs, k=5):
    s = SETTINGS
    return [
        sibling_or_path("word2vec"), "-train", str(corpus), "-output", str(output),
        "-cbow", "0", "-size", str(s["dim"]), "-window", str(s["window"]),
        "-negative", str(k), "-hs", "0", "-sample", str(s["sample"]),
        "-threads", str(threads), "-iter", str(epochs), "-min-count", str(s["min_count"]),
        "-alpha", str(s["alpha"]), "-binary", "1",
    ]  # fmt: skip


def python_child_command(script, corpus, output, threads, epochs, k=5):
    params = dict(SETTINGS, negative=k, corpus=str(corpus), output=str(output))
    params.update(threads=threads, epochs=epochs)
    return [sys.executable, "-c", script, json.dumps(params)]


@dataclass
class System:
    """A trainer: `argv(corpus, output, threads, epochs, tmp_dir)` gives its command line."""

    name: str
    argv: object
    missing: str | None  # why it cannot run, or None when it can


def find_systems():
    has = importlib.util.find_spec
    hint = "not installed (pip install -e '.[bench]')"
    return [
        System(
            "w2v-nce",
            lambda corpus, out, threads, epochs, tmp: w2v_nce_command(
                corpus, out, threads, epochs, tmp_dir=tmp
            ),
            None if sibling_or_path("w2v-nce") else "not installed (pip install -e .)",
        ),
        System(
            "gensim",
            lambda corpus, out, threads, epochs, tmp: python_child_command(
                GENSIM_SCRIPT, corpus, out, threads, epochs
            ),
            None if has("gensim") else "not installed",
        ),
        System(
            "word2vec.c",
            lambda corpus, out, threads, epochs, tmp: word2vec_c_command(
                corpus, out, threads, epochs
            ),
            None if sibling_or_path("word2vec") else hint,
        ),
        System(
            "fastText",
            lambda corpus, out, threads, epochs, tmp: python_child_command(
                FASTTEXT_SCRIPT, corpus, out, threads, epochs
            ),
            None if has("fasttext") else hint,
        ),
    ]


# ---------------------------------------------------------------------------
# Corpus preparation


def open_any(path):
    """Open a plain, gzip or bzip2 file for binary reading, by its magic bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(3)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if magic == b"BZh":
        return bz2.open(path, "rb")
    return open(path, "rb")


def plain_corpus(corpus, work_dir):
    """The corpus as a plain file: itself when it is one, else decompressed once."""
    with open_any(corpus) as source:
        if not isinstance(source, gzip.GzipFile | bz2.BZ2File):
            return Path(corpus)
        target = work_dir / "corpus.txt"
        with open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    return target


def count_tokens(path):
    """Runs of non-whitespace in the file: one fast pass over its lines."""
    with open(path, "rb") as handle:
        return sum(len(line.split()) for line in handle)


def head_corpus(path, target, tokens):
    """The first lines of `path` holding about `tokens` tokens."""
    seen = 0
    with open(path, "rb") as source, open(target, "wb") as out:
        for line in source:
            out.write(line)
            seen += len(line.split())
            if seen >= tokens:
                break
    return target


# ---------------------------------------------------------------------------
# Quality


def evaluate(vectors_path):
    """Vocabulary, WordSim-353 Spearman and analogy accuracy, with their 95% intervals.

    gensim reads the file (every system's output the same way); the scores are
    gensim's, computed by w2v-nce's vectorised copy of its evaluation.
    """
    from gensim.models import KeyedVectors

    from w2v_nce.evaluation.cosine import evaluate_analogies, evaluate_pairs, gensim_data

    kv = KeyedVectors.load_word2vec_format(str(vectors_path), binary=True, unicode_errors="replace")
    words, vectors = kv.index_to_key, kv.vectors
    pairs = evaluate_pairs(words, vectors, gensim_data("wordsim353.tsv"))
    analogy = evaluate_analogies(words, vectors, gensim_data("questions-words.txt"))
    return {
        "vocab": len(kv),
        "ws353": pairs.spearman,
        "ws353_ci": pairs.interval(),
        "analogy": analogy.accuracy,
        "analogy_ci": analogy.interval(),
    }


def median_interval(intervals):
    """[median low, median high] over the rounds; None if a round has none."""
    if any(ci is None for ci in intervals):
        return None
    return [median([ci[0] for ci in intervals]), median([ci[1] for ci in intervals])]


# ---------------------------------------------------------------------------
# The benchmark context and the sections


@dataclass
class Bench:
    args: argparse.Namespace
    work_dir: Path
    corpus: Path  # plain
    tokens: int
    tiny: Path
    systems: list
    failures: list = field(default_factory=list)
    counter: int = 0

    def run(self, label, command, env=None):
        """Run one child, log it, remember its failure; returns the Run."""
        self.counter += 1
        name = f"{self.counter:03d}-" + re.sub(r"[^A-Za-z0-9.]+", "_", label)
        run = run_process(command, self.work_dir / "logs", name, self.args.timeout, env)
        state = f"{run.wall:7.1f} s {run.rss_mib:7.0f} MiB" if run.ok else "FAILED"
        log(f"  {label:<40} {state}")
        if not run.ok:
            self.failures.append(
                {"run": label, "command": shlex.join(command), "tail": run.stderr_tail}
            )
        return run

    def words_per_sec(self, wall, epochs=None):
        """Corpus tokens × epochs per wall second (None without a wall time)."""
        epochs = self.args.epochs if epochs is None else epochs
        return self.tokens * epochs / wall if wall else None


def warm_up(bench):
    """One untimed run of each system on the tiny corpus (Numba cache, page cache)."""
    log("warm-up on the tiny corpus")
    for system in bench.systems:
        if system.missing is None:
            out = bench.work_dir / "warmup.bin"
            bench.run(
                f"warm-up {system.name}",
                system.argv(bench.tiny, out, bench.args.threads, 1, bench.work_dir),
            )


def rotated(items, shift):
    shift %= max(len(items), 1)
    return items[shift:] + items[:shift]


def section_main(bench):
    """Every system, same settings, alternating within each round; timing and quality."""
    args = bench.args
    runs = {s.name: [] for s in bench.systems}
    available = [s for s in bench.systems if s.missing is None]
    for round_ in range(args.repeats):
        log(f"main: round {round_ + 1}/{args.repeats}")
        for system in rotated(available, round_):
            out = bench.work_dir / f"main-{system.name}.bin"
            out.unlink(missing_ok=True)
            command = system.argv(bench.corpus, out, args.threads, args.epochs, bench.work_dir)
            run = bench.run(f"{system.name} (round {round_ + 1})", command)
            if run.ok:
                run = quality_of(bench, run, out, system.name)
            runs[system.name].append(run)
            out.unlink(missing_ok=True)
    return summarise_main(bench, runs)


def quality_of(bench, run, out, name):
    started = time.perf_counter()
    try:
        run.quality = evaluate(out)
        q = run.quality
        log(
            f"  {'':<40} WS-353 {with_interval(q['ws353'], q['ws353_ci'])}, analogy "
            f"{with_interval(q['analogy'], q['analogy_ci'])} "
            f"(evaluated in {time.perf_counter() - started:.0f} s)"
        )
    except Exception as error:  # a file gensim cannot read is this system's failure
        run.returncode, run.stderr_tail = 1, f"evaluating {out.name}: {error!r}"
        bench.failures.append({"run": f"{name} evaluation", "command": "", "tail": run.stderr_tail})
    return run


def summarise_main(bench, runs):
    rows = {}
    for system in bench.systems:
        ok = [r for r in runs[system.name] if r.ok]
        row = {
            "status": system.missing or ("ok" if ok else "failed"),
            "runs": [asdict(r) for r in runs[system.name]],
        }
        if ok:
            wall = median([r.wall for r in ok])
            row.update(
                wall=wall,
                words_per_sec=bench.words_per_sec(wall),
                rss_mib=max(r.rss_mib for r in ok),
                vocab=median([r.quality["vocab"] for r in ok]),
                ws353=median([r.quality["ws353"] for r in ok]),
                ws353_ci=median_interval([r.quality["ws353_ci"] for r in ok]),
                analogy=median([r.quality["analogy"] for r in ok]),
                analogy_ci=median_interval([r.quality["analogy_ci"] for r in ok]),
            )
        rows[system.name] = row
    return rows


def alternate(bench, section, jobs):
    """Run every (key, label, argv) job once per round, the order rotated each round.

    Returns {key: [wall seconds of the runs that succeeded]}.
    """
    runs = alternate_runs(bench, section, jobs)
    return {key: [run.wall for run in done] for key, done in runs.items()}


def alternate_runs(bench, section, jobs):
    """As :func:`alternate`, but returns {key: [the Runs that succeeded]}."""
    runs = {key: [] for key, _, _ in jobs}
    for round_ in range(bench.args.repeats):
        log(f"{section}: round {round_ + 1}/{bench.args.repeats}")
        for key, label, argv in rotated(jobs, round_):
            run = bench.run(f"{label} (round {round_ + 1})", argv)
            if run.ok:
                runs[key].append(run)
    return runs


def section_threads(bench):
    """w2v-nce (and word2vec.c as a reference) at 1, 2, 4, ... cores threads."""
    args = bench.args
    cores = os.cpu_count() or 1
    counts = sorted({t for t in (1, 2, 4, 8, 16, 32, 64) if t <= cores} | {cores})
    systems = [
        s for s in bench.systems if s.name in ("w2v-nce", "word2vec.c") and s.missing is None
    ]
    out = bench.work_dir / "threads.bin"
    jobs = []
    for t in counts:
        for s in systems:
            argv = s.argv(bench.corpus, out, t, args.epochs, bench.work_dir)
            if s.name == "w2v-nce":  # its summary line gives the training phase alone
                argv = [a for a in argv if a != "--quiet"]
            jobs.append(((s.name, t), f"{s.name} threads={t}", argv))
    runs = alternate_runs(bench, "threads", jobs)
    speeds = {
        key: bench.words_per_sec(median([r.wall for r in done]) if done else None)
        for key, done in runs.items()
    }
    training = {}
    for t in counts:
        rates = [training_words_per_sec(r.err_path) for r in runs.get(("w2v-nce", t), [])]
        rates = [r for r in rates if r]
        training[str(t)] = median(rates) if rates else None
    return {
        "counts": counts,
        "systems": {s.name: {str(t): speeds[(s.name, t)] for t in counts} for s in systems},
        "w2v_nce_training": training,
    }


def training_words_per_sec(err_path):
    """words/s of w2v-nce's summary line: the training phase only (no reading, no writing)."""
    text = Path(err_path).read_text(errors="replace")
    found = re.search(r"trained [\d,]+ words, [\d,]+ pairs in [\d.]+ s \(([\d,]+) words/s\)", text)
    return int(found.group(1).replace(",", "")) if found else None


def section_nce(bench):
    """w2v-nce --loss nce --k K against word2vec.c -negative K, --nce-epochs epochs."""
    args = bench.args
    ks = [int(k) for k in args.nce_k.split(",")]
    epochs, out, tmp = args.nce_epochs, bench.work_dir / "nce.bin", bench.work_dir
    w2v_c_missing = {s.name: s.missing for s in bench.systems}["word2vec.c"]
    jobs = []
    for k in ks:
        argv = w2v_nce_command(bench.corpus, out, args.threads, epochs, k, "nce", tmp)
        jobs.append((("w2v-nce", k), f"w2v-nce nce k={k}", argv))
        if w2v_c_missing is None:
            argv = word2vec_c_command(bench.corpus, out, args.threads, epochs, k)
            jobs.append((("word2vec.c", k), f"word2vec.c negative={k}", argv))
    walls = alternate(bench, "nce", jobs)
    speed = {key: bench.words_per_sec(median(w), epochs) for key, w in walls.items()}
    names = ("w2v-nce", "word2vec.c")
    return {"epochs": epochs, "k": {str(k): {n: speed.get((n, k)) for n in names} for k in ks}}


SGEMM_SCRIPT = """
import json, sys
from w2v_nce.trainer import sgemm_rate
rows, columns, dim = (int(x) for x in sys.argv[1:4])
print(json.dumps({"gflops": sgemm_rate(rows, columns, dim, seconds=2.0) / 1e9}))
"""


def kernel_flops_per_pair(k):
    """Flops of one pair's share of the candidate block: (k + 1) · 6 · dim.

    S = H Vᵀ, D = C V and V += Cᵀ H are 2 flops per (row, candidate, dimension)
    each, and an nce pair has k + 1 candidates (the positive and k draws, none
    dropped); the logistic step and the bookkeeping are not counted.
    """
    return (k + 1) * 6 * SETTINGS["dim"]


def section_kernel(bench):
    """The kernel's arithmetic rate: `--loss nce --threads 1`, flops over training seconds.

    Against numpy's float32 sgemm in one thread (OPENBLAS_NUM_THREADS=1 and the
    like in a child) on a (64 × dim) @ (dim × 512) shape, by wall time over 2 s as
    the kernel is, once per round between the kernel runs: a shared machine slows
    both alike.
    """
    args = bench.args
    ks = [int(k) for k in args.nce_k.split(",")]
    corpus = head_corpus(bench.corpus, bench.work_dir / "kernel.txt", KERNEL_TOKENS)
    one_thread = {
        name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env = dict(os.environ, **one_thread)
    rates = {k: [] for k in ks}
    sgemm = []
    rows, columns = SGEMM_SHAPE
    for round_ in range(args.repeats):
        log(f"kernel: round {round_ + 1}/{args.repeats}")
        for k in rotated(ks, round_):
            command = w2v_nce_command(
                corpus, bench.work_dir / "kernel.bin", 1, 1, k, "nce", bench.work_dir
            )
            command.remove("--quiet")  # the summary line gives pairs and training seconds
            run = bench.run(f"w2v-nce nce k={k} threads=1 (round {round_ + 1})", command, env)
            summary = parse_summary(run.err_path) if run.ok else None
            if summary:
                flops = kernel_flops_per_pair(k) * summary["pairs"]
                rates[k].append(flops / summary["seconds"] / 1e9)
        argv = [sys.executable, "-c", SGEMM_SCRIPT, str(rows), str(columns), str(SETTINGS["dim"])]
        run = bench.run(f"numpy sgemm, one thread (round {round_ + 1})", argv, env)
        if run.ok:
            sgemm.append(json.loads(Path(run.err_path).with_suffix(".out").read_text())["gflops"])
    return {
        "tokens": count_tokens(corpus),
        "sgemm_gflops": median(sgemm),
        "k": {str(k): median(rates[k]) for k in ks},
    }


def section_startup(bench):
    """First run with an empty Numba cache (compiles) vs the second; `w2v-nce --help`."""
    args = bench.args
    first, second, helps = [], [], []
    for round_ in range(args.repeats):
        log(f"startup: round {round_ + 1}/{args.repeats}")
        cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=bench.work_dir))
        env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
        command = w2v_nce_command(
            bench.tiny, bench.work_dir / "startup.bin", args.threads, 1, tmp_dir=bench.work_dir
        )
        for label, walls in (("first run, empty cache", first), ("second run, same cache", second)):
            run = bench.run(f"w2v-nce {label} (round {round_ + 1})", command, env)
            if run.ok:
                walls.append(run.wall)
        shutil.rmtree(cache, ignore_errors=True)
        run = bench.run(
            f"w2v-nce --help (round {round_ + 1})", [sibling_or_path("w2v-nce"), "--help"]
        )
        if run.ok:
            helps.append(run.wall)
    return {
        "first": median(first),
        "second": median(second),
        "help": median(helps),
        "tiny_tokens": count_tokens(bench.tiny),
    }


def losses_offered():
    """The --loss choices that `w2v-nce train --help` lists."""
    try:
        text = subprocess.run(
            [sibling_or_path("w2v-nce"), "train", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    except (OSError, TypeError, subprocess.SubprocessError):
        return []
    found = re.search(r"--loss\s*\[([^\]]+)\]", text)
    return found.group(1).split("|") if found else []


def section_softmax(bench):
    """Full-softmax GFLOP/s (6·pairs·V·dim / training seconds) vs numpy sgemm."""
    if "softmax" not in losses_offered():
        return {"available": False}
    args = bench.args
    corpus = head_corpus(bench.corpus, bench.work_dir / "softmax.txt", SOFTMAX_TOKENS)
    command = w2v_nce_command(
        corpus,
        bench.work_dir / "softmax.bin",
        args.threads,
        1,
        loss="softmax",
        tmp_dir=bench.work_dir,
    )
    command.remove("--quiet")  # the summary line gives pairs and training seconds
    rates = []
    vocab = None
    for round_ in range(args.repeats):
        log(f"softmax: round {round_ + 1}/{args.repeats}")
        run = bench.run(f"w2v-nce softmax (round {round_ + 1})", command)
        summary = parse_summary(run.err_path) if run.ok else None
        if summary:
            vocab = summary["vocab"]
            rates.append(6 * summary["pairs"] * vocab * SETTINGS["dim"] / summary["seconds"] / 1e9)
    if vocab is None:
        return {"available": True, "error": "no run gave a parsable summary line"}
    return {
        "available": True,
        "gflops": median(rates),
        "sgemm_gflops": sgemm_gflops(vocab),
        "vocab": vocab,
        "tokens": count_tokens(corpus),
    }


def parse_summary(err_path):
    text = Path(err_path).read_text(errors="replace")
    vocab = re.search(r"vocabulary: ([\d,]+) words", text)
    trained = re.search(r"([\d,]+) pairs in ([\d.]+) s", text)
    if not (vocab and trained):
        return None
    number = lambda s: int(s.replace(",", ""))  # noqa: E731
    return {
        "vocab": number(vocab.group(1)),
        "pairs": number(trained.group(1)),
        "seconds": float(trained.group(2)),
    }


def sgemm_gflops(vocab, batch=SOFTMAX_BATCH, seconds=1.0):
    """numpy float32 (batch × dim) @ (dim × vocab): the softmax's score sgemm."""
    from w2v_nce.trainer import sgemm_rate

    return sgemm_rate(batch, vocab, SETTINGS["dim"], seconds=seconds) / 1e9


# ---------------------------------------------------------------------------
# Reporting


def machine():
    cpu = "unknown"
    memory = None
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024**2
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory, "load": os.getloadavg()}


def versions():
    found = {"python": platform.python_version()}
    for package in ("w2v-nce", "numba", "numpy", "gensim", "word2vec", "fasttext-wheel"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def fmt(value, digits=2, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, int) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}{suffix}"
    return f"{value:.{digits}f}{suffix}"


def with_interval(value, ci, digits=3):
    """``0.612 [0.548, 0.671]``: a score and its 95% interval."""
    if ci is None:
        return fmt(value, digits)
    return f"{fmt(value, digits)} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def ratio(value, reference):
    return value / reference if value is not None and reference else None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main_table(main):
    ref = main.get("w2v-nce", {})
    header = [
        "system",
        "wall s",
        "words/s",
        "speed ×",
        "peak RSS MiB",
        "RSS ×",
        "vocab",
        "WS-353 ρ [95% CI]",
        "WS ×",
        "analogy [95% CI]",
        "analogy ×",
    ]
    rows = []
    for name, row in main.items():
        if "wall" not in row:
            rows.append([name, row["status"], *[""] * (len(header) - 2)])
            continue
        speed = row["words_per_sec"]
        rows.append(
            [
                name,
                fmt(row["wall"], 1),
                fmt(speed),
                fmt(ratio(speed, ref.get("words_per_sec"))),
                fmt(row["rss_mib"], 0),
                fmt(ratio(row["rss_mib"], ref.get("rss_mib"))),
                fmt(int(row["vocab"])),
                with_interval(row["ws353"], row["ws353_ci"]),
                fmt(ratio(row["ws353"], ref.get("ws353"))),
                with_interval(row["analogy"], row["analogy_ci"]),
                fmt(ratio(row["analogy"], ref.get("analogy"))),
            ]
        )
    return table(header, rows)


def threads_table(threads):
    columns = dict(threads["systems"])
    if threads.get("w2v_nce_training"):
        columns["w2v-nce training phase"] = threads["w2v_nce_training"]
    header = ["threads"] + [h for n in columns for h in (f"{n} words/s", f"{n} speed-up")]
    rows = []
    for t in threads["counts"]:
        row = [t]
        for speeds in columns.values():
            row += [fmt(speeds[str(t)]), fmt(ratio(speeds[str(t)], speeds.get("1")), suffix="×")]
        rows.append(row)
    return table(header, rows)


def nce_table(nce):
    header = [
        "k",
        "w2v-nce `--loss nce` words/s",
        "word2vec.c `-negative k` words/s",
        "w2v-nce ÷ word2vec.c",
    ]
    rows = [
        [k, fmt(v["w2v-nce"]), fmt(v["word2vec.c"]), fmt(ratio(v["w2v-nce"], v["word2vec.c"]))]
        for k, v in nce["k"].items()
    ]
    return table(header, rows)


def kernel_text(kernel):
    dim = SETTINGS["dim"]
    note = (
        f"`w2v-nce train --loss nce --k K --threads 1 --epochs 1` on the first "
        f"{kernel['tokens']:,} tokens; flops per pair = (K + 1) · 6 · dim (the candidate "
        "block's three products S = H Vᵀ, D = C V, V += Cᵀ H, 2 flops per row, candidate and "
        f"dimension each; dim = {dim}), over the training seconds of the summary line. "
        f"sgemm: numpy float32 ({SGEMM_SHAPE[0]} × {dim}) @ ({dim} × {SGEMM_SHAPE[1]}) in one "
        "thread, by wall time over 2 s in each round (medians over the rounds)."
    )
    rows = [
        [
            k,
            f"{kernel_flops_per_pair(int(k)):,}",
            fmt(rate),
            fmt(ratio(rate, kernel["sgemm_gflops"])),
        ]
        for k, rate in kernel["k"].items()
    ]
    rows.append(["numpy sgemm, one thread", "", fmt(kernel["sgemm_gflops"]), "1.00"])
    return note + "\n\n" + table(["k", "flops per pair", "GFLOP/s", "÷ sgemm"], rows)


def startup_table(startup):
    compile_cost = (
        startup["first"] - startup["second"] if startup["first"] and startup["second"] else None
    )
    rows = [
        ["`w2v-nce train`, first run, empty NUMBA_CACHE_DIR (compiles)", fmt(startup["first"])],
        ["`w2v-nce train`, second run, same NUMBA_CACHE_DIR", fmt(startup["second"])],
        ["compilation (first − second)", fmt(compile_cost)],
        ["`w2v-nce --help`", fmt(startup["help"])],
    ]
    return table(["what", "wall s"], rows)


def softmax_text(softmax):
    if not softmax.get("available"):
        return "softmax: not available yet (`w2v-nce train --help` lists no `softmax` loss)."
    if "error" in softmax:
        return f"softmax: {softmax['error']}."
    note = (
        f"`w2v-nce train --loss softmax --epochs 1` on the first {softmax['tokens']:,} tokens "
        f"(vocabulary {softmax['vocab']:,}); flops = 6 · pairs · V · dim (three sgemms per batch), "
        f"over the training seconds of its summary line. sgemm: numpy float32 "
        f"({SOFTMAX_BATCH} × {SETTINGS['dim']}) @ ({SETTINGS['dim']} × {softmax['vocab']:,}), "
        "the shape of the softmax's score product."
    )
    rows = [
        [
            "w2v-nce softmax",
            fmt(softmax["gflops"]),
            fmt(ratio(softmax["gflops"], softmax["sgemm_gflops"])),
        ],
        ["numpy sgemm", fmt(softmax["sgemm_gflops"]), "1.00"],
    ]
    return note + "\n\n" + table(["what", "GFLOP/s", "÷ sgemm"], rows)


def command_line():
    python = (
        os.path.relpath(sys.executable)
        if Path.cwd() in Path(sys.executable).parents
        else sys.executable
    )
    script = os.path.relpath(sys.argv[0])
    return shlex.join([python, script, *sys.argv[1:]])


NOTE = (
    "**Compare the ratios, not the absolute numbers**: the machine is shared with other "
    "jobs, so wall times are noisy; the systems alternate within each round, so the "
    "noise hits them alike and the ratios are what to compare. words/s = corpus tokens × "
    "epochs ÷ whole-process wall seconds (median over the rounds), start-up, vocabulary "
    "and writing the vectors included. Peak RSS is the child process's ru_maxrss (the "
    "largest over the rounds), read by a small launcher whose floor is {floor:.0f} MiB (what "
    "`/bin/true` reads); gensim and fastText include their Python interpreter. Quality: "
    "the numbers of gensim's `evaluate_word_pairs` (WordSim-353, Spearman ρ) and "
    "`evaluate_word_analogies` (Google analogies, restrict_vocab=30000) on each system's "
    "binary output, with a 95% bootstrap interval (percentile, 1,000 seeded resamples of the "
    "pairs or questions; it measures how precisely the data set pins the score down, not "
    "training noise); medians of the scores and of the bounds. × columns are ratios to w2v-nce."
)
THREADS_NOTE = (
    "Same settings, `--threads` varied; word2vec.c beside it shows what the machine "
    "allows. Speed-up is against 1 thread of the same system. The first columns are "
    "whole-process words/s, which include reading and encoding the corpus in one Python "
    "thread (Amdahl's serial part); the training-phase column is the words/s of "
    "w2v-nce's own summary line, the threaded kernel alone."
)
NCE_NOTE = (
    "`w2v-nce train --loss nce --k K` against `word2vec -negative K` (negative sampling; "
    "the same number of dot products per pair), the other settings as above but {epochs} "
    "epoch(s) (`--nce-epochs`), which bounds the time of k = 64."
)


def header_lines(bench, info):
    args, host, s = bench.args, info["machine"], SETTINGS
    where = "the project root" if Path.cwd() == ROOT else str(Path.cwd())
    software = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return [
        f"- **Command** (from {where}): `{info['command']}`",
        f"- **Date**: {info['date']}",
        f"- **Machine**: {host['cpu']}, {host['cores']} cores, "
        f"{fmt(host['memory_gib'], 1)} GiB memory; load average {host['load'][0]:.2f} "
        f"at the start, {info['load_end'][0]:.2f} at the end",
        f"- **Software**: {software}",
        f"- **Corpus**: `{args.corpus}`, {bench.tokens:,} tokens (runs of non-whitespace), "
        "decompressed once to a plain file that every system reads",
        f"- **Settings**: skip-gram, negative sampling k = {s['negative']}, "
        f"window {s['window']}, dim {s['dim']}, sample {s['sample']:g}, {args.epochs} epochs, "
        f"min-count {s['min_count']}, alpha {s['alpha']} (→ {s['min_alpha']}), "
        f"{args.threads} threads, {args.repeats} repeat rounds (systems alternate within "
        "each round)",
    ]


def report(bench, info, results):
    parts = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/bench.py`; rerun it (or `make bench`) to refresh this file.",
        "",
        *header_lines(bench, info),
        "",
        NOTE.format(floor=info["rss_floor_mib"]),
    ]
    if "main" in results:
        parts += ["", "## Same settings, side by side", "", main_table(results["main"])]
    if "threads" in results:
        parts += [
            "",
            "## w2v-nce thread scaling",
            "",
            THREADS_NOTE,
            "",
            threads_table(results["threads"]),
        ]
    if "nce" in results:
        parts += [
            "",
            "## NCE against word2vec.c",
            "",
            NCE_NOTE.format(epochs=results["nce"]["epochs"]),
            "",
            nce_table(results["nce"]),
        ]
    if "kernel" in results:
        parts += ["", "## Kernel arithmetic rate", "", kernel_text(results["kernel"])]
    if "startup" in results:
        parts += [
            "",
            "## Start-up",
            "",
            f"`w2v-nce train` on the first {results['startup']['tiny_tokens']:,} tokens of the "
            "corpus, 1 epoch; medians over the rounds, each round with a new empty cache.",
            "",
            startup_table(results["startup"]),
        ]
    if "softmax" in results:
        parts += ["", "## Full softmax against numpy sgemm", "", softmax_text(results["softmax"])]
    if bench.failures:
        parts += ["", "## Failures", ""]
        for failure in bench.failures:
            parts += [
                f"**{failure['run']}**: `{failure['command']}`",
                "",
                "```",
                failure["tail"] or "(no output)",
                "```",
                "",
            ]
    return "\n".join(parts).rstrip() + "\n"


# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", help="plain, .gz or .bz2 text, whitespace-separated tokens")
    parser.add_argument(
        "--threads", type=int, default=2, help="worker threads for every system (default 2)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="repeat rounds (default 2)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--only", help=f"comma-separated sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument(
        "--nce-epochs",
        type=int,
        default=1,
        help="epochs of the NCE section (default 1: k = 64 costs about 10x k = 5)",
    )
    parser.add_argument(
        "--nce-k", default="5,25,64", help="noise words for the NCE section (default 5,25,64)"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds before a run is killed (default 3600)"
    )
    parser.add_argument(
        "--markdown",
        default=str(ROOT / "BENCHMARKS.md"),
        help="report to write (default BENCHMARKS.md)",
    )
    parser.add_argument("--json", help="also dump the raw numbers here")
    parser.add_argument(
        "--work-dir", help="where to keep the plain corpus, outputs and logs (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = (set(chosen) | set(filter(None, args.skip.split(",")))) - set(SECTIONS)
    if unknown:
        parser.error(
            f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}"
        )
    args.sections = [s for s in chosen if s not in args.skip.split(",")]
    if min(args.threads, args.repeats, args.epochs, args.nce_epochs) < 1:
        parser.error("--threads, --repeats, --epochs and --nce-epochs must be at least 1")
    return args


SECTION_FUNCTIONS = {
    "main": section_main,
    "threads": section_threads,
    "nce": section_nce,
    "kernel": section_kernel,
    "startup": section_startup,
    "softmax": section_softmax,
}


def main(argv=None):
    args = parse_args(argv)
    info = {
        "command": command_line(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }
    info.update(machine=machine(), versions=versions())
    with tempfile.TemporaryDirectory(prefix="w2v-bench-", dir=args.work_dir) as tmp:
        work_dir = Path(tmp)
        log(f"preparing {args.corpus} in {work_dir}")
        corpus = plain_corpus(args.corpus, work_dir)
        tokens = count_tokens(corpus)
        log(f"{tokens:,} tokens")
        tiny = head_corpus(corpus, work_dir / "tiny.txt", TINY_TOKENS)
        info["rss_floor_mib"] = rss_floor(work_dir / "logs")
        bench = Bench(args, work_dir, corpus, tokens, tiny, find_systems())
        for system in bench.systems:
            if system.missing:
                log(f"{system.name}: {system.missing}")
        warm_up(bench)
        results = {}
        for section in args.sections:
            results[section] = SECTION_FUNCTIONS[section](bench)
    info["load_end"] = os.getloadavg()
    markdown = report(bench, info, results)
    Path(args.markdown).write_text(markdown)
    print(markdown)
    if args.json:
        raw = {
            "info": info,
            "corpus": args.corpus,
            "tokens": tokens,
            "settings": SETTINGS,
            "results": results,
            "failures": bench.failures,
        }
        Path(args.json).write_text(json.dumps(raw, indent=2, default=str) + "\n")
    log(f"wrote {args.markdown}" + (f" and {args.json}" if args.json else ""))


if __name__ == "__main__":
    main()
