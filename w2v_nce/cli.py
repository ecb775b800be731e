"""The ``w2v-nce`` command line.

Heavy modules (numba kernels, gensim) are imported inside the commands that need
them, so ``w2v-nce --help`` and queries on saved vectors start instantly.

Every user mistake ends as one ``error: ...`` line on stderr and a non-zero exit
code (2 for usage errors), never a traceback: see :func:`main`.
"""

from __future__ import annotations

import os
import signal
import sys

import click

from . import __version__
from .errors import UsageError, UserError
from .options import (
    ALL_HYPERPARAMETERS,
    encoding_errors_option,
    hyperparameters,
    topn_option,
    vectors_option,
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Interrupted(UserError):
    """Ctrl-C (or SIGTERM): exit code 128 + the signal number, 130 for Ctrl-C."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=128 + _last_signal)


_last_signal = signal.SIGINT


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="w2v-nce")
def cli():
    """Skip-gram word embeddings: negative sampling, NCE, full softmax or InfoNCE.

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


@cli.command()
@click.argument("corpus")
@hyperparameters(*ALL_HYPERPARAMETERS)
@click.option(
    "-o",
    "--output",
    default="vectors.txt",
    show_default=True,
    help="Where to write the input vectors in word2vec format.",
)
@click.option("--binary", is_flag=True, help="Write word2vec binary instead of text.")
@click.option(
    "--save-model",
    default=None,
    metavar="PATH.npz",
    help="Also save the full model (both matrices, counts, config) as .npz.  [default: none]",
)
@encoding_errors_option()
@click.option(
    "--tmp-dir",
    default=None,
    help="Where the encoded corpus (4 bytes per token) is kept while training.  [default: $TMPDIR]",
)
@click.option(
    "--save-on-interrupt",
    is_flag=True,
    help="On Ctrl-C, write what was trained so far (marked interrupted in the model's "
    "config) instead of nothing.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def train(
    corpus,
    output,
    binary,
    save_model,
    encoding_errors,
    tmp_dir,
    save_on_interrupt,
    quiet,
    **options,
):
    """Train skip-gram vectors on CORPUS (text, .gz, .bz2, or - for stdin).

    \b
    Example:
      w2v-nce train corpus.txt --loss nce --k 64 -o vectors.txt --save-model model.npz
    """
    from .atomic import check_writable_output
    from .encode import check_tmp_dir, encode_corpus

    # Everything that can be checked without reading the corpus is checked now, in
    # a fraction of a second (before the kernels are even imported), not after an
    # hour of training. Click has checked each option's range.
    if options["min_alpha"] > options["alpha"]:
        raise UsageError("--min-alpha must be between 0 and --alpha")
    check_corpus_path(corpus, [p for p in (output, save_model) if p])
    if save_model and _same_path(output, save_model):
        raise UsageError(
            f"-o and --save-model are the same file ({output}); give the model its own .npz path"
        )
    check_writable_output(output)
    if save_model:
        check_writable_output(save_model)
    check_tmp_dir(tmp_dir)
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    warn = lambda m: click.echo(m, err=True)  # noqa: E731

    stopped = None
    phase = "while reading the corpus"
    try:
        with encode_corpus(
            corpus,
            min_count=options["min_count"],
            max_vocab=options["max_vocab"],
            encoding_errors=encoding_errors,
            tmp_dir=tmp_dir,
        ) as encoded:
            phase = "before training started"
            from .train import TrainConfig, TrainingInterrupted
            from .train import train as run_training

            config = TrainConfig(**options)
            config.validate()
            say(
                f"corpus: {encoded.raw_tokens:,} tokens in {encoded.sentences:,} lines; "
                f"vocabulary: {len(encoded.vocab):,} words (min-count {config.min_count}) "
                f"covering {encoded.words:,} tokens"
            )
            needed = check_memory(encoded, config, say, warn)
            if config.loss == "softmax":
                warn_softmax_cost(encoded.vocab.counts, config, say)
            try:
                model, stats = run_training(encoded, config, progress=not quiet)
            except TrainingInterrupted as stop:
                stopped = stop
            except MemoryError:
                raise UserError(
                    f"out of memory: this run needs {needed.describe()}; "
                    "lower --max-vocab, --dim or --threads"
                ) from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted {phase}; nothing was written") from None
    if stopped is not None:
        report_interrupt(stopped, output, binary, save_model, save_on_interrupt)
    say(
        f"trained {stats.words:,} words, {stats.pairs:,} pairs in {stats.seconds:.1f} s "
        f"({stats.words_per_sec:,.0f} words/s); final loss {stats.final_loss:.4f} per pair"
    )
    write_outputs(model, output, binary, save_model)
    say(f"wrote {output}" + (f" and {save_model}" if save_model else ""))


def _same_path(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def check_corpus_path(corpus: str, outputs: list[str]) -> None:
    """The corpus can be opened (a UserError if not) and is not one of the outputs."""
    if corpus == "-":
        return
    from .corpus import open_corpus

    open_corpus(corpus).close()
    for path in outputs:
        if _same_path(corpus, path):
            raise UsageError(f"{path} is the corpus; writing it would destroy the corpus")


def check_memory(encoded, config, say, warn):
    """Estimate the run's memory before allocating; print it if large, refuse if impossible."""
    from . import memory
    from .train import pool_size

    needed = memory.estimate(
        vocab_size=len(encoded.vocab),
        dim=config.dim,
        loss=config.loss,
        window=config.window,
        k=config.k,
        threads=pool_size(config),
        longest_sentence=encoded.longest_sentence,
        longest_block=encoded.longest_block,
    )
    memory.check(needed, say, warn)
    return needed


def report_interrupt(stop, output, binary, save_model, save_on_interrupt):
    """After Ctrl-C in training: say how far it got, write the model if asked; exit."""
    import numpy as np

    done = stop.stats.words / max(stop.total_words, 1)
    where = (
        f"interrupted after {done:.0%} of training "
        f"({stop.stats.words:,} of {stop.total_words:,} words)"
    )
    if not save_on_interrupt:
        raise Interrupted(f"{where}; nothing was written (--save-on-interrupt keeps it)")
    model = stop.model
    if not (np.isfinite(model.input).all() and np.isfinite(model.output).all()):
        raise Interrupted(f"{where}; the vectors are NaN or infinite, nothing was written")
    try:
        write_outputs(model, output, binary, save_model)
    except KeyboardInterrupt:
        raise Interrupted(
            f"{where}; interrupted again while writing, nothing was written"
        ) from None
    written = f"{output} and {save_model}" if save_model else output
    raise Interrupted(f"{where}; wrote the partial vectors to {written} (marked interrupted)")


SOFTMAX_LARGE_VOCAB = 50_000


def warn_softmax_cost(counts, config, say):
    """Print what the exact softmax will cost before it starts; warn on a large vocabulary."""
    from .train import softmax_cost

    pairs, flops, rate = softmax_cost(counts, config)
    minutes = flops / rate / 60
    say(
        f"softmax: about {pairs:,.0f} pairs × {counts.size:,} words × dim {config.dim} "
        f"= {flops / 1e12:,.1f} TFLOP; at this machine's {rate / 1e9:,.0f} GFLOP/s sgemm "
        f"that is at least {minutes:,.1f} minutes"
    )
    if counts.size > SOFTMAX_LARGE_VOCAB:
        click.echo(
            f"warning: the exact softmax over {counts.size:,} words is slow; consider "
            "--max-vocab 50000 or --loss nce",
            err=True,
        )


def write_outputs(model, output, binary, save_model):
    """Write the vectors (and the model): each to a temporary file renamed into place.

    The model's temporary file is complete before the vectors are renamed, so a
    failure while writing either leaves both previous files as they were.
    """
    import numpy as np

    from .atomic import atomic_output
    from .word2vec_format import write_word2vec

    if not save_model:
        write_word2vec(output, model.vocab, model.input, binary=binary)
        return
    with atomic_output(save_model) as handle:
        np.savez(handle, **model.to_npz_arrays())
        handle.flush()
        write_word2vec(output, model.vocab, model.input, binary=binary)


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
    from .word2vec_format import load_vectors

    vocab, matrix, model = load_vectors(vectors)
    if by == "context":
        if model is None:
            raise UsageError(
                "--by context needs the output vectors: give the .npz from train --save-model"
            )
        if len(words) != 1 or negative:
            raise UsageError("--by context takes exactly one word and no --negative")
        from .evaluation.context import context_neighbours

        rows, label = context_neighbours(model, words[0], topn)
        click.echo(f"# word\tscore\t{label}")
        for word, score, probability in rows:
            click.echo(f"{word}\t{score:.4f}\t{probability:.4f}")
        return
    from .query import Neighbours

    neighbours = Neighbours(vocab, matrix)
    result = neighbours.most_similar(list(words), list(negative), topn=topn)
    if zeros := neighbours.zero_vectors:
        click.echo(
            f"note: {vectors} has {zeros:,} zero vector{'' if zeros == 1 else 's'} "
            "(all components 0); they are left out of the neighbours",
            err=True,
        )
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
    from .query import Neighbours
    from .word2vec_format import load_vectors

    vocab, matrix, _ = load_vectors(vectors)
    for word, similarity in Neighbours(vocab, matrix).analogy(a, b, c, topn=topn):
        click.echo(f"{word}\t{similarity:.4f}")


@cli.command()
@click.argument("corpus")
@hyperparameters("min_count", "max_vocab")
@click.option(
    "--top",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the most frequent words to list.",
)
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

    from .encode import choose_vocabulary, count_words

    words, counts, tokens, lines = count_words(corpus, encoding_errors)
    kept_counts = counts[counts >= min_count]
    if max_vocab is not None and kept_counts.size > max_vocab:
        cut = kept_counts.size - max_vocab
        kept_counts = np.partition(kept_counts, cut)[cut:]
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
        click.echo(f"corpus: {tokens:,} tokens in {lines:,} lines")
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
@click.option(
    "--max-vocab",
    default=5000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Keep only the most frequent words (the softmax is O(V) per pair).",
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
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def nce_table_command(corpus, ks, as_json, quiet, **options):
    """Held-out perplexity of softmax and NCE for several k (Mnih & Teh 2012).

    \b
    Holds out every tenth line of CORPUS, trains the exact softmax and NCE for each
    k with the same vocabulary and settings, and prints the exactly normalised
    held-out perplexity of p(c|w) and, for NCE, log Z_w (0 means self-normalised):
      w2v-nce nce-table data/wordnet-glosses.txt.gz --max-vocab 5000 --ks 1,5,25,100
    """
    import dataclasses
    import json

    from .nce_table import format_table, nce_table
    from .train import TrainConfig

    try:
        k_values = [int(k) for k in ks.split(",") if k.strip()]
    except ValueError:
        raise UsageError(f"--ks must be comma-separated integers, not {ks!r}") from None
    if not k_values or min(k_values) < 1:
        raise UsageError("--ks needs at least one k, each at least 1")
    config = TrainConfig(loss="nce", **options)
    config.validate()
    log = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    rows = nce_table(corpus, config, k_values, progress=not quiet, log=log)
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


from .commands_eval import compare, evaluate  # noqa: E402  (they do not import cli)

cli.add_command(evaluate)
cli.add_command(compare)


def _on_sigterm(signum, frame):
    """SIGTERM (kill, timeout, a job scheduler) stops like Ctrl-C: cleanly, no temp files."""
    global _last_signal
    _last_signal = signal.SIGTERM
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user mistakes into one line and an exit code."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = cli.main(args=argv, prog_name="w2v-nce", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(128 + _last_signal)
    except click.ClickException as err:
        hint = ""
        if isinstance(err, click.UsageError) and err.ctx is not None:
            hint = f" (see '{err.ctx.command_path} --help')"
        click.echo(f"error: {err.format_message()}{hint}", err=True)
        sys.exit(err.exit_code)
    except UserError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted; nothing was written", err=True)
        sys.exit(128 + _last_signal)
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
