"""Subword n-grams (``--subwords 3-6``) against fastText's skip-gram with the same settings.

Three jobs alternate in each round, all skip-gram with negative sampling (k 5, dim 100,
window 5, the bench's epochs and threads, fastText's minn 3, maxn 6 and 2,000,000
buckets): w2v-nce ``--subwords 3-6``, fastText, and w2v-nce without subwords. Each
writes its word vectors (scored as the main table scores them, with paired
differences) and a fastText ``.bin`` (w2v-nce's ``--fasttext-bin``, fastText's
``save_model``), which ``fasttext.load_model`` reads back for the rare-word set, so
every system's vector of a word out of its vocabulary comes from the same code.

The rare-word set (:func:`rare_pairs`): the pairs of WordSim-353 and SimLex-999
(gensim's copies) with at least one word seen fewer than :data:`RARE` times in the
benchmark corpus (lower-cased; absent words included). A model with subwords gives a
word out of its vocabulary the vector of its n-grams; one without has no vector for
it. Every model is scored on every pair, a pair with a word the model has no vector
for at similarity 0 (:func:`null_vectors`): the convention of Bojanowski et al. (2017,
Table 3: "null vectors" for the model without subwords) and of gensim's
``evaluate_word_pairs(dummy4unknown=True)``. Scored only on the pairs it knows, the
model without subwords would be scored on an easier set than the others (the pairs it
skips are the rarest), so that score is shown apart, beside the subword model's on
the same pairs (:func:`on_pairs`).
"""

from collections import Counter

import numpy as np

from ..common import Section, fmt, log, median, ratio, table, with_interval
from ..quality import (
    median_difference,
    median_interval,
    quality_rounds,
    summarise_differences,
    summarise_runs,
)
from ..quality import signed_interval as signed
from ..systems import SGNS, python_child_command, w2v_nce_command

RARE = 20  # a pair is rare if one of its words occurs fewer times than this
RANGE, BUCKETS = "3-6", 2_000_000  # fastText's defaults

FASTTEXT_SUBWORDS_SCRIPT = """
import json, sys
import fasttext
p = json.loads(sys.argv[1])
model = fasttext.train_unsupervised(
    p["corpus"], model="skipgram", loss="ns", neg=p["negative"], ws=p["window"],
    dim=p["dim"], t=p["sample"], epoch=p["epochs"], minCount=p["min_count"],
    lr=p["alpha"], minn=3, maxn=6, bucket=2000000, thread=p["threads"], verbose=0,
)
words = model.get_words()
with open(p["output"], "wb") as out:
    out.write(f"{len(words)} {model.get_dimension()}\\n".encode())
    for word in words:
        row = model.get_word_vector(word).astype("<f4")
        out.write(word.encode() + b" " + row.tobytes() + b"\\n")
model.save_model(p["output"] + ".ftbin")
"""

JOBS = ("w2v-nce --subwords", "fastText", "w2v-nce")


def rare_pairs(bench):
    """Write the rare-word set (see the module docstring) to the work directory: its path
    and how many of the source pairs it kept."""
    from w2v_nce.evaluation.cosine import gensim_data, read_pairs

    counts = Counter()
    with open(bench.corpus, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            counts.update(line.lower().split())
    pairs = {}
    for name in ("wordsim353.tsv", "simlex999.txt"):
        for a, b, score in read_pairs(gensim_data(name)):
            a, b = a.lower(), b.lower()
            if min(counts[a], counts[b]) < RARE:
                pairs.setdefault((a, b), score)
    path = bench.work_dir / "rare-pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for (a, b), s in pairs.items()), encoding="utf-8")
    return path, len(pairs)


def null_vectors(score, pairs_path):
    """``score`` (a PairsScore) with every pair it skipped scored too, at similarity 0:
    a word without a vector gets a null one (see the module docstring)."""
    from w2v_nce.evaluation.cosine import PairsScore, read_pairs
    from w2v_nce.evaluation.stats import spearman

    gold = np.array([g for _, _, g in read_pairs(str(pairs_path))], dtype=np.float64)
    cosine = np.zeros(gold.size)
    cosine[score.index] = score.cosine
    index = np.arange(gold.size)
    return PairsScore(spearman(gold, cosine), 0.0, gold.size, 0, index, gold, cosine)


def on_pairs(score, index):
    """``score`` (a PairsScore) over the pairs ``index`` only."""
    from w2v_nce.evaluation.cosine import PairsScore
    from w2v_nce.evaluation.stats import spearman

    keep = np.isin(score.index, index)
    gold, cosine, kept = score.gold[keep], score.cosine[keep], int(keep.sum())
    value = spearman(gold, cosine) if kept else None
    return PairsScore(value, score.oov, kept, score.items - kept, score.index[keep], gold, cosine)


def rare_score(bin_path, pairs_path, subwords):
    """The rare-word set scored with the vectors a fastText .bin gives (words out of its
    vocabulary from their n-grams when ``subwords``, else none: see :func:`null_vectors`):
    (score on every pair, score on the pairs the model knows, share of the set's distinct
    words out of the vocabulary)."""
    import fasttext

    from w2v_nce.evaluation.cosine import evaluate_pairs, read_pairs

    model = fasttext.load_model(str(bin_path))
    words = model.get_words()
    vectors = np.array([model.get_word_vector(w) for w in words], dtype=np.float32)
    oov = (lambda ws: np.array([model.get_word_vector(w) for w in ws])) if subwords else None
    known = evaluate_pairs(words, vectors, str(pairs_path), oov=oov)
    vocabulary = {w.upper() for w in words}
    distinct = {w for a, b, _ in read_pairs(str(pairs_path)) for w in (a, b)}
    return null_vectors(known, pairs_path), known, len(distinct - vocabulary) / len(distinct)


def measure(bench):
    """The three jobs alternating in rounds; speed, quality, the rare-word set."""
    args = bench.args
    if {s.name: s.missing for s in bench.systems}["fastText"] is not None:
        return {"missing": "fastText is not installed (pip install -e '.[bench]')"}
    pairs_path, n_pairs = rare_pairs(bench)
    log(f"subwords: {n_pairs} rare-word pairs (a word seen < {RARE} times)")

    def w2v_nce(extra):
        def make(out, corpus=bench.corpus):
            command = w2v_nce_command(corpus, out, args.threads, args.epochs, SGNS, bench.work_dir)
            return [*command, *extra, "--fasttext-bin", f"{out}.ftbin"]

        return make

    def fasttext(out, corpus=bench.corpus):
        return python_child_command(
            FASTTEXT_SUBWORDS_SCRIPT, corpus, out, args.threads, args.epochs, SGNS
        )

    jobs = [
        (JOBS[0], JOBS[0], w2v_nce(["--subwords", RANGE, "--buckets", str(BUCKETS)])),
        (JOBS[1], JOBS[1], fasttext),
        (JOBS[2], JOBS[2], w2v_nce([])),
    ]
    rare = {key: [] for key in JOBS}  # per round: (every pair, the pairs it knows)

    def after(key, run, out):
        bin_path = out.parent / f"{out.name}.ftbin"
        every, known, oov_words = rare_score(bin_path, pairs_path, subwords=key != JOBS[2])
        bin_path.unlink(missing_ok=True)
        rare[key].append((every, known))
        run.quality.update(rare=every.spearman, rare_ci=every.interval(), rare_oov=known.oov)
        run.quality.update(rare_known=known.spearman, rare_known_ci=known.interval())
        run.quality["rare_oov_words"] = oov_words

    compare = [(JOBS[0], JOBS[1]), (JOBS[0], JOBS[2])]
    runs, diffs = quality_rounds(bench, "subwords", jobs, compare, after)
    rows = {}
    for key in JOBS:
        row = summarise_runs(bench, runs[key])
        done = [r.quality for r in runs[key]]
        if done:
            row.update(
                rare=median([q["rare"] for q in done]),
                rare_ci=median_interval([q["rare_ci"] for q in done]),
                rare_known=median([q["rare_known"] for q in done]),
                rare_known_ci=median_interval([q["rare_known_ci"] for q in done]),
                rare_oov=median([q["rare_oov"] for q in done]),
                rare_oov_words=median([q["rare_oov_words"] for q in done]),
            )
        rows[key] = row
    differences = summarise_differences(diffs)
    for (key, reference), found in differences.items():
        rounds = list(zip(rare[key], rare[reference], strict=False))
        found["rare"] = median_difference([a.difference(b) for (a, _), (b, _) in rounds])
        found["rare_known"] = median_difference(
            [on_pairs(a, b.index).difference(on_pairs(b, a.index)) for (_, a), (_, b) in rounds]
        )
    return {
        "rows": rows,
        "differences": {f"{key} − {ref}": d for (key, ref), d in differences.items()},
        "rare_pairs": n_pairs,
        "rare": RARE,
    }


def text(results):
    found = results["subwords"]
    if "missing" in found:
        return found["missing"]
    rows, ref = found["rows"], found["rows"][JOBS[1]]
    header = ["system", "wall s", "words/s", "× fastText", "peak RSS MiB", "WS-353 ρ",
              "analogy", "rare-word ρ, every pair", "rare-word ρ, pairs it knows",
              "rare pairs it knows no vector for", "rare words OOV"]  # fmt: skip
    lines = []
    for name, row in rows.items():
        if "wall" not in row:
            lines.append([name, row["status"], *[""] * (len(header) - 2)])
            continue
        lines.append([
            name, fmt(row["wall"], 1), fmt(row["words_per_sec"]),
            fmt(ratio(row["words_per_sec"], ref.get("words_per_sec"))), fmt(row["rss_mib"], 0),
            with_interval(row["ws353"], row["ws353_ci"]),
            with_interval(row["analogy"], row["analogy_ci"]),
            with_interval(row.get("rare"), row.get("rare_ci")),
            with_interval(row.get("rare_known"), row.get("rare_known_ci")),
            fmt(100 * row.get("rare_oov", 0), 1, "%"),
            fmt(100 * row.get("rare_oov_words", 0), 1, "%"),
        ])  # fmt: skip
    note = (
        f"Skip-gram, negative sampling k 5, dim 100, window 5, n-grams {RANGE} into "
        f"{BUCKETS:,} buckets for w2v-nce `--subwords` and fastText; rare-word set: the "
        f"{found['rare_pairs']} WordSim-353 and SimLex-999 pairs with a word seen fewer "
        f"than {found['rare']} times in the corpus (benchmarks/sections/subwords.py). "
        "Every pair is scored, a pair with a word a model has no vector for at similarity 0 "
        "(the null vectors of Bojanowski et al. 2017, Table 3; gensim's dummy4unknown); the "
        "next column scores each model on the pairs it knows only, and the paired "
        "differences there are over the pairs both know."
    )
    diff_rows = [
        [name, signed(d["ws353"]), signed(d["analogy"]), signed(d["rare"]),
         signed(d["rare_known"])]
        for name, d in found["differences"].items()
    ]  # fmt: skip
    diff_header = ["comparison", "WS-353 ρ [95% CI]", "analogy [95% CI]",
                   "rare-word ρ, every pair [95% CI]",
                   "rare-word ρ, pairs both know [95% CI]"]  # fmt: skip
    return (
        note + "\n\n" + table(header, lines) + "\n\nPaired differences († where the 95% "
        "interval excludes 0):\n\n" + table(diff_header, diff_rows)
    )


SECTION = Section("subwords", "Subword n-grams against fastText", measure, text)
