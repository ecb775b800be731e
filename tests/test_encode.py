"""Vocabulary selection and the on-disk id encoding."""

import io
import sys

import numpy as np
import pytest

from w2v_nce.encode import choose_vocabulary, encode_corpus
from w2v_nce.errors import UserError
from w2v_nce.vocab import select_vocabulary

TEXT = "b a c a\n\nd a b b\nzz\n   \nc c a b e\n"


def write(tmp_path, text, name="c.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_vocabulary_sorted_by_count_then_word_and_cut():
    words = ["pear", "apple", "fig", "kiwi", "date"]
    counts = np.array([3, 5, 3, 1, 5])
    vocab, kept = select_vocabulary(words, counts, min_count=2, max_vocab=None)
    assert vocab.words == ["apple", "date", "fig", "pear"]
    assert vocab.counts.tolist() == [5, 5, 3, 3]
    assert [words[i] for i in kept] == vocab.words
    assert select_vocabulary(words, counts, 2, 3)[0].words == ["apple", "date", "fig"]
    assert vocab.total == 16


def test_encoding_matches_a_direct_translation(tmp_path):
    with encode_corpus(write(tmp_path, TEXT), min_count=2) as enc:
        assert enc.vocab.words == ["a", "b", "c"]  # a:4, b:4, c:3 — d, e, zz dropped
        assert enc.vocab.counts.tolist() == [4, 4, 3]
        index = {w: i for i, w in enumerate(enc.vocab.words)}
        expected = []
        for line in TEXT.splitlines():
            ids = [index[t] for t in line.split() if t in index]
            if ids:
                expected += ids + [-1]
        assert enc.ids().tolist() == expected
        assert enc.raw_tokens == 14 and enc.sentences == 4 and enc.words == 11


def test_blocks_end_on_sentence_boundaries_and_cover_everything(tmp_path):
    rng = np.random.default_rng(0)
    lines = [
        " ".join(f"w{i}" for i in rng.integers(0, 30, size=n)) for n in rng.integers(1, 40, 300)
    ]
    with encode_corpus(write(tmp_path, "\n".join(lines)), min_count=1, block_words=100) as enc:
        ids = enc.ids()
        starts = enc.block_starts
        assert starts[0] == 0 and starts[-1] == ids.size
        assert len(starts) > 10
        for a, b in zip(starts[:-1], starts[1:], strict=True):
            assert ids[b - 1] == -1  # a block ends with a sentence
            assert enc.block_words[list(starts).index(a)] == np.count_nonzero(ids[a:b] >= 0)
        assert enc.block_words.sum() == enc.words == sum(len(s.split()) for s in lines)


def test_stdin_is_read_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    with encode_corpus("-", min_count=2) as enc:
        assert enc.vocab.words == ["a", "b", "c"]


def test_workdir_is_removed(tmp_path):
    enc = encode_corpus(write(tmp_path, TEXT), min_count=1, tmp_dir=str(tmp_path))
    workdir = enc.workdir
    enc.close()
    assert not (tmp_path / workdir).exists()


def test_empty_corpus_and_nothing_frequent_enough_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="empty"):
        encode_corpus(write(tmp_path, "\n \n\n"), tmp_dir=str(tmp_path))
    with pytest.raises(UserError, match="min-count 5"):
        encode_corpus(write(tmp_path, "a b c a\n"), min_count=5, tmp_dir=str(tmp_path))
    assert not list(tmp_path.glob("w2v-nce-*"))


@pytest.mark.parametrize("seed", range(20))
def test_choose_vocabulary_with_a_cut_equals_sorting_everything(seed):
    """The partial sort under --max-vocab keeps exactly the words a full sort keeps,
    ties at the cut broken by the word (many words share the smallest counts)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    words = [f"w{i:03d}{chr(97 + int(rng.integers(26)))}" for i in rng.permutation(n)]
    counts = rng.geometric(0.4, size=n)
    min_count = int(rng.integers(1, 4))
    max_vocab = int(rng.integers(1, n + 5))
    expected, expected_kept = select_vocabulary(words, counts, min_count, max_vocab)
    if len(expected) == 0:
        with pytest.raises(UserError, match="no word occurs at least --min-count"):
            choose_vocabulary(words, counts, min_count, max_vocab, "c.txt")
        return
    vocab, kept = choose_vocabulary(words, counts, min_count, max_vocab, "c.txt")
    assert vocab.words == expected.words
    assert vocab.counts.tolist() == expected.counts.tolist()
    assert kept.tolist() == expected_kept.tolist()


def test_a_million_distinct_words_with_max_vocab(tmp_path):
    """A vocabulary of a million words (each seen once, like the tail of a web crawl)
    is cut by --max-vocab to the most frequent ones, ties by the word."""
    frequent = " ".join(["the cat sat on the mat"] * 5)
    with open(tmp_path / "c.txt", "w") as f:
        for start in range(0, 1_000_000, 10_000):
            f.write(frequent + " " + " ".join(f"u{i}" for i in range(start, start + 10_000)))
            f.write("\n")
    with encode_corpus(str(tmp_path / "c.txt"), min_count=1, max_vocab=7) as enc:
        assert enc.vocab.words == ["the", "cat", "mat", "on", "sat", "u0", "u1"]
        assert enc.vocab.counts.tolist() == [1000, 500, 500, 500, 500, 1, 1]
        assert enc.raw_tokens == 1_000_000 + 100 * 30


def test_id_file_reads_slices_like_an_array(tmp_path):
    with encode_corpus(write(tmp_path, TEXT), min_count=1) as enc:
        ids = enc.ids()
        whole = np.asarray(ids)
        assert whole.dtype == np.int32 and len(ids) == whole.size == ids.shape[0]
        assert ids[2:7].tolist() == whole[2:7].tolist() and ids[-1] == whole[-1] == -1
        assert not ids[0:3].flags.writeable
        with pytest.raises(IndexError):
            ids[::2]
        with pytest.raises(IndexError):
            ids[whole.size]
