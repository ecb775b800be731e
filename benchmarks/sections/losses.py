"""w2v-nce's other losses at several k: the quality/speed picture's points."""

from ..common import Section, fmt, ratio, table, with_interval
from ..quality import quality_rounds, summarise_runs
from ..systems import Setup, system_argv

# w2v-nce's other losses for the quality/speed picture (softmax is left out: on this
# vocabulary one epoch takes tens of minutes, see the softmax section).
LOSS_SETUPS = (
    Setup("skipgram", "nce", 5),
    Setup("skipgram", "nce", 25),
    Setup("skipgram", "nce", 64),
    Setup("skipgram", "infonce", 25),
    Setup("skipgram", "neg", 25),
)


def measure(bench):
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


def text(results):
    return (
        "The main table's settings with another `--loss` and `--k` (skip-gram).\n\n"
        + losses_table(results["losses"], results.get("main"))
    )


SECTION = Section("losses", "w2v-nce's other losses", measure, text)
