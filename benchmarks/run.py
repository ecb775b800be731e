"""The command line: prepare the corpus, run the chosen sections, write the report."""

import argparse
import datetime
import json
import os
import tempfile
from pathlib import Path

from . import __doc__ as DOC
from .common import (
    ALSO_COPIES,
    ROOT,
    SETTINGS,
    TINY_TOKENS,
    Bench,
    count_tokens,
    head_corpus,
    log,
    plain_corpus,
    rss_floor,
)
from .picture import draw_picture
from .report import command_line, machine, report, update_report, versions
from .sections import SECTIONS
from .systems import find_systems, warm_up


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=DOC.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", help="plain, .gz or .bz2 text, whitespace-separated tokens")
    parser.add_argument(
        "--threads", type=int, default=2, help="worker threads for every system (default 2)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="repeat rounds (default 2)")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--only", help=f"comma-separated sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument(
        "--nce-epochs",
        type=int,
        default=1,
        help="epochs of the NCE section (default 1: k = 64 costs about 10x k = 5)",
    )
    parser.add_argument(
        "--nce-k", default="5,25,64", help="noise words for the NCE section (default 5,25,64)"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds before a run is killed (default 3600)"
    )
    parser.add_argument(
        "--markdown",
        default=str(ROOT / "BENCHMARKS.md"),
        help="report to write (default BENCHMARKS.md)",
    )
    parser.add_argument("--json", help="also dump the raw numbers here")
    parser.add_argument(
        "--plot",
        default=str(ROOT / "docs" / "img" / "quality-speed.png"),
        help="the quality/speed picture (default docs/img/quality-speed.png; '' for none)",
    )
    glosses = os.path.relpath(ROOT / "data" / "wordnet-glosses.txt.gz")
    parser.add_argument(
        "--also",
        "--pword2vec-also",
        dest="also",
        default=glosses,
        metavar="CORPUS",
        help="a second corpus, of another kind, for the main, models and pword2vec sections, "
        f"taken {ALSO_COPIES} times over, lines shuffled together: each of their tables "
        "again on it (default the dictionary glosses, data/wordnet-glosses.txt.gz; '' for "
        "none; --pword2vec-also is its old name)",
    )
    parser.add_argument(
        "--losses-also",
        default=glosses,
        metavar="CORPUS",
        help="the losses section's second corpus, taken once (default the dictionary "
        "glosses, data/wordnet-glosses.txt.gz; '' for none)",
    )
    parser.add_argument(
        "--pword2vec-src",
        default=os.environ.get("PWORD2VEC_SRC"),
        help="folder of Intel's pWord2Vec source (IntelLabs/pWord2Vec) to build with MKL and "
        "run beside w2v-nce (default $PWORD2VEC_SRC; without it the pword2vec section skips)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace only the sections that ran in the existing --markdown file and keep "
        "the rest (the quality/speed picture is redrawn only when the main section ran)",
    )
    parser.add_argument(
        "--work-dir", help="where to keep the plain corpus, outputs and logs (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = (set(chosen) | set(filter(None, args.skip.split(",")))) - set(SECTIONS)
    if unknown:
        parser.error(
            f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}"
        )
    args.sections = [s for s in chosen if s not in args.skip.split(",")]
    if min(args.threads, args.repeats, args.epochs, args.nce_epochs) < 1:
        parser.error("--threads, --repeats, --epochs and --nce-epochs must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    info = {
        "command": command_line(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }
    info.update(machine=machine(), versions=versions())
    with tempfile.TemporaryDirectory(prefix="w2v-bench-", dir=args.work_dir) as tmp:
        work_dir = Path(tmp)
        log(f"preparing {args.corpus} in {work_dir}")
        corpus = plain_corpus(args.corpus, work_dir)
        tokens = count_tokens(corpus)
        log(f"{tokens:,} tokens")
        tiny = head_corpus(corpus, work_dir / "tiny.txt", TINY_TOKENS)
        info["rss_floor_mib"] = rss_floor(work_dir / "logs")
        bench = Bench(args, work_dir, corpus, tokens, tiny, find_systems())
        for system in bench.systems:
            if system.missing:
                log(f"{system.name}: {system.missing}")
        warm_up(bench)
        results = {}
        for section in args.sections:
            results[section] = SECTIONS[section].measure(bench)
    info["load_end"] = os.getloadavg()
    subtitle = (
        f"{Path(args.corpus).name}, {tokens:,} tokens, {args.epochs} epochs, "
        f"{args.threads} threads, dim {SETTINGS['dim']}; medians of {args.repeats} rounds"
    )
    redraw = not args.update or "main" in results  # the picture plots every section's points
    if args.plot and redraw and draw_picture(results, args.plot, subtitle):
        info["picture"] = os.path.relpath(args.plot, Path(args.markdown).resolve().parent)
        log(f"wrote {args.plot}")
    if args.update and Path(args.markdown).exists():
        markdown = update_report(Path(args.markdown).read_text(), bench, info, results)
    else:
        markdown = report(bench, info, results)
    Path(args.markdown).write_text(markdown)
    print(markdown)
    if args.json:
        raw = {
            "info": info,
            "corpus": args.corpus,
            "tokens": tokens,
            "settings": SETTINGS,
            "results": results,
            "failures": bench.failures,
        }
        Path(args.json).write_text(json.dumps(raw, indent=2, default=str) + "\n")
    log(f"wrote {args.markdown}" + (f" and {args.json}" if args.json else ""))
