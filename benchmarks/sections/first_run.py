"""The first run: the training kernel's compile from an empty Numba cache for each model
× loss, a tiny run that loads it from the cache (the whole process), and `--help`."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..common import Section, count_tokens, fmt, log, median, sibling_or_path, table
from ..systems import Setup, w2v_nce_command

# The model × loss paths compiled from an empty cache, one cache each.
PATHS = (Setup("skipgram", "neg"), Setup("skipgram", "nce"), Setup("cbow", "neg"))


def kernel_seconds(run):
    """``kernel_seconds`` of the run's ``train --json`` summary (None if it failed)."""
    if not run.ok:
        return None
    return json.loads(Path(run.err_path).with_suffix(".out").read_text())["kernel_seconds"]


def measure(bench):
    """Per path and round: an empty cache, a first run (compiles), a second (loads)."""
    args = bench.args
    results = {setup.label: {"kernel": [], "cpu": [], "first": []} for setup in PATHS}
    cached, cached_cpu, helps = [], [], []
    for round_ in range(args.repeats):
        log(f"first-run: round {round_ + 1}/{args.repeats}")
        for setup in PATHS:
            cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=bench.work_dir))
            env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
            command = w2v_nce_command(
                bench.tiny, bench.work_dir / "first-run.bin", 1, 1, setup, bench.work_dir
            )
            first = bench.run(f"{setup.label}, empty cache (round {round_ + 1})", command, env)
            if first.ok:
                path = results[setup.label]
                path["kernel"].append(kernel_seconds(first))
                path["cpu"].append(first.cpu)
                path["first"].append(first.wall)
            if setup == PATHS[0]:
                second = bench.run(f"{setup.label}, cached (round {round_ + 1})", command, env)
                if second.ok:
                    cached.append(second.wall)
                    cached_cpu.append(second.cpu)
            shutil.rmtree(cache, ignore_errors=True)
        run = bench.run(
            f"w2v-nce --help (round {round_ + 1})", [sibling_or_path("w2v-nce"), "--help"]
        )
        if run.ok:
            helps.append(run.wall)
    return {
        "paths": {
            label: {k: median(v) for k, v in path.items()} for label, path in results.items()
        },
        "cached": median(cached),
        "cached_cpu": median(cached_cpu),
        "help": median(helps),
        "tiny_tokens": count_tokens(bench.tiny),
        "load": os.getloadavg()[0],
    }


def first_run_text(first):
    rows = [
        [f"`train` {label}, empty cache", fmt(path["kernel"]), fmt(path["first"]), fmt(path["cpu"])]
        for label, path in first["paths"].items()
    ]
    rows += [
        [f"`train` {PATHS[0].label}, cached", "", fmt(first["cached"]), fmt(first["cached_cpu"])],
        ["`w2v-nce --help`", "", fmt(first["help"]), ""],
    ]
    return (
        f"`w2v-nce train --threads 1 --epochs 1` on the first {first['tiny_tokens']:,} tokens "
        "of the corpus: for each model × loss a first run with a new empty NUMBA_CACHE_DIR "
        "(it compiles that path's kernel: `kernel_seconds` of `--json`), then for the first "
        "a second run with the same cache (it loads it: the whole process). Medians over the "
        f"rounds; CPU is user + system seconds of the process; load average at the end "
        f"{first['load']:.1f} (on a loaded machine wall time stretches, CPU time much less).\n\n"
        + table(["what", "kernel_seconds", "wall s, whole process", "CPU s"], rows)
    )


SECTION = Section("first-run", "The first run", measure, lambda r: first_run_text(r["first-run"]))
