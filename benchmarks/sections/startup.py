"""Start-up: a first run that compiles (empty Numba cache), a second, and `--help`."""

import os
import shutil
import tempfile
from pathlib import Path

from ..common import Section, count_tokens, fmt, log, median, sibling_or_path, table
from ..systems import w2v_nce_command


def measure(bench):
    """First run with an empty Numba cache (compiles) vs the second; `w2v-nce --help`."""
    args = bench.args
    first, second, helps = [], [], []
    for round_ in range(args.repeats):
        log(f"startup: round {round_ + 1}/{args.repeats}")
        cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=bench.work_dir))
        env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
        command = w2v_nce_command(
            bench.tiny, bench.work_dir / "startup.bin", args.threads, 1, tmp_dir=bench.work_dir
        )
        for label, walls in (("first run, empty cache", first), ("second run, same cache", second)):
            run = bench.run(f"w2v-nce {label} (round {round_ + 1})", command, env)
            if run.ok:
                walls.append(run.wall)
        shutil.rmtree(cache, ignore_errors=True)
        run = bench.run(
            f"w2v-nce --help (round {round_ + 1})", [sibling_or_path("w2v-nce"), "--help"]
        )
        if run.ok:
            helps.append(run.wall)
    return {
        "first": median(first),
        "second": median(second),
        "help": median(helps),
        "tiny_tokens": count_tokens(bench.tiny),
    }


def startup_table(startup):
    compile_cost = (
        startup["first"] - startup["second"] if startup["first"] and startup["second"] else None
    )
    rows = [
        ["`w2v-nce train`, first run, empty NUMBA_CACHE_DIR (compiles)", fmt(startup["first"])],
        ["`w2v-nce train`, second run, same NUMBA_CACHE_DIR", fmt(startup["second"])],
        ["compilation (first − second)", fmt(compile_cost)],
        ["`w2v-nce --help`", fmt(startup["help"])],
    ]
    return table(["what", "wall s"], rows)


def startup_text(startup):
    return (
        f"`w2v-nce train` on the first {startup['tiny_tokens']:,} tokens of the corpus, 1 "
        "epoch; medians over the rounds, each round with a new empty cache.\n\n"
        + startup_table(startup)
    )


SECTION = Section("startup", "Start-up", measure, lambda r: startup_text(r["startup"]))
