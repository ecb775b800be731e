"""The benchmark's losses section without training: which runs the installed w2v-nce
offers, the tables and picture from given results, and ``--update`` replacing one
section of BENCHMARKS.md and nothing else."""

import argparse
from types import SimpleNamespace

from benchmarks.report import update_report
from benchmarks.sections import SECTIONS, losses


def test_runs_are_skipped_when_the_loss_or_a_flag_is_not_offered():
    offered_losses, options = losses.offered()  # the real `w2v-nce train --help`
    assert {"neg", "nce", "hs"} <= offered_losses and "--max-vocab" in options
    neg = losses.LossRun("neg", "neg")
    assert losses.missing(neg, offered_losses, options) is None
    unknown = losses.LossRun("x", "no-such-loss")
    assert "--loss no-such-loss not offered" in losses.missing(unknown, offered_losses, options)
    flag = losses.LossRun("y", "neg", ("--no-such-flag", "3"))
    assert losses.missing(flag, offered_losses, options).startswith("--no-such-flag")


def test_every_reference_is_a_run_of_the_table():
    labels = [run.label for run in losses.LOSS_RUNS]
    assert len(set(labels)) == len(labels)
    assert all(run.reference in labels for run in losses.LOSS_RUNS)


def row(label, wall, ws353, geometry=(0.5, -2.0), **extra):
    ci = [ws353 - 0.1, ws353 + 0.1]
    return dict(
        setup=label, system="w2v-nce", flags=[], reference="neg", status="ok", wall=wall,
        words_per_sec=1000 / wall, ws353=ws353, ws353_ci=ci, simlex999=0.3,
        simlex999_ci=[0.2, 0.4], analogy=0.05, analogy_ci=[0.04, 0.06],
        alignment=geometry[0], alignment_ci=[geometry[0] - 0.01, geometry[0] + 0.01],
        uniformity=geometry[1], uniformity_ci=[geometry[1] - 0.01, geometry[1] + 0.01], **extra,
    )  # fmt: skip


def corpus_results(name):
    difference = {"diff": 0.05, "ci": [0.01, 0.09]}
    return {
        "corpus": name,
        "tokens": 1234,
        "rows": [
            row("neg", 2.0, 0.5, (0.2, -0.5)),
            row("nce", 4.0, 0.55, (1.1, -1.4)),
            {
                "setup": "triplet all",
                "system": "w2v-nce",
                "flags": ["--mining", "all"],
                "reference": "neg",
                "status": "--loss triplet not offered",
                "runs": [],
            },
        ],  # fmt: skip
        "differences": {"nce": {k: difference for k in ("ws353", "simlex999", "analogy")}},
    }


def results(picture=None):
    first = corpus_results("bench.txt")
    return dict(first, others=[corpus_results("glosses.txt")], epochs=5, threads=2,
                repeats=1, picture=picture)  # fmt: skip


def test_the_text_has_both_corpora_the_ratios_and_the_skipped_runs():
    text = losses.text({"losses": results("img/losses-geometry.png")})
    assert text.count("| nce |  | 4.0 | 250.00 | 0.50 | 0.550 [0.450, 0.650]") == 2
    assert "| triplet all | `--mining all` | --loss triplet not offered |" in text
    assert "| nce − neg | +0.050 [+0.010, +0.090] † |" in text
    assert "`bench.txt`** (1,234 tokens)" in text and "`glosses.txt`**" in text
    assert "![Each loss in the (uniformity, alignment) plane](img/losses-geometry.png)" in text


def test_the_picture_is_written_and_linked_from_the_report(tmp_path):
    args = argparse.Namespace(
        plot=str(tmp_path / "img" / "quality-speed.png"), markdown=str(tmp_path / "B.md")
    )
    link = losses.draw(results(), args)
    assert link == "img/losses-geometry.png"
    assert (tmp_path / "img" / "losses-geometry.png").read_bytes()[:4] == b"\x89PNG"
    assert losses.draw(results(), argparse.Namespace(plot="", markdown=args.markdown)) is None


def test_update_replaces_only_the_sections_that_ran():
    title = SECTIONS["losses"].title
    old = (
        "# Benchmarks\n\nheader\n\n## Same settings, side by side\n\nmain table\n\n"
        f"## {title}\n\nold losses table\n\n## Checkpoints\n\ncheckpoint text\n"
    )
    bench = SimpleNamespace(args=SimpleNamespace(corpus="c.txt"), tokens=1234, failures=[])
    info = {
        "command": "bench.py c.txt --only losses --update",
        "date": "today",
        "machine": {"load": (3.0, 0, 0)},
        "load_end": (4.0, 0, 0),
    }
    new = update_report(old, bench, info, {"losses": results()})
    assert "old losses table" not in new and "| nce |" in new
    assert new.startswith(
        "# Benchmarks\n\nheader\n\n## Same settings, side by side\n\nmain table\n"
    )
    assert new.endswith("## Checkpoints\n\ncheckpoint text\n")
    assert "load average 3.00 at the start, 4.00 at the end" in new
    assert new.count(f"## {title}") == 1
    without = old.replace(f"## {title}\n\nold losses table\n\n", "")
    assert update_report(without, bench, info, {"losses": results()}).count(f"## {title}") == 1
