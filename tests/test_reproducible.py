"""``--threads 1 --seed S`` is bit-for-bit reproducible for every model and loss.

Through the installed entry point, on the first 2,000 lines of the demo corpus: each
model × loss trained twice with one seed gives byte-identical vectors (the word2vec
binary file) and output matrix (the model's ``output``); for one loss of each model a
run with another seed gives different ones, so the comparison can fail. Every run
loads the one cached training kernel (about a second a run); the softmax keeps
``--max-vocab 300`` words to stay quick.
"""

import gzip
import itertools

import numpy as np
import pytest

from tests.conftest import DEMO_CORPUS, run_cli
from w2v_nce import losses

LINES = 2000
SEED = 3
#: Also trained with another seed (one run each, to keep the test quick).
OTHER_SEED_CHECKED = {("skipgram", "neg"), ("cbow", "hs")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("reproducible") / "corpus.txt"
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        path.write_text("".join(itertools.islice(lines, LINES)), encoding="utf-8")
    return path


def train(corpus, out, model, loss, seed, threads=1, options=()):
    """The binary vectors file and the output matrix of one run."""
    vocab = ["--max-vocab", "300"] if loss == "softmax" else []
    run_cli(
        "train", corpus, "--model", model, "--loss", loss, "--threads", threads,
        "--seed", seed, "--dim", "16", "--epochs", "1", *vocab, "--quiet",
        "--binary", "-o", out / "v.bin", "--save-model", out / "m.npz", *options,
        check=True,
    )  # fmt: skip
    with np.load(out / "m.npz") as saved:
        output = saved["output"].tobytes()
    return (out / "v.bin").read_bytes(), output


def test_the_parametrization_is_every_model_and_loss():
    """The test below runs over the tables themselves; this one keeps it from being empty."""
    every = set(itertools.product(losses.MODELS, losses.LOSS_NAMES))
    assert {"skipgram", "cbow"} <= set(losses.MODELS) and len(every) >= 10
    assert OTHER_SEED_CHECKED <= every


@pytest.mark.parametrize("loss", losses.LOSS_NAMES)
@pytest.mark.parametrize("model", losses.MODELS)
def test_threads_1_and_a_seed_give_the_same_bytes(corpus, tmp_path, model, loss):
    seeds = {"first": SEED, "again": SEED}
    if (model, loss) in OTHER_SEED_CHECKED:
        seeds["other"] = SEED + 1
    runs = {}
    for name, seed in seeds.items():
        (tmp_path / name).mkdir()
        runs[name] = train(corpus, tmp_path / name, model, loss, seed)
    assert runs["first"] == runs["again"]
    if "other" in runs:
        vectors, output = runs["first"]
        other_vectors, other_output = runs["other"]
        assert vectors != other_vectors and output != other_output


def test_the_softmax_is_reproducible_with_two_threads_too(corpus, tmp_path):
    """Its threads own slices of the vocabulary instead of racing (how-it-works.md)."""
    runs = []
    for name in ("first", "again"):
        (tmp_path / name).mkdir()
        runs.append(train(corpus, tmp_path / name, "skipgram", "softmax", SEED, threads=2))
    assert runs[0] == runs[1]


def contrast_variants():
    """Every similarity × mining of each contrastive-family loss (from the records, so a
    new one is covered), at the loss's defaults otherwise; the all-default one runs above.
    And a margin and a temperature that are not the defaults."""
    from w2v_nce.kernels.contrastive import MININGS

    variants = []
    for loss in losses.LOSSES.values():
        minings = tuple(MININGS) if "mining" in loss.options else (None,)
        for similarity, mining in itertools.product(loss.similarities, minings):
            options = ("--similarity", similarity) if "similarity" in loss.options else ()
            options += ("--mining", mining) if mining else ()
            default = similarity == loss.similarities[0] and mining in (None, loss.default_mining)
            if options and not default:
                variants.append((loss.name, options))
    return [
        *variants,
        ("infonce", ("--similarity", "cosine", "--temperature", "0.3")),
        ("contrastive", ("--margin", "2")),
    ]


CONTRAST_VARIANTS = contrast_variants()


@pytest.mark.parametrize(("loss", "options"), CONTRAST_VARIANTS)
@pytest.mark.parametrize("model", losses.MODELS)
def test_the_contrastive_options_are_reproducible(corpus, tmp_path, model, loss, options):
    runs = []
    for name in ("first", "again"):
        (tmp_path / name).mkdir()
        runs.append(train(corpus, tmp_path / name, model, loss, SEED, options=options))
    assert runs[0] == runs[1]


def test_the_json_final_loss_is_the_last_epochs_mean_and_reproducible(corpus, tmp_path):
    """``final_loss`` is the mean loss per example over the last epoch's blocks: with one
    epoch it is the run's mean loss; with two it differs from the run's mean (the
    second epoch's loss is lower) and two runs with one seed give the same number (it
    was the progress bar's last second, which depends on timing)."""
    import json

    def summary(epochs):
        result = run_cli(
            "train", corpus, "--threads", 1, "--seed", SEED, "--dim", 16, "--epochs", epochs,
            "--quiet", "--json", "-o", tmp_path / "v.txt", check=True,
        )  # fmt: skip
        return json.loads(result.stdout)

    one = summary(1)
    assert one["final_loss"] == pytest.approx(one["mean_loss"], rel=1e-9)
    two, again = summary(2), summary(2)
    assert two["final_loss"] == again["final_loss"] and two["mean_loss"] == again["mean_loss"]
    assert two["final_loss"] < two["mean_loss"]
