"""What the sections share: running a child process and timing it, the prepared
corpus, the benchmark's state (:class:`Bench`), rounds that alternate the jobs, the
summary line of ``w2v-nce train --json``, and formatting the tables.
"""

import argparse
import bz2
import dataclasses
import gzip
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


SETTINGS = {
    "dim": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "min_count": 5,
    "min_alpha": 0.0001,
}


TINY_TOKENS = 20_000  # the warm-up and start-up corpus


def log(message):
    print(message, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else None


@dataclass
class Run:
    """One child process: wall seconds, its own peak RSS, and how it ended; ``cpu`` is
    its user + system CPU seconds (its threads and its own children's included)."""

    wall: float
    rss_mib: float
    returncode: int
    stderr_tail: str = ""
    err_path: Path | None = None
    quality: dict = field(default_factory=dict)
    cpu: float | None = None

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
    cpu = usage.ru_utime + usage.ru_stime
    json.dump({"wall": wall, "maxrss_kib": usage.ru_maxrss, "cpu": cpu, "returncode": code}, out)
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
    run.cpu = result.get("cpu")
    if not run.ok:
        run.stderr_tail = tail(err_path) or tail(out_path)
        if run.returncode == -signal.SIGKILL:
            run.stderr_tail += f"\n(killed after the {timeout:.0f} s time limit)"
    return run


def rss_floor(log_dir):
    """What the launcher reports for /bin/true: the smallest peak RSS it can show."""
    return run_process(["true"], log_dir, "rss-floor", 60).rss_mib


def sibling_or_path(name):
    """A script installed next to this interpreter (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def offered():
    """(the --loss choices, the option names) that `w2v-nce train --help` lists."""
    try:
        text = subprocess.run(
            [sibling_or_path("w2v-nce"), "train", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    except (OSError, TypeError, subprocess.SubprocessError):
        return set(), set()
    found = re.search(r"--loss\s*\[([^\]]+)\]", text)
    losses = set(found.group(1).split("|")) if found else set()
    return losses, set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))


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


def rotated(items, shift):
    shift %= max(len(items), 1)
    return items[shift:] + items[:shift]


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


def train_summary(run):
    """The JSON summary `w2v-nce train --json` printed (examples, seconds of the training
    phase alone, words/s, vocabulary), or None when it printed none."""
    try:
        return json.loads(Path(run.err_path).with_suffix(".out").read_text())
    except (OSError, ValueError):
        return None


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


COPIES = 8  # the larger input of the encode and threads sections: this many copies of the corpus


def corpus_copies(bench, target, copies=COPIES):
    """``copies`` copies of the benchmark corpus, one after the other, in ``target``: the
    same words, more tokens (a newline after each copy, so no two tokens are joined)."""
    with open(target, "wb") as out:
        for _ in range(copies):
            with open(bench.corpus, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
            out.write(b"\n")
    return target


# --also this many times over, so the glosses hold about as many tokens as bench-dev (the
# whole-process ratios then weigh start-up alike on both corpora), with the copies' lines
# shuffled together (ALSO_SEED). Not one copy after the other: word2vec.c and pWord2Vec
# give each thread one contiguous range of the file, so with 2 threads each trained one
# copy and every sentence was trained twice at the same time (measured, CBOW neg:
# word2vec.c's WordSim-353 0.557-0.563 with 2 threads, 0.540 with 1; w2v-nce, which deals
# its blocks out in file order, 0.504-0.525 either way).
ALSO_COPIES = 2
ALSO_SEED = 0


def shuffled_copies(bench, target, copies, seed=ALSO_SEED):
    """``copies`` copies of the benchmark corpus's lines, shuffled together (a seeded
    permutation) into ``target``: each sentence ``copies`` times, at places no program's
    split of the file by threads lines up."""
    with open(bench.corpus, "rb") as source:
        lines = [line.rstrip(b"\n") for line in source]
    order = np.random.default_rng(seed).permutation(len(lines) * copies) % len(lines)
    with open(target, "wb") as out:
        for i in order:
            out.write(lines[i] + b"\n")
    return target


def other_bench(bench, corpus, section, copies=1):
    """The benchmark's state with another corpus (plain, counted, its tiny slice), in
    its own folder for ``section``; ``copies`` > 1 copies of its lines shuffled together
    (:func:`shuffled_copies`)."""
    work_dir = bench.work_dir / f"{section}-{Path(corpus).name}"
    work_dir.mkdir(parents=True, exist_ok=True)
    plain = plain_corpus(corpus, work_dir)
    tiny = head_corpus(plain, work_dir / "tiny.txt", TINY_TOKENS)
    other = dataclasses.replace(bench, corpus=plain, tokens=count_tokens(plain), tiny=tiny)
    if copies > 1:
        repeated = shuffled_copies(other, work_dir / f"copies-{copies}.txt", copies)
        other = dataclasses.replace(other, corpus=repeated, tokens=other.tokens * copies)
    return other


def corpus_name(corpus, copies=1):
    return corpus if copies == 1 else f"{corpus}, {copies} copies, lines shuffled together"


def on_each_corpus(bench, section, measure_corpus, also, copies=1, problem=None):
    """``measure_corpus(bench)`` on the benchmark corpus, then on the second corpus
    ``also`` (``copies`` of it one after the other; none when ``also`` is '' or the
    benchmark corpus itself): a list of their results, each given its corpus's name,
    tokens and the load average at its start and end. ``problem(other)`` says why the
    second corpus cannot be used (it is then left out), or None."""
    corpora = [with_corpus(bench, bench.args.corpus, measure_corpus)]
    if not also or Path(also).resolve() == Path(bench.args.corpus).resolve():
        return corpora
    log(f"{section}: preparing {corpus_name(also, copies)}")
    other = other_bench(bench, also, section, copies)
    why = problem(other) if problem else None
    if why:
        log(f"{section}: {also} skipped: {why}")
        return corpora
    corpora.append(with_corpus(other, corpus_name(also, copies), measure_corpus))
    bench.counter = other.counter  # the run logs' numbers go on
    return corpora


def with_corpus(bench, name, measure_corpus):
    start = os.getloadavg()[0]
    found = measure_corpus(bench)
    found.update(corpus=name, tokens=bench.tokens, load=[start, os.getloadavg()[0]])
    return found


def corpora_of(results):
    """The per-corpus results of a section that keeps its first corpus's at the top
    level and the second's under ``others``."""
    return [results, *results.get("others", [])]


def corpus_heading(corpus):
    """The line above a corpus's tables: its name, tokens and load average."""
    load = corpus.get("load")
    where = f"; load average {load[0]:.2f} at the start, {load[1]:.2f} at the end" if load else ""
    return f"**`{corpus['corpus']}`** ({corpus['tokens']:,} tokens{where})"


@dataclass(frozen=True)
class Section:
    """One section of the benchmark and of BENCHMARKS.md.

    ``measure(bench)`` runs it and returns its results (JSON-able); ``text(results)``
    renders them under ``## title``, given the results of every section that ran
    (a section may refer to another's, as the losses do to the main table's speed).
    """

    name: str  # what --only and --skip call it
    title: str
    measure: Callable[[Bench], dict]
    text: Callable[[dict], str]
