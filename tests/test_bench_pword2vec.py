"""The benchmark's pword2vec section without pWord2Vec's source: why it skips (one line,
in the log and in BENCHMARKS.md), where it finds MKL, the commands it would run, and
the tables from given results."""

import argparse
from pathlib import Path

import pytest

from benchmarks.common import Bench
from benchmarks.report import update_report
from benchmarks.sections import SECTIONS, pword2vec


def bench_for(tmp_path, **options):
    args = argparse.Namespace(threads=2, repeats=1, epochs=5, timeout=60, **options)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c\n")
    return Bench(args, tmp_path, corpus, 3, corpus, [])


def test_without_a_source_the_section_skips_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PWORD2VEC_SRC", raising=False)
    results = pword2vec.measure(bench_for(tmp_path, pword2vec_src=None, also=""))
    why = "no pWord2Vec source given (--pword2vec-src DIR or PWORD2VEC_SRC)"
    assert results == {"skipped": why}
    assert f"pword2vec: skipped: {why}" in capsys.readouterr().err
    assert pword2vec.SECTION.text({"pword2vec": results}) == f"Skipped: {why}."


def test_a_folder_without_the_source_file_or_without_mkl_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PWORD2VEC_SRC", str(tmp_path))
    source, why = pword2vec.source_folder(argparse.Namespace(pword2vec_src=None))
    assert source is None and why == f"no pWord2Vec.cpp in {tmp_path}"
    (tmp_path / "pWord2Vec.cpp").write_text("int main() {}\n")
    assert pword2vec.source_folder(argparse.Namespace()) == (tmp_path, None)
    mkl, why = pword2vec.find_mkl(tmp_path)
    assert mkl is None and "pip install -e '.[pword2vec]'" in why


def test_mkl_is_found_by_its_soname_and_linked_with_an_rpath(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "mkl.h").write_text("")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libmkl_core.so.3").write_text("")
    mkl, why = pword2vec.find_mkl(tmp_path)
    assert why is None and mkl == (tmp_path / "include", tmp_path / "lib", "3")
    command = pword2vec.build_command(Path("src"), Path("out/pWord2Vec"), mkl)
    assert command[:6] == ["g++", "-std=c++11", "-fopenmp", "-O3", "-march=native", "-DUSE_MKL"]
    assert "-l:libmkl_sequential.so.3" in command and f"-Wl,-rpath,{tmp_path}/lib" in command
    assert "src/pWord2Vec.cpp" in command


@pytest.mark.parametrize("trial", pword2vec.TRIALS, ids=lambda t: t.label)
def test_both_systems_get_the_same_settings(tmp_path, trial):
    jobs = dict(
        (key, make_argv) for key, _, make_argv in pword2vec.jobs_for(bench_for(tmp_path), "pw")
    )
    intel = jobs[(trial.label, "pWord2Vec")](tmp_path / "o.bin")
    w2v = jobs[(trial.label, "w2v-nce")](tmp_path / "o.bin")
    pairs = [
        ("-size", "--dim"),
        ("-window", "--window"),
        ("-negative", "--k"),
        ("-iter", "--epochs"),
        ("-threads", "--threads"),
        ("-min-count", "--min-count"),
    ]
    for ours, theirs in pairs:
        assert flag(intel, ours) == flag(w2v, theirs), ours
    assert float(flag(intel, "-sample")) == float(flag(w2v, "--sample")) == trial.sample
    assert flag(intel, "-batch-size") == "11" and flag(intel, "-size") == str(trial.dim)


def flag(argv, name):
    return argv[argv.index(name) + 1]


def row(trial, system, wall, cpu):
    ci = [0.5, 0.7]
    return dict(
        trial=trial, system=system, status="ok", wall=wall, words_per_sec=1000 / wall, cpu=cpu,
        rss_mib=100.0, ws353=0.6, ws353_ci=ci, simlex999=0.3, simlex999_ci=ci, analogy=0.4,
        analogy_ci=ci,
    )  # fmt: skip


def test_the_text_gives_both_ratios_the_loads_and_the_paired_differences():
    difference = {"diff": -0.01, "ci": [-0.03, 0.01]}
    corpus = {
        "corpus": "bench.txt",
        "tokens": 1234,
        "load": [3.0, 4.5],
        "rows": [row("dim 300", "w2v-nce", 2.0, 3.0), row("dim 300", "pWord2Vec", 3.0, 3.6)],
        "differences": {"dim 300": {k: difference for k in ("ws353", "simlex999", "analogy")}},
    }
    results = {"build": "g++ ...", "threads": 2, "repeats": 1, "corpora": [corpus]}
    text = SECTIONS["pword2vec"].text({"pword2vec": results})
    assert "| dim 300 | w2v-nce | 2.0 | 500.00 | 1.50 | 3.0 | 1.20 | 100 |" in text
    assert "| dim 300 | pWord2Vec | 3.0 | 333.33 | 1.00 | 3.6 | 1.00 |" in text
    assert "load average 3.00 at the start, 4.50 at the end" in text
    assert "| dim 300: w2v-nce − pWord2Vec | -0.010 [-0.030, +0.010] |" in text
    assert "SimLex-999 ρ difference" in text


def test_update_replaces_only_this_section(tmp_path):
    bench = bench_for(tmp_path)
    bench.args.corpus = "c.txt"
    info = {"command": "bench", "date": "today", "machine": {"load": [1.0]}, "load_end": [2.0]}
    old = "# Benchmarks\n\n## Kernel arithmetic rate\n\nkept\n"
    new = update_report(old, bench, info, {"pword2vec": {"skipped": "no source"}})
    assert "## Kernel arithmetic rate\n\nkept\n" in new
    assert "## Against pWord2Vec with MKL" in new and "Skipped: no source." in new
