"""CBOW and hierarchical softmax with word2vec.c's flags: w2v-nce, word2vec.c, gensim;
on the benchmark corpus and on a second corpus of another kind (``--also``, as the main
section), with w2v-nce's speed ratio to word2vec.c per model and corpus."""

from pathlib import Path

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
from ..systems import Setup, system_argv

# word2vec.c's other models, with its flags: -cbow 1 -negative 5, -cbow 0 -hs 1
# -negative 0, -cbow 1 -hs 1 -negative 0 (issue 12's targets).
MODEL_SETUPS = (Setup("cbow", "neg", 5), Setup("skipgram", "hs"), Setup("cbow", "hs"))


def measure(bench):
    """:func:`measure_corpus` on the benchmark corpus (its results at the top level) and
    on ``--also`` (under ``others``)."""
    also = getattr(bench.args, "also", None)
    first, *others = on_each_corpus(bench, "models", measure_corpus, also, ALSO_COPIES)
    return dict(first, others=others)


def measure_corpus(bench):
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


MODELS_NOTE = (
    "word2vec.c's other models with its flags and defaults (`-cbow 1 -negative 5`, "
    "`-cbow 0 -hs 1 -negative 0`, `-cbow 1 -hs 1 -negative 0`; alpha 0.05 for CBOW, "
    "0.025 for skip-gram), the other settings as above; w2v-nce with `--model` and `--loss` "
    "to match and gensim with `sg`, `hs` and `negative`, the same alpha. × word2vec.c is "
    "the speed ratio (whole process)."
)


def by_setup(corpus):
    """{setup: {system: row}} of one corpus's rows."""
    found = {}
    for row in corpus["rows"]:
        found.setdefault(row["setup"], {})[row["system"]] = row
    return found


def models_table(corpus):
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
    for setup, systems in by_setup(corpus).items():
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
    return table(header, rows)


def corpus_text(corpus):
    parts = [corpus_heading(corpus)] if "corpus" in corpus else []
    parts.append(models_table(corpus))
    if corpus["differences"]:
        parts += [
            "w2v-nce − word2vec.c, paired (the same resampled pairs and questions):",
            differences_table(corpus["differences"], "model"),
        ]
    return "\n\n".join(parts)


def ratios_table(corpora):
    """w2v-nce's words/s ÷ word2vec.c's, one row per model, one column per corpus."""
    found = [by_setup(corpus) for corpus in corpora]
    rows = []
    for setup in dict.fromkeys(s for systems in found for s in systems):
        speeds = [
            {name: row.get("words_per_sec") for name, row in systems.get(setup, {}).items()}
            for systems in found
        ]
        rows.append([setup, *(fmt(ratio(s.get("w2v-nce"), s.get("word2vec.c"))) for s in speeds)])
    return table(["model", *(f"`{Path(c['corpus']).name}`" for c in corpora)], rows)


def models_text(models):
    corpora = corpora_of(models)
    parts = [MODELS_NOTE, *(corpus_text(corpus) for corpus in corpora)]
    if len(corpora) > 1:
        parts += [
            "w2v-nce's words/s ÷ word2vec.c's, whole process, on each corpus (issue 12's "
            "target: at least 1.5×):",
            ratios_table(corpora),
        ]
    return "\n\n".join(parts)


SECTION = Section(
    "models", "CBOW and hierarchical softmax", measure, lambda r: models_text(r["models"])
)
