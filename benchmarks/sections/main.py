"""Every system, skip-gram with negative sampling, the same settings: speed, memory,
quality; on the benchmark corpus and on a second corpus of another kind (``--also``, the
dictionary glosses, two copies with their lines shuffled together, by default)."""

from ..common import (
    ALSO_COPIES,
    Section,
    corpora_of,
    corpus_heading,
    fmt,
    on_each_corpus,
    ratio,
    table,
    with_interval,
)
from ..quality import differences_table, quality_rounds, summarise_differences, summarise_runs
from ..systems import SGNS, system_argv


def measure(bench):
    """:func:`measure_corpus` on the benchmark corpus (its results at the top level, which
    the quality/speed picture reads) and on ``--also`` (under ``others``)."""
    also = getattr(bench.args, "also", None)
    first, *others = on_each_corpus(bench, "main", measure_corpus, also, ALSO_COPIES)
    return dict(first, others=others)


def measure_corpus(bench):
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


def corpus_text(corpus):
    parts = [corpus_heading(corpus)] if "corpus" in corpus else []
    parts.append(main_table(corpus))
    if corpus["differences"]:
        differences = {f"w2v-nce − {other}": d for other, d in corpus["differences"].items()}
        parts += [
            "Paired differences (the same resampled pairs and questions for both "
            "systems; † where the 95% interval excludes 0):",
            differences_table(differences, "comparison"),
        ]
    return "\n\n".join(parts)


def text(results):
    return "\n\n".join(corpus_text(corpus) for corpus in corpora_of(results["main"]))


SECTION = Section("main", "Same settings, side by side", measure, text)
