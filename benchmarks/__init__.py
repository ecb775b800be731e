"""Speed, memory and quality of w2v-nce against gensim, word2vec.c and fastText.

    python -m benchmarks CORPUS [--threads 2] [--repeats 2] [--epochs 5]
        [--only main,pword2vec,models,losses,threads,encode,nce,kernel,first-run,softmax,checkpoint
         | --skip ...] [--also CORPUS] [--losses-also CORPUS] [--json PATH] [--plot PNG]

(``python benchmarks/bench.py ...`` is the same.) The package: :mod:`.run` the
command line, :mod:`.common` running and timing a child process and the shared
helpers, :mod:`.systems` the systems' command lines, :mod:`.quality` the scores and
their paired differences, :mod:`.report` and :mod:`.picture` the outputs, and
:mod:`.sections` one module per section (adding a section: a module and one line in
``sections/__init__.py``). ``encode_rate.py`` and ``checkpoint_cost.py`` are also
scripts of their own, which the ``encode`` and ``checkpoint`` sections use.

Method
------
The corpus (plain, .gz or .bz2) is decompressed once to a plain file, outside any
timing, and every system reads that same file. Its tokens (runs of non-whitespace)
are counted once; words/s is always corpus tokens x epochs / whole-process wall
seconds, so it includes start-up, vocabulary building and writing the vectors.

Every system trains in its own child process with the same settings (skip-gram,
negative sampling with 5 noise words, window 5, dimension 100, sample 1e-3, min-count
5, alpha 0.025, binary word2vec output):

- w2v-nce: the installed `w2v-nce train ... --quiet` console script;
- gensim: `Word2Vec(corpus_file=...)` in a `python -c` child;
- word2vec.c: the `word2vec` binary that the PyPI package `word2vec` compiles;
- fastText: `fasttext.train_unsupervised(model="skipgram", minn=0, maxn=0)` in a
  `python -c` child (PyPI `fasttext-wheel`).

The optional ones come with `pip install -e '.[bench]'` and are reported as "not
installed" otherwise. A child is started by a tiny `python -S` launcher that spawns
it and reaps it with os.wait4, which gives its wall time (perf_counter around spawn
and reap) and its peak resident set size (ru_maxrss), with no sampling. (Spawned
straight from this process, the child's ru_maxrss would include this process's own
peak, which Linux carries across exec; through the launcher that floor is the
launcher's ~10 MiB, measured on /bin/true and printed with the results.) Before any
timing each system runs once on a tiny slice of the corpus, so Numba's cache and the
page cache are warm.
Each repeat round runs every system once, the order rotated from round to round, so
slow phases of a shared machine hit all systems alike; the tables give the median
wall time over the rounds and the largest peak RSS.

Quality: every output is loaded with gensim's KeyedVectors.load_word2vec_format
and scored on WordSim-353 (Spearman rho) and the Google analogies (3CosAdd,
restrict_vocab=30000) by w2v_nce.evaluation.cosine, which gives the numbers of
gensim's evaluate_word_pairs and evaluate_word_analogies (tests/test_eval_cosine.py)
in a tenth of the time, each with its 95% bootstrap interval (percentile, 1000
seeded resamples of the pairs or questions); medians over the rounds, of the
scores and of the interval bounds. Every metric is also given as a ratio to w2v-nce.

Paired differences: in every round, w2v-nce's scores minus each other system's on
the same resampled pairs and questions (w2v_nce.evaluation's paired bootstrap), so
an interval that excludes 0 is a difference the data set resolves.

Two corpora of different kinds: the main, models and pword2vec sections run again on
--also (the dictionary glosses by default, two copies with their lines shuffled
together: see common.ALSO_COPIES; '' for none), the losses section on --losses-also
(the glosses once); each corpus's tables come under a line giving its name, tokens and
the load average at its start and end (common.on_each_corpus, common.corpus_heading).
The quality/speed picture plots the first corpus's runs.

Against Intel's pWord2Vec with MKL (`pword2vec`): built from the source folder given by
--pword2vec-src or PWORD2VEC_SRC (nothing of it is in this repository) against PyPI's
mkl-devel in this environment, run beside w2v-nce at dim 100 (sample 1e-3, 5 epochs)
and dim 300 (sample 1e-4, 2 epochs) on the corpus and on --also (the glosses
twice over, shuffled), with CPU seconds beside wall time; skipped with one line saying why
without the source or MKL.

Other sections: CBOW and hierarchical softmax with word2vec.c's flags (`models`:
w2v-nce, word2vec.c and gensim, paired differences from word2vec.c), every w2v-nce loss
side by side (`losses`: neg, nce, infonce with the dot product and cosine/τ, hs,
triplet with each mining, contrastive, softmax and neg on a capped vocabulary; words/s
against neg's in the same rounds, WordSim-353, SimLex-999 and analogies with paired
intervals against neg, alignment and uniformity from `w2v-nce evaluate --corpus`;
also on --losses-also, the dictionary glosses by default; a run whose loss or flags
the installed w2v-nce lacks is listed and skipped), each section warming every job
up on the tiny corpus first (each model and loss compiles its own kernel), w2v-nce thread scaling
(word2vec.c beside it as a reference for what the machine allows), NCE with k = 5,
25, 64 against word2vec.c's negative sampling with the same k (same number of dot
products per pair; 1 epoch unless --nce-epochs says otherwise, since k = 64 costs
about ten times k = 5), the kernel's arithmetic rate (`--loss nce --threads 1` for
the same k at dim 100 and 300, (k + 1) · 6 · dim flops per pair, against numpy's sgemm
in one thread at the same dim),
start-up (a first run with an empty NUMBA_CACHE_DIR, which compiles, against a
second run with the same directory, and `w2v-nce --help`), and the full softmax's
GFLOP/s against a numpy sgemm of the same shape when `w2v-nce train --help` offers
that loss, the corpus pass alone against 0.1.0's (`encode`,
benchmarks/encode_rate.py) and the cost of one checkpoint (`checkpoint`,
benchmarks/checkpoint_cost.py).

The picture (--plot, docs/img/quality-speed.png by default): WordSim-353 with its
interval against whole-process seconds, one point per system and setup of the
main, models and losses sections.

The results replace BENCHMARKS.md (Markdown tables) and are printed (with --update
only the sections that ran are replaced); --json dumps the raw numbers. The losses
section also draws docs/img/losses-geometry.png, each loss a point in the (uniformity,
alignment) plane as Wang & Isola draw it. The environment is passed on unchanged
(OPENBLAS_CORETYPE included).
"""
