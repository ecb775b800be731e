"""The ``w2v-nce`` command line.

Heavy modules (numba kernels, gensim) are imported inside the commands that need
them, so ``w2v-nce --help`` and queries on saved vectors start instantly.

Every user mistake ends as one ``error: ...`` line on stderr and a non-zero exit
code (2 for usage errors), never a traceback: see :func:`main`.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .errors import UsageError, UserError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="w2v-nce")
def cli():
    """Skip-gram word embeddings: negative sampling, NCE, full softmax or InfoNCE."""


@cli.command()
@click.argument("corpus")
@click.option(
    "--loss",
    default="neg",
    show_default=True,
    type=click.Choice(["neg", "nce", "softmax", "infonce"]),
    help="neg: word2vec negative sampling; nce: noise-contrastive estimation (Z = 1); "
    "softmax: exact full softmax; infonce: sampled softmax over the positive and k noise words.",
)
@click.option(
    "-k",
    "--k",
    "k",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Noise words per positive pair.",
)
@click.option(
    "--dim", default=100, show_default=True, type=click.IntRange(min=1), help="Vector dimension."
)
@click.option(
    "--window",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Maximum context distance (the effective window is uniform in 1..window).",
)
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--min-count",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Drop words occurring fewer times.",
)
@click.option(
    "--max-vocab",
    default=None,
    type=click.IntRange(min=1),
    help="Keep only the most frequent words.  [default: no limit]",
)
@click.option(
    "--sample",
    default=1e-3,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Subsampling threshold for frequent words; 0 turns it off.",
)
@click.option(
    "--alpha",
    default=0.025,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Initial learning rate.",
)
@click.option(
    "--min-alpha",
    default=0.0001,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Final learning rate (linear decay by global progress).",
)
@click.option(
    "--noise-power",
    default=0.75,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Noise distribution q(w) ∝ count(w)^power.",
)
@click.option(
    "--share-negatives/--no-share-negatives",
    default=True,
    show_default=True,
    help="neg/nce: the contexts of one centre word share their k noise draws "
    "(Ji et al. 2016): fewer random memory accesses, same per-pair terms.",
)
@click.option(
    "--base",
    type=click.Choice(["auto", "unigram", "none"]),
    default="auto",
    show_default=True,
    help="Base measure b_c in the score u_w·v_c + b_c: unigram (b_c = log P(c), so the "
    "vectors learn PMI) or none. auto: none for neg, unigram for nce, softmax, infonce.",
)
@click.option(
    "--threads",
    default=os.cpu_count() or 1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker threads (Hogwild).",
)
@click.option(
    "--seed",
    default=1,
    show_default=True,
    type=int,
    help="Random seed; with --threads 1 the result is bit-for-bit reproducible.",
)
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
    help="Also save the full model (both matrices, counts, config) as .npz.",
)
@click.option(
    "--encoding-errors",
    default="strict",
    show_default=True,
    type=click.Choice(["strict", "replace", "ignore"]),
    help="What to do with invalid UTF-8: stop, or replace/drop the bad bytes.",
)
@click.option("--tmp-dir", default=None, help="Where the encoded corpus goes.  [default: $TMPDIR]")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def train(corpus, output, binary, save_model, encoding_errors, tmp_dir, quiet, **options):
    """Train skip-gram vectors on CORPUS (text, .gz, .bz2, or - for stdin).

    \b
    Example:
      w2v-nce train corpus.txt --loss nce --k 64 -o vectors.txt --save-model model.npz
    """
    from .atomic import check_writable_output
    from .train import TrainConfig

    config = TrainConfig(**options)
    config.validate()
    check_writable_output(output)
    if save_model:
        check_writable_output(save_model)
    say = (lambda *a, **k: None) if quiet else (lambda m: click.echo(m, err=True))

    from .encode import encode_corpus
    from .train import TrainingInterrupted
    from .train import train as run_training

    with encode_corpus(
        corpus,
        min_count=config.min_count,
        max_vocab=config.max_vocab,
        encoding_errors=encoding_errors,
        tmp_dir=tmp_dir,
    ) as encoded:
        say(
            f"corpus: {encoded.raw_tokens:,} tokens in {encoded.sentences:,} lines; "
            f"vocabulary: {len(encoded.vocab):,} words (min-count {config.min_count}) "
            f"covering {encoded.words:,} tokens"
        )
        if config.loss == "softmax":
            warn_softmax_cost(encoded.vocab.counts, config, say)
        try:
            model, stats = run_training(encoded, config, progress=not quiet)
        except TrainingInterrupted as stop:
            done = stop.stats.words / max(stop.total_words, 1)
            click.echo(f"interrupted after {done:.0%} of training; nothing was written", err=True)
            sys.exit(130)
    say(
        f"trained {stats.words:,} words, {stats.pairs:,} pairs in {stats.seconds:.1f} s "
        f"({stats.words_per_sec:,.0f} words/s); final loss {stats.final_loss:.4f} per pair"
    )
    write_outputs(model, output, binary, save_model)
    say(f"wrote {output}" + (f" and {save_model}" if save_model else ""))


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
    import numpy as np

    from .atomic import atomic_output
    from .word2vec_format import write_word2vec

    write_word2vec(output, model.vocab, model.input, binary=binary)
    if save_model:
        with atomic_output(save_model) as handle:
            np.savez(handle, **model.to_npz_arrays())


@cli.command("most-similar")
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--vectors",
    default="vectors.txt",
    show_default=True,
    help="word2vec text or binary file, or a .npz model.",
)
@click.option("--topn", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--negative", multiple=True, help="A word to subtract (repeat for several).")
@click.option(
    "--by",
    type=click.Choice(["cosine", "context"]),
    default="cosine",
    show_default=True,
    help="cosine: words used in the same contexts (u·u); context: words that occur "
    "together, ranked by u_w·v_c with p(c|w) (needs a .npz model).",
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
        click.echo(f"# word\tu·v\t{label}")
        for word, score, probability in rows:
            click.echo(f"{word}\t{score:.4f}\t{probability:.4f}")
        return
    from .query import Neighbours

    neighbours = Neighbours(vocab, matrix)
    for word, similarity in neighbours.most_similar(list(words), list(negative), topn=topn):
        click.echo(f"{word}\t{similarity:.4f}")


@cli.command("nce-table")
@click.argument("corpus")
@click.option("--max-vocab", default=5000, show_default=True, type=click.IntRange(min=1))
@click.option("--ks", default="1,5,25,100", show_default=True, help="Comma-separated NCE k values.")
@click.option("--dim", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--window", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--sample", default=1e-3, show_default=True, type=click.FloatRange(min=0))
@click.option(
    "--alpha", default=0.025, show_default=True, type=click.FloatRange(min=0, min_open=True)
)
@click.option(
    "--threads", default=os.cpu_count() or 1, show_default=True, type=click.IntRange(min=1)
)
@click.option("--seed", default=1, show_default=True, type=int)
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


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user mistakes into one line and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="w2v-nce", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
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
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["cli", "main", "UsageError"]
