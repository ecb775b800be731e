"""BENCHMARKS.md: the header (command, machine, software, corpus, settings), the
method note, the picture and each section's text, and the failures."""

import importlib.metadata
import os
import platform
import re
import shlex
import sys
from pathlib import Path

from .common import ALSO_COPIES, ROOT, SETTINGS, corpus_name, fmt
from .sections import SECTIONS
from .systems import SGNS


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


def command_line():
    python = (
        os.path.relpath(sys.executable)
        if Path.cwd() in Path(sys.executable).parents
        else sys.executable
    )
    script = os.path.relpath(sys.argv[0])
    if Path(script).name == "__main__.py":  # python -m benchmarks
        return shlex.join([python, "-m", "benchmarks", *sys.argv[1:]])
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


def header_lines(bench, info, ran=()):
    """The header's bullet points; ``ran`` names the sections that ran."""
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
        *second_corpora(args, ran),
        f"- **Settings**: skip-gram, negative sampling k = {s['negative']}, "
        f"window {s['window']}, dim {s['dim']}, sample {s['sample']:g}, {args.epochs} epochs, "
        f"min-count {s['min_count']}, alpha {SGNS.alpha} (→ {s['min_alpha']}), "
        f"{args.threads} threads, {args.repeats} repeat rounds (systems alternate within "
        "each round)",
    ]


ALSO_SECTIONS = ("main", "pword2vec", "models")  # the sections that run on --also too


def second_corpora(args, ran):
    """The header's line on the second corpora of the sections that ran (their tokens
    are in the sections)."""
    also, losses = getattr(args, "also", None), getattr(args, "losses_also", None)
    found = []
    if also and (used := [name for name in ALSO_SECTIONS if name in ran]):
        found.append(f"`{corpus_name(also, ALSO_COPIES)}` (`--also`: {', '.join(used)})")
    if losses and "losses" in ran:
        found.append(f"`{losses}` (`--losses-also`: losses)")
    if not found:
        return []
    return [
        f"- **Second corpus**, of another kind: {'; '.join(found)}; each section's "
        "tables are given again on it, under its name, tokens and load average"
    ]


def report(bench, info, results):
    parts = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/bench.py`; rerun it (or `make bench`) to refresh this file.",
        "",
        *header_lines(bench, info, results),
        "",
        NOTE.format(floor=info["rss_floor_mib"]),
    ]
    if info.get("picture"):
        parts += ["", f"![WordSim-353 against whole-process seconds]({info['picture']})"]
    for name, section in SECTIONS.items():
        if name in results:
            parts += ["", f"## {section.title}", "", section.text(results)]
    if bench.failures:
        parts += ["", "## Failures", "", *failure_lines(bench.failures)]
    return "\n".join(parts).rstrip() + "\n"


def failure_lines(failures):
    lines = []
    for failure in failures:
        lines += [
            f"**{failure['run']}**: `{failure['command']}`",
            "",
            "```",
            failure["tail"] or "(no output)",
            "```",
            "",
        ]
    return lines


def update_report(old, bench, info, results):
    """``old`` (a BENCHMARKS.md) with only the sections in ``results`` replaced, each
    saying which command, date and load it comes from (the header describes the rest);
    a section the file lacks goes before its Failures, or at the end."""
    host = info["machine"]
    note = (
        f"*This section alone was rerun: `{info['command']}` on {info['date']}, "
        f"`{bench.args.corpus}` ({bench.tokens:,} tokens); load average "
        f"{host['load'][0]:.2f} at the start, {info['load_end'][0]:.2f} at the end. The "
        "header above describes the run the other sections come from.*"
    )
    for name, section in SECTIONS.items():
        if name not in results:
            continue
        parts = [f"## {section.title}", "", note, "", section.text(results)]
        if bench.failures:
            parts += ["", "Failures in this run:", "", *failure_lines(bench.failures)]
        block = "\n".join(parts).rstrip() + "\n\n"
        found = re.search(rf"^## {re.escape(section.title)}\n.*?(?=^## |\Z)", old, re.M | re.S)
        if found:
            old = old[: found.start()] + block + old[found.end() :]
        elif "\n## Failures\n" in old:
            old = old.replace("\n## Failures\n", f"\n{block}## Failures\n", 1)
        else:
            old = old.rstrip() + "\n\n" + block
    return old.rstrip() + "\n"
