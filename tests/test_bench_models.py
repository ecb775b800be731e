"""The benchmark's main and models sections on two corpora without training: the
second corpus (``--also``) prepared and measured by the shared helper, one table per
corpus under its heading, the models' speed ratios per corpus, the picture's points
from the first corpus, and ``--update``."""

import argparse
from types import SimpleNamespace

import numpy as np

from benchmarks.common import ALSO_COPIES, ALSO_SEED, Bench, on_each_corpus
from benchmarks.picture import picture_points
from benchmarks.report import header_lines, update_report
from benchmarks.run import parse_args
from benchmarks.sections import SECTIONS


def test_also_defaults_to_the_glosses_and_keeps_its_old_name():
    args = parse_args(["c.txt"])
    assert args.also.endswith("wordnet-glosses.txt.gz") and args.losses_also == args.also
    assert parse_args(["c.txt", "--pword2vec-also", "x.txt"]).also == "x.txt"
    assert parse_args(["c.txt", "--also", ""]).also == ""


def bench_for(tmp_path, text="a b c\n"):
    args = argparse.Namespace(threads=2, repeats=1, epochs=5, timeout=60)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(text)
    args.corpus = str(corpus)
    return Bench(args, tmp_path, corpus, 3, corpus, [])


def test_each_corpus_is_measured_with_its_name_tokens_and_load(tmp_path):
    bench = bench_for(tmp_path)
    other = tmp_path / "other.txt"
    other.write_text("d e\nf g h i\n")
    seen = []

    def measure(on):
        seen.append(on.corpus.read_text())
        on.counter += 1
        return {"rows": []}

    found = on_each_corpus(bench, "main", measure, str(other), 2)
    # the two copies' lines shuffled together (a seeded permutation): each line twice
    order = np.random.default_rng(ALSO_SEED).permutation(4) % 2
    assert seen[1] == "".join(["d e\n", "f g h i\n"][i] for i in order)
    assert sorted(seen[1].splitlines()) == ["d e", "d e", "f g h i", "f g h i"]
    assert [c["tokens"] for c in found] == [3, 6 * 2]
    assert found[1]["corpus"] == f"{other}, 2 copies, lines shuffled together"
    assert all(len(c["load"]) == 2 for c in found) and bench.counter == 2
    assert on_each_corpus(bench, "main", measure, str(other), ALSO_COPIES)[1]["tokens"] == 12
    assert len(on_each_corpus(bench, "main", measure, "", ALSO_COPIES)) == 1
    assert len(on_each_corpus(bench, "main", measure, str(bench.corpus), ALSO_COPIES)) == 1
    skipped = on_each_corpus(bench, "main", measure, str(other), problem=lambda on: "too long")
    assert len(skipped) == 1


def scores(wall, words_per_sec):
    ci = [0.5, 0.7]
    return dict(
        status="ok", wall=wall, words_per_sec=words_per_sec, rss_mib=100.0, vocab=500,
        ws353=0.6, ws353_ci=ci, simlex999=0.3, simlex999_ci=ci, analogy=0.4, analogy_ci=ci,
    )  # fmt: skip


DIFFERENCE = {k: {"diff": 0.02, "ci": [0.01, 0.03]} for k in ("ws353", "simlex999", "analogy")}


def main_corpus(name, load, speed):
    return {
        "corpus": name,
        "tokens": 1234,
        "load": load,
        "rows": {
            "w2v-nce": scores(2.0, speed),
            "gensim": scores(4.0, speed / 2),
            "fastText": {"status": "not installed", "runs": []},
        },
        "differences": {"gensim": DIFFERENCE},
    }


def models_corpus(name, load, hs_ratio):
    rows = []
    for setup, flags in (("sg hs", "-cbow 0 -hs 1 -negative 0"), ("cbow neg k=5", "-cbow 1")):
        for system, speed in (("w2v-nce", 1000.0 * hs_ratio), ("word2vec.c", 1000.0)):
            rows.append(dict(scores(1.0, speed), setup=setup, flags=flags, system=system))
    return {"corpus": name, "tokens": 1234, "load": load, "rows": rows,
            "differences": {"sg hs": DIFFERENCE}}  # fmt: skip


def results(two=True):
    main = main_corpus("bench.txt", [1.0, 2.0], 1000.0)
    models = models_corpus("bench.txt", [1.0, 2.0], 2.1)
    main["others"] = [main_corpus("glosses.txt.gz, 2 copies", [2.5, 3.0], 800.0)] * two
    models["others"] = [models_corpus("glosses.txt.gz, 2 copies", [2.5, 3.0], 1.3)] * two
    return {"main": main, "models": models}


HEADINGS = (
    "**`bench.txt`** (1,234 tokens; load average 1.00 at the start, 2.00 at the end)",
    "**`glosses.txt.gz, 2 copies`** (1,234 tokens; load average 2.50 at the start, "
    "3.00 at the end)",
)


def test_two_corpora_give_two_main_tables_under_their_headings():
    text = SECTIONS["main"].text(results())
    first, second = (text.index(heading) for heading in HEADINGS)
    assert first < text.index("| w2v-nce | 2.0 | 1,000 | 1.00 |") < second
    assert text.index("| w2v-nce | 2.0 | 800.00 | 1.00 |") > second
    assert text.count("| gensim | 4.0 |") == 2 and text.count("| fastText | not installed |") == 2
    assert text.count("| w2v-nce − gensim | +0.020 [+0.010, +0.030] † |") == 2


def test_two_corpora_give_two_models_tables_and_the_ratio_per_corpus():
    text = SECTIONS["models"].text(results())
    assert all(text.count(heading) == 1 for heading in HEADINGS)
    assert text.count("| sg hs | `-cbow 0 -hs 1 -negative 0` | word2vec.c |") == 2
    assert "| sg hs | `-cbow 0 -hs 1 -negative 0` | w2v-nce | 1.0 | 2,100 | 2.10 |" in text
    assert "| sg hs | `-cbow 0 -hs 1 -negative 0` | w2v-nce | 1.0 | 1,300 | 1.30 |" in text
    assert text.count("| sg hs | +0.020 [+0.010, +0.030] † |") == 2
    assert "| model | `bench.txt` | `glosses.txt.gz, 2 copies` |" in text
    assert "| sg hs | 2.10 | 1.30 |" in text and "| cbow neg k=5 | 2.10 | 1.30 |" in text


def test_one_corpus_gives_one_table_and_no_ratio_table():
    one = results(two=False)
    main, models = SECTIONS["main"].text(one), SECTIONS["models"].text(one)
    assert HEADINGS[0] in main and HEADINGS[1] not in main and main.count("| gensim |") == 1
    assert HEADINGS[0] in models and "| model | `bench.txt` |" not in models
    assert models.count("| sg hs | `-cbow 0 -hs 1 -negative 0` | w2v-nce |") == 1
    old_style = {"main": {k: one["main"][k] for k in ("rows", "differences")}}  # no heading
    assert SECTIONS["main"].text(old_style).startswith("| system | wall s |")


def test_the_picture_plots_the_first_corpus_only():
    points = picture_points(results())
    assert sorted(p[:2] for p in points if p[0] == "w2v-nce") == [
        ("w2v-nce", "cbow neg k=5"),
        ("w2v-nce", "sg hs"),
        ("w2v-nce", "sg neg k=5"),
    ]


def test_the_header_names_the_second_corpora_and_update_replaces_both_sections():
    args = SimpleNamespace(
        corpus="c.txt", epochs=1, threads=2, repeats=1, also="g.gz", losses_also=""
    )
    bench = SimpleNamespace(args=args, tokens=1234, failures=[])
    info = {
        "command": "bench.py c.txt --only main,models --update",
        "date": "today",
        "machine": {"cpu": "x", "cores": 2, "memory_gib": 1.0, "load": (3.0, 0, 0)},
        "versions": {},
        "load_end": (4.0, 0, 0),
    }
    header = "\n".join(header_lines(bench, info, ["main", "models"]))
    assert "`g.gz, 2 copies, lines shuffled together` (`--also`: main, models)" in header
    assert "--losses-also" not in header
    args.losses_also = "l.gz"
    assert "`l.gz` (`--losses-also`: losses)" in "\n".join(header_lines(bench, info, ["losses"]))
    assert "--also" not in "\n".join(header_lines(bench, info, ["losses"]))
    assert "Second corpus" not in "\n".join(header_lines(bench, info, ["kernel"]))
    titles = [SECTIONS[name].title for name in ("main", "models")]
    old = f"# B\n\n## {titles[0]}\n\nold main\n\n## {titles[1]}\n\nold models\n\n## K\n\nkept\n"
    new = update_report(old, bench, info, results())
    assert "old main" not in new and "old models" not in new and new.endswith("## K\n\nkept\n")
    assert new.count(HEADINGS[1]) == 2
