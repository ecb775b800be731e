"""Speed, memory and quality of w2v-nce against gensim, word2vec.c and fastText.

    python benchmarks/bench.py CORPUS [--threads 2] [--repeats 2] [--epochs 5]
        [--only main,models,losses,threads,encode,nce,kernel,startup,softmax,checkpoint
         | --skip ...] [--json PATH] [--plot PNG]

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

Paired differences: in every round, w2v-nce's scores minus each other system's on
the same resampled pairs and questions (w2v_nce.evaluation's paired bootstrap), so
an interval that excludes 0 is a difference the data set resolves.

Other sections: CBOW and hierarchical softmax with word2vec.c's flags (`models`:
w2v-nce, word2vec.c and gensim, paired differences from word2vec.c), w2v-nce's other
losses at several k (`losses`), each section warming every job up on the tiny corpus
first (each model and loss compiles its own kernel), w2v-nce thread scaling
(word2vec.c beside it as a reference for what the machine allows), NCE with k = 5,
25, 64 against word2vec.c's negative sampling with the same k (same number of dot
products per pair; 1 epoch unless --nce-epochs says otherwise, since k = 64 costs
about ten times k = 5), the kernel's arithmetic rate (`--loss nce --threads 1` for
the same k, (k + 1) · 6 · dim flops per pair, against numpy's sgemm in one thread),
start-up (a first run with an empty NUMBA_CACHE_DIR, which compiles, against a
second run with the same directory, and `w2v-nce --help`), and the full softmax's
GFLOP/s against a numpy sgemm of the same shape when `w2v-nce train --help` offers
that loss, the corpus pass alone against 0.1.0's (`encode`,
benchmarks/encode_rate.py) and the cost of one checkpoint (`checkpoint`,
benchmarks/checkpoint_cost.py).

The picture (--plot, docs/img/quality-speed.png by default): WordSim-353 with its
interval against whole-process seconds, one point per system and setup of the
main, models and losses sections.

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

import numpy as np

from w2v_nce.kernels.softmax import BATCH as SOFTMAX_BATCH  # the sgemm shape to compare with

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "main",
    "models",
    "losses",
    "threads",
    "encode",
    "nce",
    "kernel",
    "startup",
    "softmax",
    "checkpoint",
)
SETTINGS = {
    "dim": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "min_count": 5,
    "min_alpha": 0.0001,
}
TINY_TOKENS = 20_000  # the warm-up and start-up corpus
KERNEL_TOKENS = 1_000_000  # the kernel-rate corpus (one thread, k up to 64)
SGEMM_SHAPE = (64, 512)  # (rows, columns) of the one-thread sgemm the kernel is compared with
# --noise-group of the kernel-rate runs: nce's default (4 centre words share a draw set), and 1
KERNEL_GROUPS = (None, 1)
SOFTMAX_TOKENS = 200_000  # the softmax corpus (every pair costs 6·V·dim flops)

GENSIM_SCRIPT = """
import json, sys
from gensim.models import Word2Vec
p = json.loads(sys.argv[1])
model = Word2Vec(
    corpus_file=p["corpus"], sg=p["sg"], hs=p["hs"], negative=p["negative"], window=p["window"],
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


@dataclass(frozen=True)
class Setup:
    """What is trained: the model, the loss and its noise words.

    The learning rate is word2vec.c's default for the model (0.025 skip-gram, 0.05
    CBOW; w2v-nce has the same defaults), given explicitly to every system.
    """

    model: str = "skipgram"  # or "cbow"
    loss: str = "neg"  # w2v-nce's --loss; word2vec.c and gensim know neg and hs
    k: int = 5  # ignored for hs and softmax

    @property
    def alpha(self):
        return 0.05 if self.model == "cbow" else 0.025

    @property
    def noise(self):
        return 0 if self.loss in ("hs", "softmax") else self.k

    @property
    def label(self):
        model = "sg" if self.model == "skipgram" else "cbow"
        return f"{model} {self.loss}" + (f" k={self.k}" if self.noise else "")

    @property
    def word2vec_flags(self):
        """word2vec.c's flags for this setup (nce is compared with -negative k)."""
        cbow = int(self.model == "cbow")
        hs = int(self.loss == "hs")
        return f"-cbow {cbow} -hs {hs} -negative {self.noise}"


SGNS = Setup()
# word2vec.c's other models, with its flags: -cbow 1 -negative 5, -cbow 0 -hs 1
# -negative 0, -cbow 1 -hs 1 -negative 0 (issue 12's targets).
MODEL_SETUPS = (Setup("cbow", "neg", 5), Setup("skipgram", "hs"), Setup("cbow", "hs"))
# w2v-nce's other losses for the quality/speed picture (softmax is left out: on this
# vocabulary one epoch takes tens of minutes, see the softmax section).
LOSS_SETUPS = (
    Setup("skipgram", "nce", 5),
    Setup("skipgram", "nce", 25),
    Setup("skipgram", "nce", 64),
    Setup("skipgram", "infonce", 25),
    Setup("skipgram", "neg", 25),
)


def w2v_nce_command(corpus, output, threads, epochs, setup=SGNS, tmp_dir=None):
    s = SETTINGS
    command = [
        sibling_or_path("w2v-nce"), "train", str(corpus), "--model", setup.model,
        "--loss", setup.loss, "--dim", str(s["dim"]), "--window", str(s["window"]),
        "--epochs", str(epochs), "--min-count", str(s["min_count"]),
        "--sample", str(s["sample"]), "--alpha", str(setup.alpha),
        "--min-alpha", str(s["min_alpha"]), "--threads", str(threads), "--binary",
        "-o", str(output), "--quiet", "--json",
    ]  # fmt: skip
    if setup.noise:
        command += ["--k", str(setup.k)]
    if tmp_dir is not None:
        command += ["--tmp-dir", str(tmp_dir)]
    return command


def word2vec_c_command(corpus, output, threads, epochs, setup=SGNS):
    s = SETTINGS
    return [
        sibling_or_path("word2vec"), "-train", str(corpus), "-output", str(output),
        *setup.word2vec_flags.split(), "-size", str(s["dim"]), "-window", str(s["window"]),
        "-sample", str(s["sample"]), "-threads", str(threads), "-iter", str(epochs),
        "-min-count", str(s["min_count"]), "-alpha", str(setup.alpha), "-binary", "1",
    ]  # fmt: skip


def python_child_command(script, corpus, output, threads, epochs, setup=SGNS):
    params = dict(SETTINGS, corpus=str(corpus), output=str(output))
    params.update(
        threads=threads,
        epochs=epochs,
        sg=int(setup.model == "skipgram"),
        hs=int(setup.loss == "hs"),
        negative=setup.noise,
        alpha=setup.alpha,
    )
    return [sys.executable, "-c", script, json.dumps(params)]


@dataclass
class System:
    """A trainer: `argv(corpus, output, threads, epochs, tmp_dir, setup)` gives its command.

    ``setups`` says what it can train: fastText is only run with skip-gram and
    negative sampling (the main table).
    """

    name: str
    argv: object
    missing: str | None  # why it cannot run, or None when it can
    all_setups: bool = True

    def can_train(self, setup):
        return self.missing is None and (self.all_setups or setup == SGNS)


def find_systems():
    has = importlib.util.find_spec
    hint = "not installed (pip install -e '.[bench]')"
    return [
        System(
            "w2v-nce",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: w2v_nce_command(
                corpus, out, threads, epochs, setup, tmp_dir=tmp
            ),
            None if sibling_or_path("w2v-nce") else "not installed (pip install -e .)",
        ),
        System(
            "gensim",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: python_child_command(
                GENSIM_SCRIPT, corpus, out, threads, epochs, setup
            ),
            None if has("gensim") else "not installed",
        ),
        System(
            "word2vec.c",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: word2vec_c_command(
                corpus, out, threads, epochs, setup
            ),
            None if sibling_or_path("word2vec") else hint,
        ),
        System(
            "fastText",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: python_child_command(
                FASTTEXT_SCRIPT, corpus, out, threads, epochs, setup
            ),
            None if has("fasttext") else hint,
            all_setups=False,
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
    """Vocabulary, WordSim-353 Spearman and analogy accuracy, with their 95% intervals,
    and the two score objects (for paired differences).

    gensim reads the file (every system's output the same way); the scores are
    gensim's, computed by w2v-nce's vectorised copy of its evaluation.
    """
    from gensim.models import KeyedVectors

    from w2v_nce.evaluation.cosine import evaluate_analogies, evaluate_pairs, gensim_data

    kv = KeyedVectors.load_word2vec_format(str(vectors_path), binary=True, unicode_errors="replace")
    words, vectors = kv.index_to_key, kv.vectors
    pairs = evaluate_pairs(words, vectors, gensim_data("wordsim353.tsv"))
    analogy = evaluate_analogies(words, vectors, gensim_data("questions-words.txt"))
    quality = {
        "vocab": len(kv),
        "ws353": pairs.spearman,
        "ws353_ci": pairs.interval(),
        "analogy": analogy.accuracy,
        "analogy_ci": analogy.interval(),
    }
    return quality, {"ws353": pairs, "analogy": analogy}


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
    """Every system, skip-gram with negative sampling, alternating within each round;
    timing, quality, and w2v-nce's paired differences from each other system."""
    args = bench.args
    available = [s for s in bench.systems if s.missing is None]
    jobs = [
        (s.name, s.name, system_argv(bench, s, SGNS, args.threads, args.epochs)) for s in available
    ]
    compare = [("w2v-nce", s.name) for s in available if s.name != "w2v-nce"]
    runs, diffs = quality_rounds(bench, "main", jobs, compare)
    rows = {}
    for system in bench.systems:
        rows[system.name] = summarise_runs(bench, runs.get(system.name, []), system.missing)
    differences = summarise_differences(diffs)
    return {"rows": rows, "differences": {other: d for (_, other), d in differences.items()}}


def system_argv(bench, system, setup, threads, epochs):
    """make_argv(out, corpus) for `system` training `setup` (on the benchmark corpus)."""
    return lambda out, corpus=bench.corpus: system.argv(
        corpus, out, threads, epochs, bench.work_dir, setup
    )


def section_models(bench):
    """CBOW and hierarchical softmax with word2vec.c's flags: w2v-nce, word2vec.c, gensim.

    Each setup as word2vec.c would train it (its learning rate for the model), the
    other settings as in the main table; paired differences of w2v-nce from
    word2vec.c (issue 12's targets: within 0.02 or better, at least 1.5× the speed).
    """
    args = bench.args
    jobs, compare = [], []
    for setup in MODEL_SETUPS:
        for system in bench.systems:
            if system.name in ("w2v-nce", "word2vec.c", "gensim") and system.can_train(setup):
                argv = system_argv(bench, system, setup, args.threads, args.epochs)
                jobs.append(((setup.label, system.name), f"{system.name} {setup.label}", argv))
        compare.append(((setup.label, "w2v-nce"), (setup.label, "word2vec.c")))
    runs, diffs = quality_rounds(bench, "models", jobs, compare)
    rows = []
    for setup in MODEL_SETUPS:
        for system in ("w2v-nce", "word2vec.c", "gensim"):
            if (setup.label, system) in runs:
                row = summarise_runs(bench, runs[(setup.label, system)])
                row.update(setup=setup.label, flags=setup.word2vec_flags, system=system)
                rows.append(row)
    differences = summarise_differences(diffs)
    return {
        "rows": rows,
        "differences": {key[0]: d for (key, _), d in differences.items()},
    }


def section_losses(bench):
    """w2v-nce's other losses with the main table's settings: the picture's points."""
    args = bench.args
    system = next(s for s in bench.systems if s.name == "w2v-nce")
    jobs = [
        (
            setup.label,
            f"w2v-nce {setup.label}",
            system_argv(bench, system, setup, args.threads, args.epochs),
        )
        for setup in LOSS_SETUPS
    ]
    runs, _ = quality_rounds(bench, "losses", jobs)
    rows = []
    for setup in LOSS_SETUPS:
        row = summarise_runs(bench, runs[setup.label])
        row.update(setup=setup.label, system="w2v-nce")
        rows.append(row)
    return {"rows": rows}


def quality_rounds(bench, section, jobs, compare=()):
    """Run every (key, label, make_argv(out)) job once per round, the order rotated
    from round to round; then score every output of the round.

    ``compare`` lists (key, reference key) pairs whose paired differences (the same
    resampled pairs and questions for both) are computed in each round. Returns
    ({key: [the Runs that succeeded and were scored]}, {(key, ref): [differences]}).
    """
    runs = {key: [] for key, _, _ in jobs}
    diffs = {pair: [] for pair in compare}
    log(f"{section}: warm-up on the tiny corpus")  # each model and loss compiles its kernel
    for _, label, make_argv in jobs:
        bench.run(f"warm-up {label}", make_argv(bench.work_dir / "warmup.bin", bench.tiny))
    for round_ in range(bench.args.repeats):
        log(f"{section}: round {round_ + 1}/{bench.args.repeats}")
        outputs = {}
        for number, (key, label, make_argv) in enumerate(rotated(jobs, round_)):
            out = bench.work_dir / f"{section}-{number}.bin"
            out.unlink(missing_ok=True)
            run = bench.run(f"{label} (round {round_ + 1})", make_argv(out))
            if run.ok:
                outputs[key] = (run, out, label)
        scores = {}
        for key, (run, out, label) in outputs.items():
            found = quality_of(bench, run, out, label)
            out.unlink(missing_ok=True)
            if found is not None:
                scores[key] = found
                runs[key].append(run)
        for key, reference in compare:
            if key in scores and reference in scores:
                diffs[(key, reference)].append(
                    {
                        name: scores[key][name].difference(scores[reference][name])
                        for name in scores[key]
                    }
                )
    return runs, diffs


def quality_of(bench, run, out, name):
    """Score one output: sets run.quality, returns the score objects (None on failure)."""
    started = time.perf_counter()
    try:
        run.quality, scores = evaluate(out)
    except Exception as error:  # a file gensim cannot read is this system's failure
        run.returncode, run.stderr_tail = 1, f"evaluating {out.name}: {error!r}"
        bench.failures.append({"run": f"{name} evaluation", "command": "", "tail": run.stderr_tail})
        return None
    q = run.quality
    log(
        f"  {'':<40} WS-353 {with_interval(q['ws353'], q['ws353_ci'])}, analogy "
        f"{with_interval(q['analogy'], q['analogy_ci'])} "
        f"(evaluated in {time.perf_counter() - started:.0f} s)"
    )
    return scores


def summarise_runs(bench, ok, missing=None):
    """Medians over the rounds of one job's runs (wall, speed, quality), largest RSS."""
    row = {"status": missing or ("ok" if ok else "failed"), "runs": [asdict(r) for r in ok]}
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
    return row


def summarise_differences(diffs):
    """{(key, ref): {score: {"diff", "ci"}}}: medians over the rounds of each paired difference."""
    out = {}
    for pair, rounds in diffs.items():
        if not rounds:
            continue
        out[pair] = {
            name: {
                "diff": median([r[name]["diff"] for r in rounds if r[name]["diff"] is not None]),
                "ci": median_interval([r[name]["ci"] for r in rounds]),
            }
            for name in rounds[0]
        }
    return out


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
            jobs.append(((s.name, t), f"{s.name} threads={t}", argv))
    runs = alternate_runs(bench, "threads", jobs)
    speeds = {
        key: bench.words_per_sec(median([r.wall for r in done]) if done else None)
        for key, done in runs.items()
    }
    return {
        "counts": counts,
        "systems": {s.name: {str(t): speeds[(s.name, t)] for t in counts} for s in systems},
        "w2v_nce_training": training_rates(runs, counts),
        "large": large_corpus_scaling(bench, counts),
    }


def training_rates(runs, counts):
    """{threads: median training-phase words/s of w2v-nce's summaries}."""
    training = {}
    for t in counts:
        rates = [train_summary(r) for r in runs.get(("w2v-nce", t), [])]
        rates = [r["words_per_sec"] for r in rates if r]
        training[str(t)] = median(rates) if rates else None
    return training


def large_corpus_scaling(bench, counts):
    """w2v-nce's scaling on ENCODE_COPIES copies of the corpus, one epoch: the corpus
    pass weighs most against training with one epoch, and the fixed start-up (the
    interpreter, imports, loading the compiled code, writing the vectors) least on a
    large corpus."""
    corpus = bench.work_dir / "copies.txt"
    with open(corpus, "wb") as out:
        for _ in range(ENCODE_COPIES):
            with open(bench.corpus, "rb") as source:
                shutil.copyfileobj(source, out)
    tokens = bench.tokens * ENCODE_COPIES
    out = bench.work_dir / "threads-large.bin"
    jobs = [
        (("w2v-nce", t), f"w2v-nce threads={t}, {ENCODE_COPIES} copies, 1 epoch",
         w2v_nce_command(corpus, out, t, 1, SGNS, bench.work_dir))
        for t in counts
    ]  # fmt: skip
    runs = alternate_runs(bench, "threads (large corpus)", jobs)
    corpus.unlink()
    whole = {}
    for t in counts:
        wall = median([r.wall for r in runs.get(("w2v-nce", t), [])])
        whole[str(t)] = tokens / wall if wall else None
    return {"copies": ENCODE_COPIES, "tokens": tokens, "whole": whole,
            "training": training_rates(runs, counts)}  # fmt: skip


def section_nce(bench):
    """w2v-nce --loss nce --k K against word2vec.c -negative K, --nce-epochs epochs."""
    args = bench.args
    ks = [int(k) for k in args.nce_k.split(",")]
    epochs, out, tmp = args.nce_epochs, bench.work_dir / "nce.bin", bench.work_dir
    w2v_c_missing = {s.name: s.missing for s in bench.systems}["word2vec.c"]
    jobs = []
    for k in ks:
        argv = w2v_nce_command(bench.corpus, out, args.threads, epochs, Setup(loss="nce", k=k), tmp)
        jobs.append((("w2v-nce", k), f"w2v-nce nce k={k}", argv))
        if w2v_c_missing is None:
            argv = word2vec_c_command(bench.corpus, out, args.threads, epochs, Setup(k=k))
            jobs.append((("word2vec.c", k), f"word2vec.c negative={k}", argv))
    walls = alternate(bench, "nce", jobs)
    speed = {key: bench.words_per_sec(median(w), epochs) for key, w in walls.items()}
    names = ("w2v-nce", "word2vec.c")
    return {"epochs": epochs, "k": {str(k): {n: speed.get((n, k)) for n in names} for k in ks}}


SGEMM_SCRIPT = """
import json, sys
from w2v_nce.memory import sgemm_rate
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
    jobs = [(k, group) for k in ks for group in KERNEL_GROUPS]
    rates = {job: [] for job in jobs}
    sgemm = []
    rows, columns = SGEMM_SHAPE
    for round_ in range(args.repeats):
        log(f"kernel: round {round_ + 1}/{args.repeats}")
        for k, group in rotated(jobs, round_):
            command = w2v_nce_command(
                corpus, bench.work_dir / "kernel.bin", 1, 1, Setup(loss="nce", k=k), bench.work_dir
            )
            if group is not None:
                command += ["--noise-group", str(group)]
            name = f"w2v-nce nce k={k} noise group {group or 'default'} threads=1"
            run = bench.run(f"{name} (round {round_ + 1})", command, env)
            summary = train_summary(run) if run.ok else None
            if summary:
                flops = kernel_flops_per_pair(k) * summary["examples"]
                rates[(k, group)].append(flops / summary["seconds"] / 1e9)
        argv = [sys.executable, "-c", SGEMM_SCRIPT, str(rows), str(columns), str(SETTINGS["dim"])]
        run = bench.run(f"numpy sgemm, one thread (round {round_ + 1})", argv, env)
        if run.ok:
            sgemm.append(json.loads(Path(run.err_path).with_suffix(".out").read_text())["gflops"])
    return {
        "tokens": count_tokens(corpus),
        "sgemm_gflops": median(sgemm),
        "k": {str(k): median(rates[(k, None)]) for k in ks},
        "k_alone": {str(k): median(rates[(k, 1)]) for k in ks},
    }


BASELINE_REV = "f7dda9a"  # w2v-nce 0.1.0: the corpus pass in one Python thread


ENCODE_COPIES = 8  # the larger input of the encode section: this many copies of the corpus


def section_encode(bench):
    """The corpus pass alone (read, tokenize, count, encode) on the plain corpus, and on
    ENCODE_COPIES copies of it (the same words, more tokens: a corpus large enough that
    the pass's fixed costs -- starting the workers, merging their tables, choosing the
    vocabulary -- weigh little, as on a corpus worth parallel reading).

    benchmarks/encode_rate.py's measurement: a fresh child times one
    ``encode_corpus(path, workers=W)`` call, wall and CPU seconds, after loading the
    compiled code on a tiny corpus. This version with 1 and --threads workers, and
    0.1.0's package (``git archive`` of BASELINE_REV; one Python thread) on the
    corpus, in the same rounds.
    """
    import encode_rate  # benchmarks/, next to this script

    packages = {"current": ROOT}
    try:
        baseline = bench.work_dir / "baseline"
        baseline.mkdir(exist_ok=True)
        packages["0.1.0"] = encode_rate.extract(BASELINE_REV, baseline)
    except (OSError, subprocess.CalledProcessError) as error:
        log(f"encode: no 0.1.0 baseline ({error}); measuring this version alone")
    copies = bench.work_dir / "corpus-copies.txt"
    with open(copies, "wb") as out:
        for _ in range(ENCODE_COPIES):
            with open(bench.corpus, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            out.write(b"\n")
    inputs = {"corpus": bench.corpus, f"{ENCODE_COPIES} copies": copies}
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


def section_checkpoint(bench):
    """The cost of one checkpoint of a bench-dev-sized model (benchmarks/checkpoint_cost.py)."""
    log("checkpoint: one checkpoint of a 27,445 × 100 model, 7 writes")
    script = Path(__file__).resolve().parent / "checkpoint_cost.py"
    run = bench.run("checkpoint cost", [sys.executable, str(script), "--json"])
    if not run.ok:
        return {"error": run.stderr_tail}
    return json.loads(Path(run.err_path).with_suffix(".out").read_text().splitlines()[-1])


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
        Setup(loss="softmax"),
        tmp_dir=bench.work_dir,
    )
    rates = []
    vocab = None
    for round_ in range(args.repeats):
        log(f"softmax: round {round_ + 1}/{args.repeats}")
        run = bench.run(f"w2v-nce softmax (round {round_ + 1})", command)
        summary = train_summary(run) if run.ok else None
        if summary:
            vocab = summary["vocab_size"]
            rates.append(
                6 * summary["examples"] * vocab * SETTINGS["dim"] / summary["seconds"] / 1e9
            )
    if vocab is None:
        return {"available": True, "error": "no run gave a parsable summary line"}
    return {
        "available": True,
        "gflops": median(rates),
        "sgemm_gflops": sgemm_gflops(vocab),
        "vocab": vocab,
        "tokens": count_tokens(corpus),
    }


def train_summary(run):
    """The JSON summary `w2v-nce train --json` printed (examples, seconds of the training
    phase alone, words/s, vocabulary), or None when it printed none."""
    try:
        return json.loads(Path(run.err_path).with_suffix(".out").read_text())
    except (OSError, ValueError):
        return None


def sgemm_gflops(vocab, batch=SOFTMAX_BATCH, seconds=1.0):
    """numpy float32 (batch × dim) @ (dim × vocab): the softmax's score sgemm."""
    from w2v_nce.memory import sgemm_rate

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
    main = main["rows"]
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


def signed_interval(difference):
    """``+0.012 [−0.020, +0.041]`` and a verdict: † where the interval excludes 0."""
    diff, ci = difference["diff"], difference["ci"]
    if diff is None:
        return "–"
    if ci is None:
        return f"{diff:+.3f}"
    mark = " †" if ci[0] > 0 or ci[1] < 0 else ""
    return f"{diff:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]{mark}"


def differences_table(differences, label):
    """One row per comparison: the paired differences of WordSim-353 and analogy."""
    rows = [
        [name, signed_interval(d["ws353"]), signed_interval(d["analogy"])]
        for name, d in differences.items()
    ]
    return table([label, "WS-353 ρ difference [95% CI]", "analogy difference [95% CI]"], rows)


def models_text(models):
    by_setup = {}
    for row in models["rows"]:
        by_setup.setdefault(row["setup"], {})[row["system"]] = row
    header = [
        "model",
        "word2vec.c flags",
        "system",
        "wall s",
        "words/s",
        "× word2vec.c",
        "peak RSS MiB",
        "WS-353 ρ [95% CI]",
        "analogy [95% CI]",
    ]
    rows = []
    for setup, systems in by_setup.items():
        reference = systems.get("word2vec.c", {}).get("words_per_sec")
        for name, row in systems.items():
            if "wall" not in row:
                rows.append([setup, row["flags"], name, row["status"], *[""] * 5])
                continue
            rows.append(
                [
                    setup,
                    f"`{row['flags']}`",
                    name,
                    fmt(row["wall"], 1),
                    fmt(row["words_per_sec"]),
                    fmt(ratio(row["words_per_sec"], reference)),
                    fmt(row["rss_mib"], 0),
                    with_interval(row["ws353"], row["ws353_ci"]),
                    with_interval(row["analogy"], row["analogy_ci"]),
                ]
            )
    text = MODELS_NOTE + "\n\n" + table(header, rows)
    if models["differences"]:
        text += "\n\nw2v-nce − word2vec.c, paired (the same resampled pairs and questions):\n\n"
        text += differences_table(models["differences"], "model")
    return text


def losses_table(losses, main):
    reference = main["rows"].get("w2v-nce", {}).get("words_per_sec") if main else None
    header = ["loss", "wall s", "words/s", "× sg neg k=5", "WS-353 ρ [95% CI]", "analogy [95% CI]"]
    rows = [
        [
            row["setup"],
            fmt(row.get("wall"), 1),
            fmt(row.get("words_per_sec")),
            fmt(ratio(row.get("words_per_sec"), reference)),
            with_interval(row.get("ws353"), row.get("ws353_ci")),
            with_interval(row.get("analogy"), row.get("analogy_ci")),
        ]
        for row in losses["rows"]
    ]
    return table(header, rows)


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


def checkpoint_text(checkpoint):
    if "error" in checkpoint:
        return f"checkpoint: failed ({checkpoint['error']})."
    return (
        f"One checkpoint of a {checkpoint['words']:,} × {checkpoint['dim']} model (the size of "
        f"bench-dev's, both matrices) takes {checkpoint['seconds']:.3f} s "
        f"({checkpoint['mib']:.1f} MiB, written to a temporary file, fsynced, renamed, the "
        f"directory fsynced; median of 7): {100 * checkpoint['share']:.3f}% of training time "
        f"at the default `--checkpoint-every {checkpoint['interval'] / 60:.0f}m` "
        "(`benchmarks/checkpoint_cost.py`)."
    )


def threads_text(threads):
    text = THREADS_NOTE + "\n\n" + threads_table(threads)
    large = threads.get("large")
    if large:
        columns = {"w2v-nce": large["whole"], "w2v-nce training phase": large["training"]}
        text += "\n\n" + THREADS_LARGE_NOTE.format(**large) + "\n\n"
        text += threads_table({"counts": threads["counts"], "systems": columns})
    return text


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
        f"{kernel['tokens']:,} tokens, with nce's default `--noise-group 4` (four consecutive "
        "centre words share one set of k noise draws, one block of all their hidden rows) "
        "and with `--noise-group 1` (a set per centre word); flops per pair = (K + 1) · 6 · "
        "dim (the candidate block's three products S = H Vᵀ, D = C V, V += Cᵀ H, 2 flops per "
        f"row, candidate and dimension each; dim = {dim}; the masked terms of a group's block "
        "are not counted), over the training seconds of the summary line. sgemm: numpy "
        f"float32 ({SGEMM_SHAPE[0]} × {dim}) @ ({dim} × {SGEMM_SHAPE[1]}) in one thread, by "
        "wall time over 2 s in each round (medians over the rounds)."
    )
    sgemm = kernel["sgemm_gflops"]
    alone = kernel.get("k_alone", {})
    rows = [
        [
            k,
            f"{kernel_flops_per_pair(int(k)):,}",
            fmt(rate),
            fmt(ratio(rate, sgemm)),
            fmt(alone.get(k)),
            fmt(ratio(alone.get(k), sgemm)),
        ]
        for k, rate in kernel["k"].items()
    ]
    rows.append(["numpy sgemm, one thread", "", fmt(sgemm), "1.00", "", ""])
    header = [
        "k",
        "flops per pair",
        "GFLOP/s",
        "÷ sgemm",
        "GFLOP/s, `--noise-group 1`",
        "÷ sgemm, `--noise-group 1`",
    ]
    return note + "\n\n" + table(header, rows)


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


SYSTEM_COLOURS = {
    "w2v-nce": "tab:blue",
    "gensim": "tab:orange",
    "word2vec.c": "tab:green",
    "fastText": "tab:red",
}


def picture_points(results):
    """(system, setup label, wall s, WS-353, its interval) of every scored run summary."""
    points = []
    main = results.get("main", {}).get("rows", {})
    for name, row in main.items():
        if "wall" in row:
            points.append((name, SGNS.label, row["wall"], row["ws353"], row["ws353_ci"]))
    for section in ("models", "losses"):
        for row in results.get(section, {}).get("rows", []):
            if "wall" in row:
                points.append(
                    (row["system"], row["setup"], row["wall"], row["ws353"], row["ws353_ci"])
                )
    return points


def draw_picture(results, path, subtitle):
    """WordSim-353 (with its 95% interval) against whole-process seconds, one point per
    system and setup, every point labelled; returns whether there was anything to draw."""
    points = picture_points(results)
    if not points:
        return False
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogLocator, NullFormatter

    from w2v_nce.plots import draw_labels, new_figure, write_png

    figure = new_figure(11, 7)
    ax = figure.add_subplot()
    walls = np.array([p[2] for p in points])
    for system, setup, wall, ws353, ci in points:
        colour = SYSTEM_COLOURS.get(system, "tab:gray")
        low, high = (ws353 - ci[0], ci[1] - ws353) if ci else (0, 0)
        ax.errorbar(
            wall, ws353, yerr=[[low], [high]], fmt="s" if setup.startswith("cbow") else "o",
            color=colour, ecolor=colour, alpha=0.8, capsize=3, markersize=7, zorder=3,
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(walls.min() / 1.25, walls.max() * 1.6)  # room right of the points for labels
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_major_formatter("{x:g}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("whole-process wall time, seconds (log scale; left is faster)")
    ax.set_ylabel("WordSim-353 Spearman ρ, with its 95% bootstrap interval")
    ax.set_title(f"Quality against speed: every system and w2v-nce loss\n{subtitle}", fontsize=11)
    ax.grid(True, which="both", alpha=0.25)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, label=name)
        for name, colour in SYSTEM_COLOURS.items()
        if any(p[0] == name for p in points)
    ]
    handles += [
        Line2D([], [], marker="o", linestyle="", color="black", label="skip-gram"),
        Line2D([], [], marker="s", linestyle="", color="black", label="CBOW"),
    ]
    legend = figure.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.9))
    width = legend.get_window_extent(figure.canvas.get_renderer()).width / figure.bbox.width
    figure.subplots_adjust(left=0.07, right=0.96 - width, bottom=0.09, top=0.9)
    styles = [{"fontsize": 8, "color": SYSTEM_COLOURS.get(p[0], "tab:gray")} for p in points]
    draw_labels(
        figure, ax, [(p[2], p[3]) for p in points], [p[1] for p in points],
        [7] * len(points), styles,
    )  # fmt: skip
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_png(figure, path)
    return True


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
    "whole-process words/s, which include reading and encoding the corpus (with "
    "`--threads` workers over newline-aligned byte ranges of a plain file); the "
    "training-phase column is the words/s of w2v-nce's own summary (`train --json`), "
    "the threaded kernel alone."
)
THREADS_LARGE_NOTE = (
    "w2v-nce alone on {copies} copies of the corpus ({tokens:,} tokens), 1 epoch: the "
    "corpus pass weighs most against training with one epoch, and what does not scale -- "
    "about a second of start-up (the interpreter, imports, loading the compiled code) and "
    "writing the vectors -- least on a large corpus."
)
MODELS_NOTE = (
    "word2vec.c's other models with its flags and defaults (`-cbow 1 -negative 5`, "
    "`-cbow 0 -hs 1 -negative 0`, `-cbow 1 -hs 1 -negative 0`; alpha 0.05 for CBOW, "
    "0.025 for skip-gram), the other settings as above; w2v-nce with `--model` and `--loss` "
    "to match and gensim with `sg`, `hs` and `negative`, the same alpha. × word2vec.c is "
    "the speed ratio (whole process)."
)
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
        f"min-count {s['min_count']}, alpha {SGNS.alpha} (→ {s['min_alpha']}), "
        f"{args.threads} threads, {args.repeats} repeat rounds (systems alternate within "
        "each round)",
    ]


def main_text(results):
    text = main_table(results["main"])
    if results["main"]["differences"]:
        differences = {
            f"w2v-nce − {other}": d for other, d in results["main"]["differences"].items()
        }
        text += (
            "\n\nPaired differences (the same resampled pairs and questions for both "
            "systems; † where the 95% interval excludes 0):\n\n"
            + differences_table(differences, "comparison")
        )
    return text


def startup_text(startup):
    return (
        f"`w2v-nce train` on the first {startup['tiny_tokens']:,} tokens of the corpus, 1 "
        "epoch; medians over the rounds, each round with a new empty cache.\n\n"
        + startup_table(startup)
    )


# section -> (its heading in BENCHMARKS.md, its text from all the results), in order
SECTION_REPORTS = {
    "main": ("Same settings, side by side", main_text),
    "models": ("CBOW and hierarchical softmax", lambda r: models_text(r["models"])),
    "losses": (
        "w2v-nce's other losses",
        lambda r: (
            "The main table's settings with another `--loss` and `--k` (skip-gram).\n\n"
            + losses_table(r["losses"], r.get("main"))
        ),
    ),
    "threads": ("w2v-nce thread scaling", lambda r: threads_text(r["threads"])),
    "encode": ("Encoding the corpus", lambda r: encode_text(r["encode"])),
    "nce": (
        "NCE against word2vec.c",
        lambda r: NCE_NOTE.format(epochs=r["nce"]["epochs"]) + "\n\n" + nce_table(r["nce"]),
    ),
    "kernel": ("Kernel arithmetic rate", lambda r: kernel_text(r["kernel"])),
    "startup": ("Start-up", lambda r: startup_text(r["startup"])),
    "softmax": ("Full softmax against numpy sgemm", lambda r: softmax_text(r["softmax"])),
    "checkpoint": ("Checkpoints", lambda r: checkpoint_text(r["checkpoint"])),
}


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
    if info.get("picture"):
        parts += ["", f"![WordSim-353 against whole-process seconds]({info['picture']})"]
    for section, (title, render) in SECTION_REPORTS.items():
        if section in results:
            parts += ["", f"## {title}", "", render(results)]
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
        "--plot",
        default=str(ROOT / "docs" / "img" / "quality-speed.png"),
        help="the quality/speed picture (default docs/img/quality-speed.png; '' for none)",
    )
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
    "models": section_models,
    "losses": section_losses,
    "encode": section_encode,
    "checkpoint": section_checkpoint,
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
    subtitle = (
        f"{Path(args.corpus).name}, {tokens:,} tokens, {args.epochs} epochs, "
        f"{args.threads} threads, dim {SETTINGS['dim']}; medians of {args.repeats} rounds"
    )
    if args.plot and draw_picture(results, args.plot, subtitle):
        info["picture"] = os.path.relpath(args.plot, Path(args.markdown).resolve().parent)
        log(f"wrote {args.plot}")
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
