"""NCE at several k against word2vec.c's negative sampling with the same k."""

from ..common import Section, alternate, fmt, median, ratio, table
from ..systems import Setup, w2v_nce_command, word2vec_c_command


def measure(bench):
    """w2v-nce --loss nce --k K against word2vec.c -negative K, --nce-epochs epochs."""
    args = bench.args
    ks = [int(k) for k in args.nce_k.split(",")]
    epochs, out, tmp = args.nce_epochs, bench.work_dir / "nce.bin", bench.work_dir
    w2v_c_missing = {s.name: s.missing for s in bench.systems}["word2vec.c"]
    jobs = []
    for k in ks:
        argv = w2v_nce_command(bench.corpus, out, args.threads, epochs, Setup(loss="nce", k=k), tmp)
        jobs.append((("w2v-nce", k), f"w2v-nce nce k={k}", argv))
        if w2v_c_missing is None:
            argv = word2vec_c_command(bench.corpus, out, args.threads, epochs, Setup(k=k))
            jobs.append((("word2vec.c", k), f"word2vec.c negative={k}", argv))
    walls = alternate(bench, "nce", jobs)
    speed = {key: bench.words_per_sec(median(w), epochs) for key, w in walls.items()}
    names = ("w2v-nce", "word2vec.c")
    return {"epochs": epochs, "k": {str(k): {n: speed.get((n, k)) for n in names} for k in ks}}


NCE_NOTE = (
    "`w2v-nce train --loss nce --k K` against `word2vec -negative K` (negative sampling; "
    "the same number of dot products per pair), the other settings as above but {epochs} "
    "epoch(s) (`--nce-epochs`), which bounds the time of k = 64."
)


def nce_table(nce):
    header = [
        "k",
        "w2v-nce `--loss nce` words/s",
        "word2vec.c `-negative k` words/s",
        "w2v-nce ÷ word2vec.c",
    ]
    rows = [
        [k, fmt(v["w2v-nce"]), fmt(v["word2vec.c"]), fmt(ratio(v["w2v-nce"], v["word2vec.c"]))]
        for k, v in nce["k"].items()
    ]
    return table(header, rows)


def text(results):
    return NCE_NOTE.format(epochs=results["nce"]["epochs"]) + "\n\n" + nce_table(results["nce"])


SECTION = Section("nce", "NCE against word2vec.c", measure, text)
