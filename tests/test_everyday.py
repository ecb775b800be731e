"""The commands people reach for, through the real entry point: vocab, analogy, complete
--help, and words from any script surviving training, export and gensim's loader."""

import json
from collections import Counter

import click
import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import run_cli
from w2v_nce.cli.main import cli

# -- vocab ---------------------------------------------------------------------------------

VOCAB_CORPUS = "a a a a b b b c c d\n\n  \nb a e e e e\n"  # a5 b4 e4 c2 d1


def test_vocab_counts_like_train(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(VOCAB_CORPUS)
    result = run_cli("vocab", corpus, "--min-count", "2", "--top", "3", "--json", check=True)
    summary = json.loads(result.stdout)
    assert summary["tokens"] == 16 and summary["lines"] == 2
    assert summary["distinct_words"] == 5 and summary["words_seen_once"] == 1
    assert summary["vocab_size"] == 4 and summary["covered_tokens"] == 15
    assert summary["coverage"] == pytest.approx(15 / 16)
    # Ties broken by the word, as train sorts its vocabulary.
    assert summary["top"] == [
        {"word": "a", "count": 5},
        {"word": "b", "count": 4},
        {"word": "e", "count": 4},
    ]

    # --sample 0: on 15 tokens subsampling leaves no pair, and a run that trains none
    # is an error (tests/test_errors.py)
    run_cli(
        "train", corpus, "--min-count", "2", "--dim", "4", "--epochs", "1", "--quiet",
        "--sample", "0", "-o", tmp_path / "v.txt", "--save-model", tmp_path / "m.npz",
        check=True,
    )  # fmt: skip
    model = np.load(tmp_path / "m.npz")
    assert list(model["vocab"]) == ["a", "b", "e", "c"]
    assert model["counts"].tolist() == [5, 4, 4, 2]


def test_vocab_max_vocab_and_text_output(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(VOCAB_CORPUS)
    result = run_cli("vocab", corpus, "--min-count", "1", "--max-vocab", "2", check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "corpus: 16 tokens in 2 lines"
    assert lines[2] == (
        "vocabulary: 2 words (--min-count 1, --max-vocab 2) covering 9 tokens (56.2%)"
    )
    assert lines[3].split("\t") == ["rank", "count", "share", "word"]
    assert lines[4].split("\t") == ["1", "5", "31.25%", "a"]


def test_vocab_warns_when_train_would_stop(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(VOCAB_CORPUS)
    result = run_cli("vocab", corpus, "--min-count", "50", check=True)
    assert "warning: no word occurs at least --min-count 50 times" in result.stderr
    assert "lower --min-count" in result.stderr


# -- analogy -------------------------------------------------------------------------------


def test_analogy_is_3cosadd_like_gensim(demo_model):
    vectors = demo_model / "vectors.txt"
    result = run_cli("analogy", "man", "king", "woman", "--vectors", vectors, "--topn", "5")
    assert result.returncode == 0, result.stderr
    ours = [line.split("\t") for line in result.stdout.splitlines()]
    kv = KeyedVectors.load_word2vec_format(str(vectors))
    theirs = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([float(s) for _, s in ours], [s for _, s in theirs], atol=1e-4)

    same = run_cli(
        "most-similar", "king", "woman", "--negative", "man", "--vectors", vectors, "--topn", "5"
    )
    assert same.stdout == result.stdout


def test_analogy_with_an_unknown_word(demo_model):
    result = run_cli("analogy", "man", "king", "wommman", "--vectors", demo_model / "vectors.txt")
    assert result.returncode == 2
    assert result.stderr.startswith("error: 'wommman' is not in the vocabulary")
    assert "Traceback" not in result.stderr


# -- help ----------------------------------------------------------------------------------


def _commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_option_shows_its_default(name):
    """Every option that takes a value is explained and says its default in --help
    (flags are off unless given; a required option, which has none, says so)."""
    command = cli.commands[name]
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag or param.name == "help":
            continue
        said = param.show_default or param.required or "[default:" in (param.help or "")
        assert said, (name, param.name)
        assert param.help, (name, param.name)
    result = run_cli(name, "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"Usage: w2v-nce {name}")


def test_shell_completion_is_documented_and_works():
    assert "_W2V_NCE_COMPLETE=bash_source" in run_cli("--help").stdout
    import os
    import subprocess

    from tests.conftest import entry_point

    env = dict(os.environ, _W2V_NCE_COMPLETE="bash_source")
    script = subprocess.run([entry_point()], env=env, capture_output=True, text=True).stdout
    assert "complete -o nosort -F _w2v_nce_completion w2v-nce" in script


# -- any Unicode ---------------------------------------------------------------------------

# Non-BMP (mathematical letters, emoji, a CJK extension B ideograph), combining marks
# (decomposed e + U+0301, Devanagari with a virama), right-to-left scripts (Hebrew, Arabic
# with a ZWNJ), a no-break space inside a word, and plain ASCII for contrast.
UNICODE_WORDS = [
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "🙂🎉",
    "𠀋",
    "cafe\u0301",
    "café",
    "नमस्ते",
    "שלום",
    "سلام\u200cعليكم",
    "1\u00a0000",
    "ascii",
]


def test_any_script_survives_training_export_and_gensim(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(UNICODE_WORDS, size=12)) for _ in range(300)]
    corpus = tmp_path / "unicode.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter(" ".join(lines).split(" "))
    assert set(counts) == set(UNICODE_WORDS)

    for binary in (False, True):
        out = tmp_path / ("v.bin" if binary else "v.txt")
        run_cli(
            "train", corpus, "--min-count", "1", "--dim", "8", "--epochs", "1", "--quiet",
            "-o", out, *(["--binary"] if binary else []), "--save-model", tmp_path / "m.npz",
            check=True,
        )  # fmt: skip
        kv = KeyedVectors.load_word2vec_format(str(out), binary=binary)
        model = np.load(tmp_path / "m.npz")
        assert kv.index_to_key == list(model["vocab"])
        assert sorted(kv.index_to_key) == sorted(UNICODE_WORDS)
        assert model["counts"].tolist() == [counts[w] for w in kv.index_to_key]
        np.testing.assert_array_equal(kv.vectors, model["input"])

        result = run_cli("most-similar", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "--vectors", out, "--topn", "9")
        assert result.returncode == 0, result.stderr
        neighbours = {line.split("\t")[0] for line in result.stdout.splitlines()}
        assert neighbours == set(UNICODE_WORDS) - {"𝔘𝔫𝔦𝔠𝔬𝔡𝔢"}
