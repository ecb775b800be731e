"""Every loss side by side with the same settings and epochs: speed, WordSim-353,
SimLex-999 and analogies with paired intervals against neg, and the geometry of the
input vectors (Wang & Isola's alignment and uniformity, from ``w2v-nce evaluate
--corpus --json``); on the benchmark corpus and on a second corpus of another kind
(``--losses-also``, the dictionary glosses by default), with their picture.

The runs are data (:data:`LOSS_RUNS`: a label, the loss, its extra flags and the run it
is compared with); a run whose loss or flags the installed ``w2v-nce train --help``
does not offer is listed as not offered and skipped.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..common import (
    Section,
    corpora_of,
    corpus_heading,
    fmt,
    log,
    median,
    offered,
    on_each_corpus,
    ratio,
    sibling_or_path,
    table,
    with_interval,
)
from ..quality import (
    median_interval,
    quality_rounds,
    signed_interval,
    summarise_differences,
    summarise_runs,
)
from ..systems import Setup, system_argv

# The full softmax costs V·dim per pair (and ran at about 4 GFLOP/s here, a V = 300
# epoch of bench-dev in about a minute and a half): its run keeps the most frequent words.
SOFTMAX_VOCAB = 300
TEMPERATURE = "0.1"  # infonce with cosine: SimCLR/CPC practice is τ ≈ 0.05-0.2


@dataclass(frozen=True)
class LossRun:
    """One row of the table: ``w2v-nce train --loss LOSS FLAGS`` with the main settings;
    its paired differences are taken against the run labelled ``reference``."""

    label: str
    loss: str
    flags: tuple[str, ...] = ()
    reference: str = "neg"


CAPPED = ("--max-vocab", str(SOFTMAX_VOCAB))
LOSS_RUNS = (
    LossRun("neg", "neg"),
    LossRun("nce", "nce"),
    LossRun("infonce", "infonce"),
    LossRun(
        f"infonce cosine τ={TEMPERATURE}",
        "infonce",
        ("--similarity", "cosine", "--temperature", TEMPERATURE),
    ),
    LossRun("hs", "hs"),
    LossRun("triplet all", "triplet", ("--mining", "all")),
    LossRun("triplet semi-hard", "triplet", ("--mining", "semi-hard")),
    LossRun("triplet hard", "triplet", ("--mining", "hard")),
    LossRun("contrastive", "contrastive"),
    LossRun(f"neg, vocabulary {SOFTMAX_VOCAB:,}", "neg", CAPPED),
    LossRun(
        f"softmax, vocabulary {SOFTMAX_VOCAB:,}",
        "softmax",
        CAPPED,
        reference=f"neg, vocabulary {SOFTMAX_VOCAB:,}",
    ),
)
GEOMETRY_KEYS = ("alignment", "alignment_ci", "uniformity", "uniformity_ci")
PICTURE = "losses-geometry.png"  # beside the quality/speed picture (--plot)


def missing(run, losses, options):
    """Why the installed w2v-nce cannot train ``run``, or None when it can."""
    if run.loss not in losses:
        return f"--loss {run.loss} not offered by the installed w2v-nce"
    unknown = [flag for flag in run.flags if flag.startswith("--") and flag not in options]
    return f"{', '.join(unknown)} not offered by the installed w2v-nce" if unknown else None


def geometry_hook(bench, corpus):
    """``after`` for quality_rounds: alignment and uniformity of the saved model, from
    ``w2v-nce evaluate MODEL --corpus CORPUS --json`` (then the model is removed)."""

    def after(key, run, out):
        model = out.with_suffix(".npz")
        command = [sibling_or_path("w2v-nce"), "evaluate", str(model), "--corpus", str(corpus)]
        # --pmi-top 10: evaluate's PMI check, which this section does not read, kept cheap
        done = bench.run(f"evaluate {key}", [*command, "--json", "--pmi-top", "10"])
        model.unlink(missing_ok=True)
        try:
            scores = json.loads(Path(done.err_path).with_suffix(".out").read_text())
        except (OSError, TypeError, ValueError):
            scores = {}
        run.quality.update({name: scores.get(name) for name in GEOMETRY_KEYS})

    return after


def with_flags(make_argv, flags):
    """make_argv(out[, corpus]) with the run's flags and the model saved beside ``out``."""
    return lambda out, *corpus: [
        *make_argv(out, *corpus),
        *flags,
        "--save-model",
        str(Path(out).with_suffix(".npz")),
    ]


def geometry_summary(done):
    """Medians over the rounds of alignment and uniformity and of their intervals."""
    row = {}
    for key in ("alignment", "uniformity"):
        found = [r.quality for r in done if r.quality.get(key) is not None]
        row[key] = median([q[key] for q in found])
        row[f"{key}_ci"] = median_interval([q[f"{key}_ci"] for q in found]) if found else None
    return row


def measure_corpus(bench, why):
    """The runs on ``bench.corpus`` (those without a reason in ``why``): one summary row
    per run and the paired differences from each run's reference."""
    args = bench.args
    system = next(s for s in bench.systems if s.name == "w2v-nce")
    available = [run for run in LOSS_RUNS if run.label not in why]
    jobs = []
    for run in available:
        train = system_argv(bench, system, Setup(loss=run.loss), args.threads, args.epochs)
        jobs.append((run.label, f"w2v-nce {run.label}", with_flags(train, run.flags)))
    labels = {run.label for run in available}
    compare = [(r.label, r.reference) for r in available if r.reference in labels - {r.label}]
    after = geometry_hook(bench, bench.corpus)
    runs, diffs = quality_rounds(bench, "losses", jobs, compare, after=after)
    rows = []
    for run in LOSS_RUNS:
        done = runs.get(run.label, [])
        row = summarise_runs(bench, done, why.get(run.label))
        row.update(geometry_summary(done))
        row.update(setup=run.label, system="w2v-nce", flags=list(run.flags))
        row.update(reference=run.reference)
        rows.append(row)
    differences = {key: d for (key, _), d in summarise_differences(diffs).items()}
    return {"rows": rows, "differences": differences}


def measure(bench):
    """Every run the installed w2v-nce offers, on the benchmark corpus and then on
    ``--losses-also``; and the picture."""
    losses, options = offered()
    why = {}
    for run in LOSS_RUNS:
        reason = missing(run, losses, options)
        if reason:
            why[run.label] = reason
            log(f"losses: {run.label}: {reason}; skipped")
    args = bench.args
    also = getattr(args, "losses_also", None)
    first, *others = on_each_corpus(bench, "losses", lambda on: measure_corpus(on, why), also)
    results = dict(first, others=others)
    results.update(epochs=args.epochs, threads=args.threads, repeats=args.repeats)
    results["picture"] = draw(results, args)
    return results


# --------------------------------------------------------------------------- the text


def quality_table(corpus):
    rows_by_label = {row["setup"]: row for row in corpus["rows"]}
    header = [
        "loss", "extra flags", "wall s", "words/s", "× reference", "WS-353 ρ [95% CI]",
        "SimLex-999 ρ [95% CI]", "analogy [95% CI]", "alignment [95% CI]",
        "uniformity [95% CI]",
    ]  # fmt: skip
    rows = []
    for row in corpus["rows"]:
        flags = f"`{' '.join(row['flags'])}`" if row["flags"] else ""
        if "wall" not in row:
            rows.append([row["setup"], flags, row["status"], *[""] * (len(header) - 3)])
            continue
        reference = rows_by_label.get(row["reference"], {}).get("words_per_sec")
        rows.append(
            [
                row["setup"],
                flags,
                fmt(row["wall"], 1),
                fmt(row["words_per_sec"]),
                fmt(ratio(row["words_per_sec"], reference)),
                *[with_interval(row.get(k), row.get(f"{k}_ci")) for k in SCORES],
            ]
        )
    return table(header, rows)


SCORES = ("ws353", "simlex999", "analogy", "alignment", "uniformity")


def differences_table(corpus):
    rows = [
        [f"{row['setup']} − {row['reference']}"]
        + [signed_interval(d[k]) for k in ("ws353", "simlex999", "analogy")]
        for row in corpus["rows"]
        if (d := corpus["differences"].get(row["setup"]))
    ]
    header = ["paired difference", "WS-353 ρ [95% CI]", "SimLex-999 ρ [95% CI]", "analogy [95% CI]"]
    return table(header, rows)


def corpus_text(corpus):
    return (
        corpus_heading(corpus)
        + "\n\n"
        + quality_table(corpus)
        + "\n\nPaired differences from the reference (the same resampled pairs and questions "
        "for both runs; † where the 95% interval excludes 0):\n\n" + differences_table(corpus)
    )


def text(results):
    losses = results["losses"]
    intro = (
        f"Every loss with the main table's settings (skip-gram, k = 5 where the loss draws "
        f"noise words, {plural(losses['epochs'], 'epoch')}, {plural(losses['threads'], 'thread')}, "
        f"medians of {plural(losses['repeats'], 'round')}, the runs alternating within each "
        "round), with only "
        "its flags added; each model is also saved (`--save-model`, inside the wall time). "
        "× reference is the words/s ratio to neg, measured side by side in the same rounds "
        f"(softmax: to neg with the same {SOFTMAX_VOCAB:,}-word vocabulary, since the full "
        "softmax costs the vocabulary's size per pair). Alignment (E‖f(w) − f(c)‖² over window "
        "pairs) and uniformity (log E exp(−2‖f(x) − f(y)‖²) over token pairs) of the unit input "
        "vectors f are from `w2v-nce evaluate MODEL --corpus CORPUS --json`; lower is better "
        "for both (Wang & Isola 2020). A run whose loss or flags the installed w2v-nce does "
        "not offer is listed as not offered."
    )
    parts = [intro]
    if losses.get("picture"):
        parts.append(f"![Each loss in the (uniformity, alignment) plane]({losses['picture']})")
    for corpus in corpora_of(losses):
        parts.append(corpus_text(corpus))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- the picture


def picture_path(args):
    """Where the picture goes (beside --plot's; None when --plot is '') and how the
    report (--markdown) links to it."""
    if not args.plot:
        return None, None
    path = Path(args.plot).parent / PICTURE
    return path, os.path.relpath(path.resolve(), Path(args.markdown).resolve().parent)


def draw(results, args):
    """Each run a labelled point in the (uniformity, alignment) plane, coloured by its
    WordSim-353, one panel per corpus (Wang & Isola's figure); returns the report's link
    to it, or None when there was nothing to draw."""
    path, link = picture_path(args)
    corpora = [c for c in corpora_of(results) if points(c)]
    if path is None or not corpora:
        return None
    from w2v_nce.evaluation.plots import draw_labels, new_figure, write_png

    figure = new_figure(6.5 * len(corpora) + 1, 6)
    scores = [p[3] for c in corpora for p in points(c)]
    low, high = min(scores), max(scores)
    axes = [figure.add_subplot(1, len(corpora), n + 1) for n in range(len(corpora))]
    drawn = None
    for ax, corpus in zip(axes, corpora, strict=True):
        found = points(corpus)
        drawn = ax.scatter(
            [p[1] for p in found], [p[2] for p in found], c=[p[3] for p in found],
            cmap="viridis", vmin=low, vmax=high, s=60, edgecolors="black", zorder=3,
        )  # fmt: skip
        ax.set_xlabel("uniformity: log E exp(−2‖f(x) − f(y)‖²) (lower is better)")
        ax.set_ylabel("alignment: E‖f(w) − f(c)‖² (lower is better)")
        ax.set_title(f"{Path(corpus['corpus']).name}, {corpus['tokens']:,} tokens", fontsize=10)
        ax.grid(True, alpha=0.25)
        ax.margins(0.18)
    figure.suptitle(
        f"Every loss's unit input vectors: alignment against uniformity "
        f"(skip-gram, k = 5, {plural(results['epochs'], 'epoch')})",
        fontsize=11,
    )
    figure.tight_layout(rect=(0, 0, 0.93, 1))
    bar = figure.add_axes((0.94, 0.12, 0.015, 0.76))
    figure.colorbar(drawn, cax=bar, label="WordSim-353 Spearman ρ")
    style = {"fontsize": 8, "color": "black"}
    for ax, corpus in zip(axes, corpora, strict=True):  # once the layout is final
        found = points(corpus)
        coords, labels = [(p[1], p[2]) for p in found], [p[0] for p in found]
        draw_labels(figure, ax, coords, labels, [8] * len(found), [style] * len(found))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(figure, path)
    log(f"wrote {path}")
    return link


def plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def points(corpus):
    """(label, uniformity, alignment, WordSim-353) of every run with all three."""
    return [
        (row["setup"], row["uniformity"], row["alignment"], row["ws353"])
        for row in corpus["rows"]
        if all(row.get(key) is not None for key in ("uniformity", "alignment", "ws353"))
    ]


SECTION = Section("losses", "Every loss side by side", measure, text)
