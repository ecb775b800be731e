"""Quality: every output scored on WordSim-353, SimLex-999 and the Google analogies
with 95% intervals, rounds of jobs scored as they finish, medians over the rounds, and the
paired differences between systems."""

import time
from dataclasses import asdict

from .common import log, median, rotated, table, with_interval


def evaluate(vectors_path):
    """Vocabulary, WordSim-353 and SimLex-999 Spearman and analogy accuracy, with their
    95% intervals, and the three score objects (for paired differences).

    gensim reads the file (every system's output the same way); the scores are
    gensim's, computed by w2v-nce's vectorised copy of its evaluation.
    """
    from gensim.models import KeyedVectors

    from w2v_nce.evaluation.cosine import evaluate_analogies, evaluate_pairs, gensim_data

    kv = KeyedVectors.load_word2vec_format(str(vectors_path), binary=True, unicode_errors="replace")
    words, vectors = kv.index_to_key, kv.vectors
    pairs = evaluate_pairs(words, vectors, gensim_data("wordsim353.tsv"))
    simlex = evaluate_pairs(words, vectors, gensim_data("simlex999.txt"))
    analogy = evaluate_analogies(words, vectors, gensim_data("questions-words.txt"))
    quality = {
        "vocab": len(kv),
        "ws353": pairs.spearman,
        "ws353_ci": pairs.interval(),
        "simlex999": simlex.spearman,
        "simlex999_ci": simlex.interval(),
        "analogy": analogy.accuracy,
        "analogy_ci": analogy.interval(),
    }
    return quality, {"ws353": pairs, "simlex999": simlex, "analogy": analogy}


def median_interval(intervals):
    """[median low, median high] over the rounds; None if a round has none."""
    if any(ci is None for ci in intervals):
        return None
    return [median([ci[0] for ci in intervals]), median([ci[1] for ci in intervals])]


def quality_rounds(bench, section, jobs, compare=(), after=None):
    """Run every (key, label, make_argv(out)) job once per round, the order rotated
    from round to round; then score every output of the round.

    ``after(key, run, out)``, when given, is called on every scored output before it is
    removed (it may add to ``run.quality``, or leave files beside ``out`` to remove).

    ``compare`` lists (key, reference key) pairs whose paired differences (the same
    resampled pairs and questions for both) are computed in each round. Returns
    ({key: [the Runs that succeeded and were scored]}, {(key, ref): [differences]}).
    """
    runs = {key: [] for key, _, _ in jobs}
    diffs = {pair: [] for pair in compare}
    log(f"{section}: warm-up on the tiny corpus")  # each model and loss compiles its kernel
    for _, label, make_argv in jobs:
        bench.run(f"warm-up {label}", make_argv(bench.work_dir / "warmup.bin", bench.tiny))
    for round_ in range(bench.args.repeats):
        log(f"{section}: round {round_ + 1}/{bench.args.repeats}")
        outputs = {}
        for number, (key, label, make_argv) in enumerate(rotated(jobs, round_)):
            out = bench.work_dir / f"{section}-{number}.bin"
            out.unlink(missing_ok=True)
            run = bench.run(f"{label} (round {round_ + 1})", make_argv(out))
            if run.ok:
                outputs[key] = (run, out, label)
        scores = {}
        for key, (run, out, label) in outputs.items():
            found = quality_of(bench, run, out, label)
            if found is not None and after is not None:
                after(key, run, out)
            out.unlink(missing_ok=True)
            if found is not None:
                scores[key] = found
                runs[key].append(run)
        for key, reference in compare:
            if key in scores and reference in scores:
                diffs[(key, reference)].append(
                    {
                        name: scores[key][name].difference(scores[reference][name])
                        for name in scores[key]
                    }
                )
    return runs, diffs


def quality_of(bench, run, out, name):
    """Score one output: sets run.quality, returns the score objects (None on failure)."""
    started = time.perf_counter()
    try:
        run.quality, scores = evaluate(out)
    except Exception as error:  # a file gensim cannot read is this system's failure
        run.returncode, run.stderr_tail = 1, f"evaluating {out.name}: {error!r}"
        bench.failures.append({"run": f"{name} evaluation", "command": "", "tail": run.stderr_tail})
        return None
    q = run.quality
    log(
        f"  {'':<40} WS-353 {with_interval(q['ws353'], q['ws353_ci'])}, analogy "
        f"{with_interval(q['analogy'], q['analogy_ci'])} "
        f"(evaluated in {time.perf_counter() - started:.0f} s)"
    )
    return scores


def summarise_runs(bench, ok, missing=None):
    """Medians over the rounds of one job's runs (wall, speed, quality), largest RSS."""
    row = {"status": missing or ("ok" if ok else "failed"), "runs": [asdict(r) for r in ok]}
    if ok:
        wall = median([r.wall for r in ok])
        row.update(
            wall=wall,
            words_per_sec=bench.words_per_sec(wall),
            rss_mib=max(r.rss_mib for r in ok),
            vocab=median([r.quality["vocab"] for r in ok]),
            ws353=median([r.quality["ws353"] for r in ok]),
            ws353_ci=median_interval([r.quality["ws353_ci"] for r in ok]),
            simlex999=median([r.quality["simlex999"] for r in ok]),
            simlex999_ci=median_interval([r.quality["simlex999_ci"] for r in ok]),
            analogy=median([r.quality["analogy"] for r in ok]),
            analogy_ci=median_interval([r.quality["analogy_ci"] for r in ok]),
        )
    return row


def median_difference(paired):
    """The median over the rounds of one paired difference (``{"diff", "ci"}`` each)."""
    return {
        "diff": median([p["diff"] for p in paired if p["diff"] is not None]),
        "ci": median_interval([p["ci"] for p in paired]) if paired else None,
    }


def summarise_differences(diffs):
    """{(key, ref): {score: {"diff", "ci"}}}: medians over the rounds of each paired difference."""
    out = {}
    for pair, rounds in diffs.items():
        if not rounds:
            continue
        out[pair] = {name: median_difference([r[name] for r in rounds]) for name in rounds[0]}
    return out


def signed_interval(difference):
    """``+0.012 [−0.020, +0.041]`` and a verdict: † where the interval excludes 0."""
    diff, ci = difference["diff"], difference["ci"]
    if diff is None:
        return "–"
    if ci is None:
        return f"{diff:+.3f}"
    mark = " †" if ci[0] > 0 or ci[1] < 0 else ""
    return f"{diff:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]{mark}"


SCORE_TITLES = {"ws353": "WS-353 ρ", "simlex999": "SimLex-999 ρ", "analogy": "analogy"}


def differences_table(differences, label, scores=("ws353", "analogy")):
    """One row per comparison: the paired differences of each of ``scores``."""
    rows = [[name, *(signed_interval(d[s]) for s in scores)] for name, d in differences.items()]
    header = [label, *(f"{SCORE_TITLES[s]} difference [95% CI]" for s in scores)]
    return table(header, rows)
