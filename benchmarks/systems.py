"""The systems compared and their command lines: w2v-nce, gensim, word2vec.c, fastText,
each training a :class:`Setup` (model, loss, noise words) with the shared settings."""

import importlib.util
import json
import sys
from dataclasses import dataclass

from .common import SETTINGS, log, sibling_or_path

GENSIM_SCRIPT = """
import json, sys
from gensim.models import Word2Vec
p = json.loads(sys.argv[1])
model = Word2Vec(
    corpus_file=p["corpus"], sg=p["sg"], hs=p["hs"], negative=p["negative"], window=p["window"],
    vector_size=p["dim"], sample=p["sample"], epochs=p["epochs"], min_count=p["min_count"],
    alpha=p["alpha"], min_alpha=p["min_alpha"], workers=p["threads"], seed=1,
)
model.wv.save_word2vec_format(p["output"], binary=True)
"""


FASTTEXT_SCRIPT = """
import json, sys
import fasttext
p = json.loads(sys.argv[1])
model = fasttext.train_unsupervised(
    p["corpus"], model="skipgram", loss="ns", neg=p["negative"], ws=p["window"],
    dim=p["dim"], t=p["sample"], epoch=p["epochs"], minCount=p["min_count"],
    lr=p["alpha"], minn=0, maxn=0, thread=p["threads"], verbose=0,
)
words = model.get_words()
vectors = model.get_input_matrix()[: len(words)].astype("<f4")
with open(p["output"], "wb") as out:
    out.write(f"{len(words)} {vectors.shape[1]}\\n".encode())
    for word, row in zip(words, vectors):
        out.write(word.encode() + b" " + row.tobytes() + b"\\n")
"""


@dataclass(frozen=True)
class Setup:
    """What is trained: the model, the loss and its noise words.

    The learning rate is word2vec.c's default for the model (0.025 skip-gram, 0.05
    CBOW; w2v-nce has the same defaults), given explicitly to every system.
    """

    model: str = "skipgram"  # or "cbow"
    loss: str = "neg"  # w2v-nce's --loss; word2vec.c and gensim know neg and hs
    k: int = 5  # ignored for hs and softmax

    @property
    def alpha(self):
        return 0.05 if self.model == "cbow" else 0.025

    @property
    def noise(self):
        return 0 if self.loss in ("hs", "softmax") else self.k

    @property
    def label(self):
        model = "sg" if self.model == "skipgram" else "cbow"
        return f"{model} {self.loss}" + (f" k={self.k}" if self.noise else "")

    @property
    def word2vec_flags(self):
        """word2vec.c's flags for this setup (nce is compared with -negative k)."""
        cbow = int(self.model == "cbow")
        hs = int(self.loss == "hs")
        return f"-cbow {cbow} -hs {hs} -negative {self.noise}"


SGNS = Setup()


def w2v_nce_command(corpus, output, threads, epochs, setup=SGNS, tmp_dir=None, settings=SETTINGS):
    """`w2v-nce train` for ``setup``; ``settings`` (dim, window, ...) are SETTINGS unless given."""
    s = settings
    command = [
        sibling_or_path("w2v-nce"), "train", str(corpus), "--model", setup.model,
        "--loss", setup.loss, "--dim", str(s["dim"]), "--window", str(s["window"]),
        "--epochs", str(epochs), "--min-count", str(s["min_count"]),
        "--sample", str(s["sample"]), "--alpha", str(setup.alpha),
        "--min-alpha", str(s["min_alpha"]), "--threads", str(threads), "--binary",
        "-o", str(output), "--quiet", "--json",
    ]  # fmt: skip
    if setup.noise:
        command += ["--k", str(setup.k)]
    if tmp_dir is not None:
        command += ["--tmp-dir", str(tmp_dir)]
    return command


def word2vec_c_command(corpus, output, threads, epochs, setup=SGNS):
    s = SETTINGS
    return [
        sibling_or_path("word2vec"), "-train", str(corpus), "-output", str(output),
        *setup.word2vec_flags.split(), "-size", str(s["dim"]), "-window", str(s["window"]),
        "-sample", str(s["sample"]), "-threads", str(threads), "-iter", str(epochs),
        "-min-count", str(s["min_count"]), "-alpha", str(setup.alpha), "-binary", "1",
    ]  # fmt: skip


def python_child_command(script, corpus, output, threads, epochs, setup=SGNS):
    params = dict(SETTINGS, corpus=str(corpus), output=str(output))
    params.update(
        threads=threads,
        epochs=epochs,
        sg=int(setup.model == "skipgram"),
        hs=int(setup.loss == "hs"),
        negative=setup.noise,
        alpha=setup.alpha,
    )
    return [sys.executable, "-c", script, json.dumps(params)]


@dataclass
class System:
    """A trainer: `argv(corpus, output, threads, epochs, tmp_dir, setup)` gives its command.

    ``setups`` says what it can train: fastText is only run with skip-gram and
    negative sampling (the main table).
    """

    name: str
    argv: object
    missing: str | None  # why it cannot run, or None when it can
    all_setups: bool = True

    def can_train(self, setup):
        return self.missing is None and (self.all_setups or setup == SGNS)


def find_systems():
    has = importlib.util.find_spec
    hint = "not installed (pip install -e '.[bench]')"
    return [
        System(
            "w2v-nce",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: w2v_nce_command(
                corpus, out, threads, epochs, setup, tmp_dir=tmp
            ),
            None if sibling_or_path("w2v-nce") else "not installed (pip install -e .)",
        ),
        System(
            "gensim",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: python_child_command(
                GENSIM_SCRIPT, corpus, out, threads, epochs, setup
            ),
            None if has("gensim") else "not installed",
        ),
        System(
            "word2vec.c",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: word2vec_c_command(
                corpus, out, threads, epochs, setup
            ),
            None if sibling_or_path("word2vec") else hint,
        ),
        System(
            "fastText",
            lambda corpus, out, threads, epochs, tmp, setup=SGNS: python_child_command(
                FASTTEXT_SCRIPT, corpus, out, threads, epochs, setup
            ),
            None if has("fasttext") else hint,
            all_setups=False,
        ),
    ]


def system_argv(bench, system, setup, threads, epochs):
    """make_argv(out, corpus) for `system` training `setup` (on the benchmark corpus)."""
    return lambda out, corpus=bench.corpus: system.argv(
        corpus, out, threads, epochs, bench.work_dir, setup
    )


def warm_up(bench):
    """One untimed run of each system on the tiny corpus (Numba cache, page cache)."""
    log("warm-up on the tiny corpus")
    for system in bench.systems:
        if system.missing is None:
            out = bench.work_dir / "warmup.bin"
            bench.run(
                f"warm-up {system.name}",
                system.argv(bench.tiny, out, bench.args.threads, 1, bench.work_dir),
            )
