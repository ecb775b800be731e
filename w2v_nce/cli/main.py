"""The ``w2v-nce`` command line.

Heavy modules (numba kernels, gensim) are imported inside the commands that need
them, so ``w2v-nce --help`` and queries on saved vectors start instantly.

Every user mistake ends as one ``error: ...`` line on stderr and a non-zero exit
code (2 for usage errors), never a traceback: see :func:`main`.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import click

from w2v_nce.cli.options import (
    ALL_HYPERPARAMETERS,
    encoding_errors_option,
    hyperparameters,
    note_out_of_vocabulary,
    note_zero_vectors,
    number_option,
    run_option,
    topn_option,
    vectors_option,
)
from w2v_nce.errors import (
    Interrupted,
    Terminated,
    TrainingInterrupted,
    UsageError,
    UserError,
    signal_of,
)
from w2v_nce.params import usable_cores
from w2v_nce.version import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
COMPILE_NOTE_SECONDS = 3.0  # loading a cached kernel takes well under a second


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="w2v-nce")
def cli():
    """Word embeddings: skip-gram or CBOW with negative sampling, NCE, full softmax,
    InfoNCE or hierarchical softmax.

    \b
    A quick look at a corpus, training, queries:
      w2v-nce vocab corpus.txt
      w2v-nce train corpus.txt -o vectors.txt --save-model model.npz
      w2v-nce most-similar king woman --negative man
      w2v-nce analogy man boy woman

    \b
    Shell completion (bash; for zsh or fish use zsh_source or fish_source):
      eval "$(_W2V_NCE_COMPLETE=bash_source w2v-nce)"
    """


def given_options(ctx: click.Context, options: dict) -> dict:
    """The options typed on the command line: the library applies the defaults itself."""
    return {
        name: value
        for name, value in options.items()
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }


def cli_messages(quiet: bool):
    from w2v_nce.training.pipeline import Messages

    return Messages(
        info=(lambda m: None) if quiet else (lambda m: click.echo(m, err=True)),
        warn=lambda m: click.echo(f"warning: {m}", err=True),
    )


@cli.command()
@click.argument("corpus")
@hyperparameters(*ALL_HYPERPARAMETERS)
@click.option(
    "-o",
    "--output",
    default="vectors.txt",
    show_default=True,
    help="Where to write the input vectors in word2vec format (gzipped when the name ends in .gz).",
)
@click.option("--binary", is_flag=True, help="Write word2vec binary instead of text.")
@click.option(
    "--save-model",
    default=None,
    metavar="PATH.npz",
    help="Also save the full model (both matrices, counts, config) as .npz.  [default: none]",
)
@click.option(
    "--fasttext-bin",
    default=None,
    metavar="PATH.bin",
    help="Also write the model as Facebook's fastText .bin (fasttext.load_model and gensim's "
    "load_facebook_model read it; with --subwords it gives any word a vector).  "
    "[default: none]",
)
@run_option("init")
@run_option("update_vocab")
@run_option("checkpoint")
@run_option("checkpoint_every")
@run_option("loss_log")
@encoding_errors_option()
@run_option("tmp_dir")
@run_option("workers")
@run_option("scheduler")
@run_option("sync_every")
@click.option(
    "--save-on-interrupt",
    is_flag=True,
    help="On Ctrl-C, write what was trained so far (marked interrupted in the model's "
    "config) instead of nothing.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the run's summary as one JSON object on stdout.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.pass_context
def train(
    ctx, corpus, output, binary, save_model, fasttext_bin, save_on_interrupt, as_json, quiet,
    **options,
):  # fmt: skip
    """Train word vectors on CORPUS (text, .gz, .bz2, or - for stdin).

    \b
    Examples:
      w2v-nce train corpus.txt --loss nce --k 64 -o vectors.txt --save-model model.npz
      w2v-nce train corpus.txt --model cbow --loss hs
      w2v-nce train more.txt --init model.npz --update-vocab --save-model model2.npz
      w2v-nce train big.txt.gz --checkpoint ck.npz    # rerun the same command to resume
    """
    from w2v_nce.io.atomic import check_distinct, check_writable_output

    # What can be checked without reading the corpus is checked now, in a fraction of
    # a second (before the kernels are even imported), not after an hour of training.
    written = {"-o": output, "--save-model": save_model, "--fasttext-bin": fasttext_bin}
    for name, path in written.items():
        if path == "":  # an unset shell variable (-o "$OUT"): the run would write nothing
            raise UsageError(f"{name} is empty; give a file name (-o /dev/null writes no vectors)")
    if is_discarded(output):
        output = written["-o"] = None  # -o /dev/null: the vectors are not wanted
    named = [*written.items()]
    named += [(f"--{n.replace('_', '-')}", options.get(n)) for n in ("checkpoint", "loss_log")]
    check_distinct(named)
    outputs = [p for p in written.values() if p]
    check_corpus_path(corpus, [p for _, p in named if p])
    for path in outputs:
        check_writable_output(path)
    from w2v_nce.training.distributed import train as run_training

    messages = cli_messages(quiet)
    if not outputs:  # -o /dev/null and nothing else: said now, not after the run
        messages.info(
            "note: -o /dev/null and no --save-model or --fasttext-bin: the trained vectors "
            "will not be kept"
        )
    try:
        run = run_training(
            corpus,
            given_options(ctx, options),
            progress=not quiet,
            messages=messages,
            outputs=tuple(outputs),
        )
    except TrainingInterrupted as stop:
        report_interrupt(stop, (output, binary, save_model, fasttext_bin), save_on_interrupt)
    except KeyboardInterrupt as stop:
        phase = getattr(stop, "phase", "before training started")
        raise Interrupted(f"interrupted {phase}; nothing was written", signal_of(stop)) from None
    stats = run.stats
    messages.info(trained_line(run))
    if stats.kernel_seconds >= COMPILE_NOTE_SECONDS:
        messages.info(
            f"compiling the training kernel took {stats.kernel_seconds:.0f} s (not counted "
            "above); Numba caches it, so later runs start at once"
        )
    try:
        write_outputs(run.model, output, binary, save_model, fasttext_bin)
    except KeyboardInterrupt as stop:
        saved = ""
        if run.save_checkpoint is not None:
            try:
                saved = f"; saved the checkpoint {run.save_checkpoint()} (rerun to write them)"
            except KeyboardInterrupt:
                pass
        raise Interrupted(
            f"interrupted while writing the outputs; nothing was written{saved}", signal_of(stop)
        ) from None
    run.finish()
    written = _listed([p for p in (output, save_model, fasttext_bin) if p])
    messages.info(f"wrote {written}" if written else "wrote nothing (-o /dev/null)")
    if as_json:
        click.echo(json.dumps(summary(run), indent=2))


def trained_line(run) -> str:
    """What the run trained (or that a resumed checkpoint had nothing left to train)."""
    stats = run.stats
    examples = "centre words" if run.model.config["model"] == "cbow" else "pairs"
    if run.resumed and stats.words == stats.resumed_words:
        return (
            f"the checkpoint's training was already complete ({stats.words:,} words): "
            "nothing left to train; writing its outputs"
        )
    return (
        f"trained {stats.words - stats.resumed_words:,} words, "
        f"{stats.examples - stats.resumed_examples:,} {examples} "
        f"in {stats.seconds:.1f} s ({stats.words_per_sec:,.0f} words/s); final loss "
        f"{stats.final_loss:.4f} per {examples[:-1]} ({run.model.loss.loss_printed})"
        + (f" (resumed at {run.resumed})" if run.resumed else "")
    )


def summary(run) -> dict:
    """``train --json``: the run's numbers, for scripts (``make bench`` reads them)."""
    stats, config = run.stats, run.model.config
    return {
        "words": stats.words,
        "words_this_run": stats.words - stats.resumed_words,
        "examples": stats.examples,
        "examples_this_run": stats.examples - stats.resumed_examples,
        "seconds": stats.seconds,
        "words_per_sec": stats.words_per_sec,
        "final_loss": stats.final_loss,
        "kernel_seconds": stats.kernel_seconds,
        "mean_loss": stats.loss_sum / stats.examples if stats.examples else None,
        "vocab_size": config["vocab_size"],
        "corpus_raw_tokens": config["corpus_raw_tokens"],
        "corpus_words": config["corpus_words"],
        "resumed": run.resumed,
        **({"distributed": config["distributed"]} if "distributed" in config else {}),
    }


def is_discarded(output: str | None) -> bool:
    """``-o /dev/null``: write no vectors (a model saved with --save-model is enough)."""
    return bool(output) and os.path.realpath(output) == os.path.realpath(os.devnull)


def check_corpus_path(corpus: str, outputs: list[str]) -> None:
    """The corpus is not one of the outputs (the library checks that it can be opened)."""
    from w2v_nce.io.atomic import same_file

    if corpus == "-":
        return
    for path in outputs:
        if same_file(corpus, path):
            raise UsageError(f"{path} is the corpus; writing it would destroy the corpus")


def report_interrupt(stop, outputs, save_on_interrupt):
    """After Ctrl-C in training: say how far it got, write the model if asked (``outputs``:
    write_outputs' output, binary, save_model and fasttext_bin); exit."""
    import numpy as np

    where = (
        f"interrupted after {stop.fraction:.0%} of training "
        f"({stop.stats.words:,} of {stop.total_words:,} words)"
    )
    if stop.checkpoint:
        where += f"; saved the checkpoint {stop.checkpoint} (rerun the same command to resume)"
    if not save_on_interrupt:
        raise Interrupted(
            f"{where}; nothing else was written"
            if stop.checkpoint
            else f"{where}; nothing was written (--save-on-interrupt keeps it)",
            stop.signal,
        )
    model = stop.model
    if not (np.isfinite(model.input).all() and np.isfinite(model.output).all()):
        raise Interrupted(
            f"{where}; the vectors are NaN or infinite, nothing was written", stop.signal
        )
    try:
        write_outputs(model, *outputs)
    except KeyboardInterrupt:
        raise Interrupted(
            f"{where}; interrupted again while writing, nothing was written", stop.signal
        ) from None
    written = _listed([p for p in (outputs[0], *outputs[2:]) if p])
    raise Interrupted(
        f"{where}; wrote the partial vectors to {written} (marked interrupted)", stop.signal
    )


def write_outputs(model, output, binary, save_model, fasttext_bin=None):
    """Write the vectors (and the model, and its fastText .bin): each to a temporary file
    renamed into place.

    The model's temporary file is complete before the others are renamed, so a
    failure while writing either leaves the previous .npz as it was.
    """
    from w2v_nce import faults
    from w2v_nce.model import save_npz

    def vectors():
        faults.point("outputs")
        if output:
            model.save_word2vec_format(output, binary=binary)
        if fasttext_bin:
            model.save_fasttext_bin(fasttext_bin)

    if save_model:
        save_npz(model, save_model, also=vectors)
    else:
        vectors()


@cli.command("most-similar")
@click.argument("words", nargs=-1, required=True)
@vectors_option()
@topn_option("How many neighbours to print.")
@click.option(
    "--negative", multiple=True, help="A word to subtract (repeat for several).  [default: none]"
)
@click.option(
    "--by",
    type=click.Choice(["cosine", "context"]),
    default="cosine",
    show_default=True,
    help="cosine: words used in the same contexts (u·u); context: words that occur "
    "together, ranked by the score s(w,c) = u_w·v_c + b_c with p(c|w) (needs a .npz "
    "model).",
)
def most_similar(words, vectors, topn, negative, by):
    """Print the nearest neighbours of WORDS, one per line.

    \b
    Several words are averaged, --negative words subtracted (gensim's 3CosAdd):
      w2v-nce most-similar king woman --negative man
    With --by context, the words most likely to occur near WORD, with p(c|w):
      w2v-nce most-similar dog --by context --vectors model.npz
    """
    from w2v_nce.model import load

    model = load(vectors)
    if by == "context":
        if len(words) != 1 or negative:
            raise UsageError("--by context takes exactly one word and no --negative")
        from w2v_nce.context import context_neighbours

        model.require_output("--by context")
        rows, header, notes = context_neighbours(model, words[0], topn)
        for note in notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"# word\tscore\t{header}")
        for word, score, probability in rows:
            click.echo(f"{word}\t{score:.4f}\t{probability:.4f}")
        return
    result = model.neighbours.most_similar(list(words), list(negative), topn=topn)
    note_zero_vectors(model, vectors)
    note_out_of_vocabulary(model, [*words, *negative])
    for word, similarity in result:
        click.echo(f"{word}\t{similarity:.4f}")


@cli.command()
@click.argument("a")
@click.argument("b")
@click.argument("c")
@vectors_option()
@topn_option("How many answers to print.")
def analogy(a, b, c, vectors, topn):
    """A is to B as C is to ...? Prints the words closest to B − A + C.

    \b
    gensim's 3CosAdd, like most-similar B C --negative A; one word and its
    cosine per line, best first, the three query words excluded:
      w2v-nce analogy man boy woman      # girl
    """
    from w2v_nce.model import load

    model = load(vectors)
    result = model.neighbours.analogy(a, b, c, topn=topn)
    note_zero_vectors(model, vectors)
    note_out_of_vocabulary(model, [a, b, c])
    for word, similarity in result:
        click.echo(f"{word}\t{similarity:.4f}")


@cli.command()
@click.argument("corpus")
@hyperparameters("min_count", "max_vocab")
@number_option("--top", 20, 0, "How many of the most frequent words to list.")
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@encoding_errors_option()
def vocab(corpus, min_count, max_vocab, top, as_json, encoding_errors):
    """Count the words of CORPUS: a quick look before a long run.

    \b
    One pass, nothing written: tokens, lines, distinct words, how many words
    train would keep with --min-count/--max-vocab and the share of the tokens
    they cover, and the most frequent words with their counts:
      w2v-nce vocab corpus.txt.gz --min-count 10 --top 30
    """
    import json

    import numpy as np

    from w2v_nce.io.encode import count_words
    from w2v_nce.vocab import choose_vocabulary
    from w2v_nce.vocab import kept_counts as vocabulary_counts

    words, counts, tokens, lines = count_words(corpus, encoding_errors, workers=usable_cores())
    kept_counts = vocabulary_counts(counts, min_count, max_vocab)
    covered = int(kept_counts.sum())
    top_words = []
    if top:
        top_vocab, _ = choose_vocabulary(words, counts, 1, top, corpus)
        top_words = list(zip(top_vocab.words, top_vocab.counts.tolist(), strict=True))
    summary = {
        "corpus": corpus,
        "tokens": tokens,
        "lines": lines,
        "distinct_words": len(words),
        "words_seen_once": int(np.count_nonzero(counts == 1)),
        "min_count": min_count,
        "max_vocab": max_vocab,
        "vocab_size": int(kept_counts.size),
        "covered_tokens": covered,
        "coverage": covered / tokens,
        "top": [{"word": w, "count": n} for w, n in top_words],
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        limit = f", --max-vocab {max_vocab}" if max_vocab is not None else ""
        click.echo(
            f"corpus: {tokens:,} token{'s' * (tokens != 1)} in {lines:,} line{'s' * (lines != 1)}"
        )
        click.echo(
            f"distinct words: {len(words):,} ({summary['words_seen_once']:,} seen only once)"
        )
        click.echo(
            f"vocabulary: {kept_counts.size:,} words (--min-count {min_count}{limit}) "
            f"covering {covered:,} tokens ({covered / tokens:.1%})"
        )
        if top_words:
            click.echo("rank\tcount\tshare\tword")
            for rank, (word, count) in enumerate(top_words, 1):
                click.echo(f"{rank}\t{count}\t{count / tokens:.2%}\t{word}")
    if kept_counts.size == 0:
        click.echo(
            f"warning: no word occurs at least --min-count {min_count} times "
            f"(the most frequent {int(counts.max())} times); train would stop: "
            "lower --min-count",
            err=True,
        )


@cli.command("nce-table")
@click.argument("corpus")
@number_option(
    "--max-vocab", 5000, 1, "Keep only the most frequent words (the softmax is O(V) per pair)."
)
@click.option("--ks", default="1,5,25,100", show_default=True, help="Comma-separated NCE k values.")
@hyperparameters(
    "dim",
    "window",
    "epochs",
    "min_count",
    "sample",
    "alpha",
    "base",
    "threads",
    "seed",
    defaults={"sample": 0.0},
    sample="Subsampling threshold. Off by default here: subsampling changes the "
    "distribution of the training pairs, so the models would learn another p(c|w) "
    "than the held-out text has.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option(
    "--plot",
    default=None,
    metavar="PATH.png",
    help="Also draw the table: perplexity and NCE's log Z_w against k.  [default: none]",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def nce_table_command(corpus, ks, as_json, plot, quiet, **options):
    """Held-out perplexity of softmax and NCE for several k (Mnih & Teh 2012).

    \b
    Holds out every tenth line of CORPUS, trains the exact softmax and NCE for each
    k with the same vocabulary and settings, and prints the exactly normalised
    held-out perplexity of p(c|w) and, for NCE, log Z_w (0 means self-normalised):
      w2v-nce nce-table data/wordnet-glosses.txt.gz --max-vocab 5000 --ks 1,5,25,100
    With --plot, the same as a figure (Mnih & Teh's): --plot nce-table.png
    """
    import dataclasses
    import json

    from w2v_nce.evaluation.nce_table import format_table, nce_table
    from w2v_nce.training.pipeline import resolve_run

    try:
        k_values = [int(k) for k in ks.split(",") if k.strip()]
    except ValueError:
        raise UsageError(f"--ks must be comma-separated integers, not {ks!r}") from None
    if not k_values or min(k_values) < 1:
        raise UsageError("--ks needs at least one k, each at least 1")
    config = resolve_run({**options, "loss": "nce"}).config
    if plot:  # before minutes of training
        from w2v_nce.evaluation.plots import image_format, require_matplotlib
        from w2v_nce.io.atomic import check_writable_output

        check_corpus_path(corpus, [plot])
        require_matplotlib()
        check_writable_output(plot)
        image_format(plot)
    log = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    rows = nce_table(corpus, config, k_values, progress=not quiet, log=log)
    if plot:
        from w2v_nce.evaluation.plots import save_nce_table

        save_nce_table(rows, plot, subtitle=table_settings(corpus, config))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "settings": dataclasses.asdict(config),
                    "rows": [dataclasses.asdict(r) for r in rows],
                },
                indent=2,
            )
        )
    else:
        click.echo(format_table(rows))
        if plot:
            click.echo(f"wrote {plot}")


def table_settings(corpus: str, config) -> str:
    """The settings line under the title of ``nce-table --plot``."""
    epochs = f"{config.epochs} epoch{'' if config.epochs == 1 else 's'}"
    return (
        f"{os.path.basename(corpus)}, --max-vocab {config.max_vocab:,}, dim {config.dim}, "
        f"window {config.window}, {epochs}, base {config.resolved_base()}, sample {config.sample:g}"
    )


from w2v_nce.cli.evaluate import compare, evaluate  # noqa: E402  (they do not import cli)
from w2v_nce.cli.text import keywords  # noqa: E402

cli.add_command(evaluate)
cli.add_command(compare)
cli.add_command(keywords)

from w2v_nce.cli.plot import plot_loss, word_map  # noqa: E402  (cli only inside a command)

cli.add_command(plot_loss)
cli.add_command(word_map)


def _on_sigterm(signum, frame):
    """SIGTERM (kill, timeout, a job scheduler) stops like Ctrl-C: cleanly, no temp files."""
    raise Terminated


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


# train's options under the names word2vec.c, gensim and fastText give them (click reads
# a single-dash long name as short options: -dim is reported as -d, so the command line
# is searched for the name as typed).
FOREIGN_OPTIONS = {
    **dict.fromkeys(["-size", "--size", "--vector_size", "--vector-size", "-dim"], "--dim"),
    **dict.fromkeys(["-negative", "--negative", "-neg", "--neg"], "-k"),
    **dict.fromkeys(["-hs", "--hs"], "--loss hs"),
    **dict.fromkeys(["-cbow", "--cbow", "--sg"], "--model cbow (or skipgram)"),
    **dict.fromkeys(["-iter", "--iter", "-epoch", "--epoch"], "--epochs"),
    **dict.fromkeys(["-lr", "--lr", "-alpha"], "--alpha"),
    **dict.fromkeys(["-ws", "-window"], "--window"),
    **dict.fromkeys(["-minCount", "-min-count", "--min_count"], "--min-count"),
    **dict.fromkeys(["-thread", "-threads"], "--threads"),
    **dict.fromkeys(["-minn", "-maxn"], "--subwords MIN-MAX"),
    "-bucket": "--buckets",
    "-sample": "--sample",
    "-output": "-o",
    "-binary": "--binary",
    "-loss": "--loss",
    "-train": "the CORPUS argument (w2v-nce train CORPUS)",
}


def _foreign_option(err: click.NoSuchOption, argv: list[str]) -> str | None:
    """For train, an unknown option that is word2vec.c's, gensim's or fastText's name
    for one of ours: say which (click's own guesses were --base for --size)."""
    if err.ctx.command.name != "train":
        return None
    typed = next((a for a in argv if a in FOREIGN_OPTIONS and a.startswith(err.option_name)), None)
    if typed is None:
        return None
    ours = FOREIGN_OPTIONS[typed]
    return f"no such option {typed} (a word2vec, gensim or fastText name): use {ours}"


def _command_path(err: click.UsageError, args: list[str]) -> str:
    """The command whose ``--help`` to point at: the error's, or, for a mistake click's
    parser finds before it makes the command's context (an option's missing value), the
    command named first in ``args``."""
    if err.ctx is not None:
        return err.ctx.command_path
    name = next((a for a in args if not a.startswith("-")), None)
    return f"w2v-nce {name}" if name in cli.commands else "w2v-nce"


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user mistakes into one line and an exit code."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = cli.main(args=argv, prog_name="w2v-nce", standalone_mode=False)
    except click.exceptions.Abort as err:  # click's name for a KeyboardInterrupt
        click.echo("error: interrupted; nothing was written", err=True)
        sys.exit(128 + signal_of(err.__cause__ or err))
    except click.ClickException as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # click >= 8.2: no command given
            click.echo(err.format_message(), err=True)  # the help, not an error line
            sys.exit(err.exit_code)
        args = sys.argv[1:] if argv is None else argv
        hint = ""
        if isinstance(err, click.UsageError):
            hint = f" (see '{_command_path(err, args)} --help')"
        message = err.format_message()
        if isinstance(err, click.NoSuchOption) and err.ctx is not None:
            message = _foreign_option(err, args) or message
        click.echo(f"error: {message}{hint}", err=True)
        sys.exit(err.exit_code)
    except UserError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt as stop:
        click.echo("error: interrupted; nothing was written", err=True)
        sys.exit(128 + signal_of(stop))
    except MemoryError:
        click.echo(
            "error: out of memory; use a smaller model (--max-vocab, --dim) or fewer "
            "--threads, or free some memory",
            err=True,
        )
        sys.exit(1)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["cli", "main", "UsageError"]
