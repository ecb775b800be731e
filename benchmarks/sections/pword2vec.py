"""w2v-nce beside Intel's pWord2Vec with MKL (issue 28): the fastest published CPU
trainer, HogBatch with its three small products done by MKL's sgemm.

Nothing of pWord2Vec is in this repository: the section builds it from a source folder
the user gives (``--pword2vec-src DIR`` or ``PWORD2VEC_SRC``; the public
IntelLabs/pWord2Vec repository, whose ``pWord2Vec.cpp`` is all it needs) against PyPI's
``mkl-devel`` installed in this environment (``pip install -e '.[pword2vec]'``: headers
under ``include/``, the sequential layer linked with an rpath), and skips with one line
saying why when either is missing. Both train skip-gram, k = 5, window 5 (pWord2Vec's
``-batch-size`` 2 · window + 1, its documented choice) with the same threads, at dim 100
(sample 1e-3, 5 epochs) and at dim 300 (sample 1e-4, 2 epochs), alternating within each
round, on the benchmark corpus and on ``--also`` (the dictionary glosses by default, two
copies with their lines shuffled together, as the main and models sections); whole-process
words/s and
CPU seconds, and WordSim-353, SimLex-999 and analogies with paired intervals.
"""

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from ..common import (
    ALSO_COPIES,
    SETTINGS,
    Section,
    corpus_heading,
    fmt,
    log,
    median,
    on_each_corpus,
    ratio,
    table,
    with_interval,
)
from ..quality import differences_table, quality_rounds, summarise_differences, summarise_runs
from ..systems import SGNS, w2v_nce_command

MKL_LIBRARIES = ("mkl_intel_lp64", "mkl_sequential", "mkl_core")  # LP64 ints, no threading layer
MAX_PATH = 99  # pWord2Vec copies -train and -output into char[100] buffers
SYSTEMS = ("w2v-nce", "pWord2Vec")


@dataclass(frozen=True)
class Trial:
    """What both train: the dimension, the subsampling threshold and the epochs."""

    dim: int
    sample: float
    epochs: int

    @property
    def label(self):
        return f"dim {self.dim}, sample {self.sample:g}, {self.epochs} epochs"

    @property
    def settings(self):
        return dict(SETTINGS, dim=self.dim, sample=self.sample)


TRIALS = (Trial(100, 1e-3, 5), Trial(300, 1e-4, 2))


def source_folder(args):
    """The pWord2Vec source folder, or (None, why not)."""
    given = getattr(args, "pword2vec_src", None) or os.environ.get("PWORD2VEC_SRC")
    if not given:
        return None, "no pWord2Vec source given (--pword2vec-src DIR or PWORD2VEC_SRC)"
    if not (Path(given) / "pWord2Vec.cpp").is_file():
        return None, f"no pWord2Vec.cpp in {given}"
    return Path(given), None


def find_mkl(prefix=sys.prefix):
    """(include folder, library folder, soname version) of PyPI's mkl-devel installed
    under ``prefix``, or (None, why not)."""
    include, lib = Path(prefix) / "include", Path(prefix) / "lib"
    cores = sorted(lib.glob("libmkl_core.so.*"))
    if not cores or not (include / "mkl.h").is_file():
        return None, f"MKL not found under {prefix} (pip install -e '.[pword2vec]')"
    return (include, lib, cores[-1].name.rsplit(".so.", 1)[1]), None


def build_command(source, binary, mkl):
    """g++ for pWord2Vec.cpp with MKL (its makefile is for icpc; gcc needs three
    -include for what icpc's headers bring in)."""
    include, lib, version = mkl
    return [
        "g++", "-std=c++11", "-fopenmp", "-O3", "-march=native", "-DUSE_MKL",
        "-include", "mm_malloc.h", "-include", "cstdio", "-include", "cstdlib",
        f"-I{include}", str(source / "pWord2Vec.cpp"), "-o", str(binary), f"-L{lib}",
        *(f"-l:lib{name}.so.{version}" for name in MKL_LIBRARIES), f"-Wl,-rpath,{lib}",
    ]  # fmt: skip


def build(bench):
    """The built pWord2Vec binary and its build command, or (None, why not)."""
    source, why = source_folder(bench.args)
    if source is None:
        return None, why
    mkl, why = find_mkl()
    if mkl is None:
        return None, why
    binary = bench.work_dir / "pWord2Vec"
    command = build_command(source, binary, mkl)
    if not bench.run("build pWord2Vec with MKL", command).ok:
        return None, "the build failed (see Failures)"
    return binary, command


def pword2vec_command(binary, corpus, output, threads, trial):
    s = trial.settings
    return [
        str(binary), "-train", str(corpus), "-output", str(output), "-size", str(s["dim"]),
        "-window", str(s["window"]), "-negative", str(s["negative"]),
        "-sample", str(s["sample"]), "-threads", str(threads), "-iter", str(trial.epochs),
        "-min-count", str(s["min_count"]), "-alpha", str(SGNS.alpha), "-binary", "1",
        "-batch-size", str(2 * s["window"] + 1),
    ]  # fmt: skip


def jobs_for(bench, binary):
    """(key, label, make_argv(out, corpus)) of both systems for every trial."""
    threads, jobs = bench.args.threads, []
    for trial in TRIALS:

        def w2v(out, corpus=bench.corpus, trial=trial):
            return w2v_nce_command(
                corpus, out, threads, trial.epochs, SGNS, bench.work_dir, trial.settings
            )

        def intel(out, corpus=bench.corpus, trial=trial):
            return pword2vec_command(binary, corpus, out, threads, trial)

        jobs.append(((trial.label, "w2v-nce"), f"w2v-nce {trial.label}", w2v))
        jobs.append(((trial.label, "pWord2Vec"), f"pWord2Vec {trial.label}", intel))
    return jobs


def measure_corpus(bench, binary):
    """Both systems, every trial, alternating within each round, on ``bench``'s corpus."""
    compare = [((t.label, "w2v-nce"), (t.label, "pWord2Vec")) for t in TRIALS]
    runs, diffs = quality_rounds(bench, "pword2vec", jobs_for(bench, binary), compare)
    rows = []
    for trial in TRIALS:
        for system in SYSTEMS:
            done = runs[(trial.label, system)]
            row = summarise_runs(bench, done)
            wall = row.get("wall")
            row.update(
                trial=trial.label,
                system=system,
                words_per_sec=bench.tokens * trial.epochs / wall if wall else None,
                cpu=median([r.cpu for r in done if r.cpu is not None]),
            )
            rows.append(row)
    differences = {key[0]: d for (key, _), d in summarise_differences(diffs).items()}
    return {"rows": rows, "differences": differences}


def path_problem(bench):
    """Why pWord2Vec cannot be given ``bench``'s corpus and outputs, or None."""
    for path in (bench.corpus, bench.work_dir / "pword2vec-0.bin"):
        if len(str(path)) > MAX_PATH:
            return f"{path} is longer than pWord2Vec's {MAX_PATH} characters (use --work-dir)"
    return None


def shown_build(command):
    """The build command with the environment's and the source's folders as variables."""
    shown = shlex.join(command).replace(sys.prefix, "$VENV")
    source = Path(command[command.index("-o") - 1]).parent
    return shown.replace(str(source), "$PWORD2VEC_SRC").replace(
        command[command.index("-o") + 1], "pWord2Vec"
    )


def measure(bench):
    """pWord2Vec built and run beside w2v-nce on the benchmark corpus and on
    ``--also``; {"skipped": why} without its source or MKL."""
    args = bench.args
    binary, command = build(bench)
    why = command if binary is None else path_problem(bench)
    if why:
        log(f"pword2vec: skipped: {why}")
        return {"skipped": why}
    results = {"build": shown_build(command), "threads": args.threads, "repeats": args.repeats}
    results["corpora"] = on_each_corpus(
        bench,
        "pword2vec",
        lambda on: measure_corpus(on, binary),
        getattr(args, "also", None),
        ALSO_COPIES,
        problem=path_problem,
    )
    return results


# --------------------------------------------------------------------------- the text


def speed_table(corpus):
    header = [
        "setup", "system", "wall s", "words/s", "× pWord2Vec", "CPU s", "× pWord2Vec, CPU",
        "peak RSS MiB",
        "WS-353 ρ [95% CI]", "SimLex-999 ρ [95% CI]", "analogy [95% CI]",
    ]  # fmt: skip
    reference = {row["trial"]: row for row in corpus["rows"] if row["system"] == "pWord2Vec"}
    rows = []
    for row in corpus["rows"]:
        if "wall" not in row:
            rows.append([row["trial"], row["system"], row["status"], *[""] * (len(header) - 3)])
            continue
        ref = reference.get(row["trial"], {})
        rows.append(
            [
                row["trial"],
                row["system"],
                fmt(row["wall"], 1),
                fmt(row["words_per_sec"]),
                fmt(ratio(row["words_per_sec"], ref.get("words_per_sec"))),
                fmt(row["cpu"], 1),
                fmt(ratio(ref.get("cpu"), row["cpu"])),
                fmt(row["rss_mib"], 0),
                *(with_interval(row[k], row[f"{k}_ci"]) for k in ("ws353", "simlex999", "analogy")),
            ]
        )
    return table(header, rows)


def pword2vec_text(results):
    if "skipped" in results:
        return f"Skipped: {results['skipped']}."
    note = (
        "Intel's pWord2Vec (Ji et al. 2016, HogBatch with MKL's sgemm) built from its public "
        f"source by `{results['build']}`, beside w2v-nce with the same settings: skip-gram, "
        f"k = 5, window 5 (pWord2Vec `-batch-size 11`), min-count 5, alpha 0.025, "
        f"{results['threads']} threads, both alternating within each of {results['repeats']} "
        "rounds. words/s = corpus tokens × epochs ÷ whole-process wall seconds; CPU s = user + "
        "system seconds of the process (medians over the rounds); × pWord2Vec is the speed "
        "ratio, by wall time and by CPU seconds (pWord2Vec's CPU s ÷ this row's). "
        "Paired differences w2v-nce − pWord2Vec on the same resampled pairs and "
        "questions († where the 95% interval excludes 0)."
    )
    parts = [note]
    for corpus in results["corpora"]:
        parts += [
            corpus_heading(corpus),
            speed_table(corpus),
            differences_table(
                {f"{trial}: w2v-nce − pWord2Vec": d for trial, d in corpus["differences"].items()},
                "setup",
                ("ws353", "simlex999", "analogy"),
            ),
        ]
    return "\n\n".join(parts)


SECTION = Section(
    "pword2vec",
    "Against pWord2Vec with MKL",
    measure,
    lambda r: pword2vec_text(r["pword2vec"]),
)
