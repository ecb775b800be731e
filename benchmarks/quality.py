"""Quality check: w2v-nce against gensim on one corpus with the same settings.

    python benchmarks/quality.py CORPUS [--loss neg] [--k 5] [--threads 2] [--only gensim|w2v]

Trains gensim Word2Vec (sg=1) and `w2v-nce train` with sg=1, negative=k, window 5,
dim 100, sample 1e-3, 5 epochs, min_count 5, then prints the vocabulary sizes and
whether the vocabularies are equal, WordSim-353 and SimLex-999 Spearman and
Google analogy accuracy (restrict_vocab 30,000), all through gensim's own
evaluate_word_pairs / evaluate_word_analogies on the exported vectors.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath


def scores(kv: KeyedVectors) -> dict:
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    analogy, _ = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)
    return {
        "ws353": round(float(ws[1][0]), 4),
        "simlex999": round(float(sl[1][0]), 4),
        "analogy": round(float(analogy), 4),
    }


def train_gensim(corpus, args, out_dir):
    plain = Path(out_dir) / "corpus.txt"
    subprocess.run(f"zcat -f {corpus} > {plain}", shell=True, check=True)
    started = time.perf_counter()
    model = Word2Vec(
        corpus_file=str(plain),
        sg=1,
        negative=args.k,
        window=5,
        vector_size=100,
        sample=1e-3,
        epochs=5,
        min_count=5,
        workers=args.threads,
        seed=1,
        alpha=0.025,
        min_alpha=0.0001,
    )
    seconds = time.perf_counter() - started
    return model.wv, seconds


def train_ours(corpus, args, out_dir):
    out = Path(out_dir) / "ours.bin"
    started = time.perf_counter()
    subprocess.run(
        [
            "w2v-nce",
            "train",
            corpus,
            "--loss",
            args.loss,
            "--k",
            str(args.k),
            "--dim",
            "100",
            "--window",
            "5",
            "--epochs",
            "5",
            "--min-count",
            "5",
            "--sample",
            "1e-3",
            "--threads",
            str(args.threads),
            "--binary",
            "-o",
            str(out),
            "--quiet",
        ],
        check=True,
    )
    seconds = time.perf_counter() - started
    return KeyedVectors.load_word2vec_format(str(out), binary=True), seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--loss", default="neg")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["gensim", "w2v"], default=None)
    args = parser.parse_args()
    result = {}
    with tempfile.TemporaryDirectory() as out_dir:
        kvs = {}
        if args.only != "w2v":
            kvs["gensim"], secs = train_gensim(args.corpus, args, out_dir)
            result["gensim"] = {
                **scores(kvs["gensim"]),
                "vocab": len(kvs["gensim"]),
                "seconds": round(secs, 1),
            }
        if args.only != "gensim":
            kvs["w2v_nce"], secs = train_ours(args.corpus, args, out_dir)
            result["w2v_nce"] = {
                **scores(kvs["w2v_nce"]),
                "vocab": len(kvs["w2v_nce"]),
                "seconds": round(secs, 1),
            }
        if len(kvs) == 2:
            result["same_vocabulary"] = set(kvs["gensim"].index_to_key) == set(
                kvs["w2v_nce"].index_to_key
            )
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
