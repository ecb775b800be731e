"""The ``evaluate`` and ``compare`` commands (registered in cli.py with ``cli.add_command``).

Standalone click commands so that this file owns them; like cli.py, heavy modules
(numba kernels, scipy, gensim) are imported inside the commands, so importing
this module costs nothing at ``w2v-nce --help``.

Scores that are undefined (every pair out of vocabulary, no PMI pair above the
threshold) are ``null`` in JSON and ``n/a`` in the tables, never a made-up 0.
"""

from __future__ import annotations

import json
import os
import tempfile

import click

from w2v_nce import losses
from w2v_nce.cli.options import (
    ALL_HYPERPARAMETERS,
    click_option,
    encoding_errors_option,
    hyperparameters,
)
from w2v_nce.errors import UsageError
from w2v_nce.params import EVALUATE_OPTIONS

# The loss lists of the two commands' help, from the loss records.
_TARGETS = losses.per_loss(lambda loss: loss.target, sep="; ")
_NOT_IN_GENSIM = [loss.name for loss in losses.LOSSES.values() if loss.gensim_name != loss.name]


def _pmi_options(command):
    """--pmi-top and --pmi-min-count from the table, checked by its checks (the API's)."""
    command = click_option(EVALUATE_OPTIONS["pmi_min_count"])(command)
    return click_option(EVALUATE_OPTIONS["pmi_top"])(command)


def _input_file_option(name: str, **multiple):
    """--pairs or --analogies: any text, so that a missing file is the evaluation's
    ``FILE: no such file`` (exit 1) as for every other input, not click's usage error."""
    param = EVALUATE_OPTIONS[name]
    return click.option(
        param.flag,
        name,
        default=None,
        metavar="FILE",
        help=f"{param.help}  [default: {param.default_text}]",
        **multiple,
    )


@click.command()
@click.argument("model")
@click.option(
    "--corpus",
    default=None,
    help="The training corpus, for the PMI check (needs a .npz MODEL).  [default: none]",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object.")
@_input_file_option("pairs", multiple=True)
@_input_file_option("analogies")
@_pmi_options
@click.option(
    "--plot",
    default=None,
    metavar="PATH.png",
    help="Save a scatter of the score u_w·v_c + b_c against the PMI target (needs "
    "matplotlib).  [default: none]",
)
@encoding_errors_option("Invalid UTF-8 in --corpus: stop, or replace/drop the bad bytes.")
def evaluate(model, corpus, as_json, plot, **options):
    """Score the vectors in MODEL (.npz from --save-model, or word2vec text/binary).

    \b
    Cosine: Spearman on WordSim-353 and SimLex-999, 3CosAdd accuracy on Google's
    analogies over the 30,000 most frequent words (gensim's conventions and data).

    PMI (with --corpus and a .npz model): u_w·v_c against what the loss should
    learn ({targets}), over pairs of the --pmi-top most frequent words.
    Alignment and uniformity (with --corpus) of the unit input vectors f: the mean
    ‖f(w) − f(c)‖² over window pairs, log E exp(−2‖f(x) − f(y)‖²) over token pairs.

    \b
    Example:
      w2v-nce evaluate model.npz --corpus corpus.txt --plot pmi.png
    """
    from w2v_nce.evaluation import evaluate_model, model_of

    if plot and not corpus:
        raise UsageError("--plot draws the PMI comparison: give --corpus too")
    if plot:
        from w2v_nce.evaluation.plots import image_format, require_matplotlib
        from w2v_nce.io.atomic import check_writable_output

        require_matplotlib()
        check_writable_output(plot)
        image_format(plot)
    loaded = model_of(model)
    result = evaluate_model(loaded, corpus, **options)
    for note in result.notes:
        _note(note)
    if plot and result.pmi is not None:
        from w2v_nce.evaluation.plots import save_scatter

        save_scatter(result.pmi, plot)  # atomically
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    described = ", ".join(
        f"{key} {loaded.config[key]}" for key in ("model", "loss") if key in loaded.config
    )
    click.echo(
        f"{model}: {len(loaded.vocab):,} words, dim {loaded.input.shape[1]}"
        + (f", {described}" if described else "")
    )
    for line in report_lines(result.as_json()):
        click.echo(line)
    if plot:
        click.echo(f"wrote {plot}")


def _note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


# --------------------------------------------------------------------------- formatting


def _num(value, fmt=".4f") -> str:
    return "n/a" if value is None else format(value, fmt)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _interval(ci, fmt=".3f") -> str:
    """``[0.512, 0.655]``, or ``no CI`` (a set too small or too uniform for one)."""
    return "no CI" if ci is None else f"[{_number(ci[0], fmt)}, {_number(ci[1], fmt)}]"


def _number(value: float, fmt: str) -> str:
    """``value`` formatted, with no minus sign on a value that rounds to zero."""
    text = f"{value:{fmt}}"
    return text.replace("-", "+" if "+" in fmt else "", 1) if float(text) == 0 else text


def report_lines(scores: dict) -> list[str]:
    """The evaluate report as text lines, from the JSON dict."""

    def benchmark(label, measure, key):
        return (
            f"{label:<12} {measure} {_num(scores[key]):>7}   95% CI "
            f"{_interval(scores[f'{key}_ci']):<14}   OOV {_pct(scores[f'{key}_oov']):>6}"
        )

    lines = [
        benchmark("WordSim-353", "Spearman", "ws353"),
        benchmark("SimLex-999", "Spearman", "simlex999"),
        benchmark("analogies", "accuracy", "analogy")
        + "   (3CosAdd over the 30,000 most frequent words)",
    ]
    for path, extra in scores.get("pairs", {}).items():
        lines.append(
            f"{path}: Spearman {_num(extra['spearman'])}   95% CI {_interval(extra['ci'])}"
            f"   OOV {_pct(extra['oov'])}"
        )
    pmi = scores["pmi"]
    if pmi is not None:
        lines.append(f"PMI          target {pmi['target']}, over {pmi['pairs']:,} pairs")
        lines.append(
            f"             Pearson {_num(pmi['pearson'])}   Spearman {_num(pmi['spearman'])}"
            f"   RMSE {_num(pmi['rmse'])}"
        )
        if pmi["mean_logz"] is not None:
            lines.append(
                f"             log Z_w: mean {pmi['mean_logz']:.4f} (frequency-weighted), "
                f"std {pmi['std_logz']:.4f}"
            )
    if "alignment" in scores:  # with --corpus: unit input vectors, lower is better for both
        for key, meaning in GEOMETRY_LINES:
            lines.append(
                f"{key:<12} {_num(scores[key]):>16}   95% CI "
                f"{_interval(scores[f'{key}_ci']):<14}   {meaning}"
            )
    return lines


GEOMETRY_LINES = (
    ("alignment", "E‖f(w) − f(c)‖² over window pairs"),
    ("uniformity", "log E exp(−2‖f(x) − f(y)‖²) over token pairs"),
)


# --------------------------------------------------------------------------- compare

# (label, JSON key, format) tables, one row a line: data, alike in shape on purpose.
COMPARE_ROWS = (
    ("training seconds", "seconds", ".1f"),
    ("words/s", "words_per_sec", ",.0f"),
    ("WordSim-353 Spearman", "ws353", ".4f"),
    ("  OOV", "ws353_oov", "%"),
    ("SimLex-999 Spearman", "simlex999", ".4f"),
    ("  OOV", "simlex999_oov", "%"),
    ("analogy accuracy", "analogy", ".4f"),
    ("  OOV", "analogy_oov", "%"),
)
PMI_ROWS = (
    ("PMI target", "target", "s"),
    ("PMI Pearson", "pearson", ".4f"),
    ("PMI Spearman", "spearman", ".4f"),
    ("PMI RMSE", "rmse", ".4f"),
    ("PMI pairs", "pairs", ",d"),
    ("mean log Z_w", "mean_logz", ".4f"),
    ("std log Z_w", "std_logz", ".4f"),
)


def _cell(value, fmt) -> str:
    if value is None:
        return "n/a"
    if fmt == "%":
        return _pct(value)
    return format(value, fmt)


RESOLVED = "†"  # marks a difference whose paired interval excludes 0


def _difference(entry) -> str:
    """``+0.0312 [+0.012, +0.051] †``: w2v-nce − gensim, its paired 95% interval, the mark."""
    if entry["diff"] is None:
        return "n/a"
    ci = entry["ci"]
    resolved = ci is not None and (ci[0] > 0 or ci[1] < 0)
    return f"{_number(entry['diff'], '+.4f')} {_interval(ci, '+.3f')}" + (
        f" {RESOLVED}" if resolved else "  "
    )


def compare_table(result: dict) -> list[str]:
    """The side-by-side table of ``compare`` as text lines, from its JSON dict."""
    from w2v_nce.evaluation.bootstrap import RESAMPLES

    ours, theirs = result["w2v_nce"], result["gensim"]
    settings, differences = result["settings"], result["differences"]
    model = "" if settings.get("model", "skipgram") == "skipgram" else f"{settings['model']}, "
    substitute = settings["gensim_loss"] != settings["loss"]
    gensim_head = f"gensim {settings['gensim_class']} ({model}{settings['gensim_loss']})" + (
        "*" if substitute else ""
    )
    rows = [("", f"w2v-nce ({model}{settings['loss']})", gensim_head, "w2v-nce − gensim, 95% CI")]
    for label, key, fmt in COMPARE_ROWS:
        diff = _difference(differences[key]) if key in differences else ""
        rows.append((label, _cell(ours[key], fmt), _cell(theirs[key], fmt), diff))
    if ours["pmi"] is not None or theirs["pmi"] is not None:
        for label, key, fmt in PMI_ROWS:
            values = [None if side["pmi"] is None else side["pmi"][key] for side in (ours, theirs)]
            if values != [None, None]:  # log Z rows only when a side has a normalised model
                rows.append((label, *(_cell(value, fmt) for value in values), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}"
        f"  {row[3]:>{widths[3]}}".rstrip()
        for row in rows
    ]
    if any(row[3].endswith(RESOLVED) for row in rows):
        lines.append(
            f"{RESOLVED} the interval excludes 0 (paired bootstrap: both models scored on the "
            f"same {RESAMPLES:,} resamples of the pairs or questions)"
        )
    overlap = result["neighbour_overlap_at_10"]
    lines.append(
        f"neighbour overlap@10: {_num(overlap, '.3f')} (mean over the 1,000 most frequent words)"
    )
    if substitute:
        lines.append(
            f"* gensim has no '{settings['loss']}' loss: it trained with negative sampling "
            f"(k={settings['k']}); its PMI target is therefore shifted PMI"
        )
    return lines


@click.command()
@click.argument("corpus")
@hyperparameters(
    *ALL_HYPERPARAMETERS,
    k="Noise words per positive pair (gensim: negative).",
    dim="Vector dimension (gensim: vector_size).",
    max_vocab="Keep only the most frequent words (gensim: max_final_vocab).",
    sample="Subsampling threshold; 0 turns it off (and makes the PMI check exact).",
    noise_power="Noise distribution q(w) ∝ count(w)^power (gensim: ns_exponent).",
    threads="Worker threads for both trainers.",
    seed="Random seed for both.",
    subwords="MIN-MAX: fastText's subword model (see docs/subwords.md) on both sides: "
    "gensim trains FastText (min_n, max_n) instead of Word2Vec.",
    buckets="With --subwords: the rows the n-grams are hashed into (gensim: bucket).",
)
@_pmi_options
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as one JSON object.")
@encoding_errors_option()
@click.option("--tmp-dir", default=None, help="Where the corpus copies go.  [default: $TMPDIR]")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes.")
def compare(corpus, pmi_top, pmi_min_count, as_json, encoding_errors, tmp_dir, quiet, **options):
    """Train w2v-nce and gensim's Word2Vec (FastText with --subwords) on CORPUS with the
    same settings and compare.

    With --subwords gensim trains FastText (the same n-gram lengths and buckets), and
    both sides are scored alike: the words of the vocabulary, each the mean of its row
    and its n-gram rows; a word out of the vocabulary counts as OOV on both sides.

    Prints training time, words/s, every evaluate score for both (gensim's output
    vectors are its syn1neg, or syn1 and its tree for hs), the differences with
    paired 95% intervals and the mean overlap of the 10 nearest neighbours of the
    1,000 most frequent words. --model and --loss hs map to gensim's sg and hs;
    gensim has no {not_in_gensim}: for those it trains with negative sampling, and
    the table says so.
    """
    from w2v_nce.training.pipeline import resolve_run

    config = resolve_run({**options, "encoding_errors": encoding_errors, "tmp_dir": tmp_dir}).config
    say = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    with tempfile.TemporaryDirectory(prefix="w2v-nce-compare-", dir=tmp_dir) as work:
        result = _run_compare(
            corpus, config, pmi_top, pmi_min_count, encoding_errors, work, quiet, say
        )
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        for line in compare_table(result):
            click.echo(line)


def _run_compare(corpus, config, pmi_top, pmi_min_count, encoding_errors, work, quiet, say):
    from dataclasses import asdict

    from w2v_nce.errors import Interrupted, TrainingInterrupted
    from w2v_nce.evaluation import evaluate_embeddings
    from w2v_nce.evaluation.baseline import (
        gensim_class,
        gensim_loss,
        neighbour_overlap,
        train_gensim,
        write_plain_copy,
    )
    from w2v_nce.evaluation.pmi import chunks_of, encode_with_vocab
    from w2v_nce.training.pipeline import Messages, encode, train_encoded

    plain = os.path.join(work, "corpus.txt")
    tokens = write_plain_copy(corpus, plain, encoding_errors)
    say(f"corpus: {tokens:,} tokens; training w2v-nce ({config.loss})")
    messages = Messages(info=say, warn=lambda message: click.echo(f"warning: {message}", err=True))
    with encode(plain, config, {"tmp_dir": work}) as encoded:
        try:
            ours = train_encoded(
                encoded, config, progress=not quiet, source=corpus, messages=messages
            )
        except TrainingInterrupted as stop:
            raise Interrupted(
                "interrupted during training; nothing was compared", stop.signal
            ) from None
        stats = ours.stats
        say("evaluating w2v-nce")
        ours_eval = evaluate_embeddings(
            ours.vocab,
            ours.vectors,
            ours,
            chunks_of(encoded.ids(), encoded.block_starts),
            pmi_top,
            pmi_min_count,
        )
    say(f"training gensim {gensim_class(config)} ({gensim_loss(config)})")
    theirs = train_gensim(plain, config)
    say("evaluating gensim")
    theirs_eval = evaluate_embeddings(
        theirs.model.vocab,
        theirs.model.vectors,
        theirs.model,
        encode_with_vocab(plain, theirs.model.vocab),
        pmi_top,
        pmi_min_count,
    )
    if config.sample > 0 and not quiet:
        from w2v_nce.evaluation import subsampling_note

        _note(subsampling_note(config.sample))
    overlap = neighbour_overlap(
        (ours.vocab, ours.vectors), (theirs.model.vocab, theirs.model.vectors)
    )
    return {
        "w2v_nce": {
            **ours_eval.as_json(),
            "seconds": stats.seconds,
            "words_per_sec": stats.words_per_sec,
        },
        "gensim": {
            **theirs_eval.as_json(),
            "seconds": theirs.seconds,
            "words_per_sec": theirs.words_per_sec,
        },
        "differences": ours_eval.differences(theirs_eval),
        "neighbour_overlap_at_10": overlap,
        "settings": {
            **asdict(config),
            "gensim_class": gensim_class(config),
            "gensim_loss": gensim_loss(config),
            "corpus_tokens": tokens,
        },
    }


# The help's loss lists, from the loss records (the docstrings hold the places).
evaluate.help = evaluate.help.format(targets=_TARGETS)
compare.help = compare.help.format(
    not_in_gensim=" or ".join(filter(None, (", ".join(_NOT_IN_GENSIM[:-1]), *_NOT_IN_GENSIM[-1:])))
)

__all__ = ["compare", "evaluate"]
