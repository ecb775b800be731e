"""w2v-nce's thread scaling, word2vec.c beside it as a reference."""

import os

from ..common import (
    COPIES,
    Section,
    alternate_runs,
    corpus_copies,
    fmt,
    median,
    ratio,
    table,
    train_summary,
)
from ..systems import SGNS, w2v_nce_command


def measure(bench):
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
    """w2v-nce's scaling on COPIES copies of the corpus, one epoch: the corpus
    pass weighs most against training with one epoch, and the fixed start-up (the
    interpreter, imports, loading the compiled code, writing the vectors) least on a
    large corpus."""
    corpus = corpus_copies(bench, bench.work_dir / "copies.txt")
    tokens = bench.tokens * COPIES
    out = bench.work_dir / "threads-large.bin"
    jobs = [
        (("w2v-nce", t), f"w2v-nce threads={t}, {COPIES} copies, 1 epoch",
         w2v_nce_command(corpus, out, t, 1, SGNS, bench.work_dir))
        for t in counts
    ]  # fmt: skip
    runs = alternate_runs(bench, "threads (large corpus)", jobs)
    corpus.unlink()
    whole = {}
    for t in counts:
        wall = median([r.wall for r in runs.get(("w2v-nce", t), [])])
        whole[str(t)] = tokens / wall if wall else None
    return {"copies": COPIES, "tokens": tokens, "whole": whole,
            "training": training_rates(runs, counts)}  # fmt: skip


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


SECTION = Section(
    "threads", "w2v-nce thread scaling", measure, lambda r: threads_text(r["threads"])
)
